// A checkpoint load as the visitor sees it: a progress bar (bytes, percent, rate, time left) with
// Cancel while it runs, and afterwards what went wrong, with Retry where a retry can help; before a
// download a link asked for, the question whether to start it.
import {
  failureHeadline, retryable, sentence, type LoadFailure, type LoadInFlight, type LoadProgress, type PendingDownload,
} from '../../store/loading';
import { DEFAULT_HF_ENDPOINT } from '../../store/settings';
import { catalogueEntry } from './catalogue';
import { formatBytes, formatEta, formatRate, percentOf } from './format';

const STAGE_TEXT: Record<string, string> = {
  parsing: 'checking the file',
  weights: 'loading the weights into the model',
  'config.json': 'configuration',
};

export interface LoadStatusProps {
  loading: LoadInFlight | null;
  progress: LoadProgress | null;
  error: LoadFailure | null;
  onCancel(): void;
  onRetry(): void;
  onDismiss(): void;
  /** Test ids: A's are the plain ones, B's are prefixed `compare-`. */
  slot: 'a' | 'b';
}

export function LoadProgressBar({ loading, progress, onCancel, slot }: Pick<LoadStatusProps, 'loading' | 'progress' | 'onCancel' | 'slot'>) {
  if (!loading) return null;
  const id = (s: string) => (slot === 'a' ? s : `compare-${s}`);
  const p = progress;
  const parsing = p?.stage === 'parsing';
  const pct = p && !parsing ? percentOf(p.loaded, p.total) : null;
  const stage = p ? STAGE_TEXT[p.stage] ?? p.stage : 'starting';
  let detail: string;
  if (!p) detail = 'starting…';
  else if (parsing) detail = 'reading names and shapes…';
  else {
    const parts = [p.total !== null ? `${formatBytes(p.loaded)} of ${formatBytes(p.total)}` : formatBytes(p.loaded)];
    if (pct !== null) parts.push(`${pct} %`);
    if (p.rate !== null && p.loaded !== p.total) parts.push(formatRate(p.rate));
    if (p.etaS !== null && p.etaS > 0) parts.push(`${formatEta(p.etaS)} left`);
    detail = parts.join(' · ');
  }
  const cancellable = loading.kind === 'hub' || loading.kind === 'url';
  return (
    <div className="load-progress" data-testid={id('load-progress')} data-loaded={p?.loaded ?? 0} data-total={p?.total ?? ''}
      data-stage={p?.stage ?? ''} aria-live="polite">
      <div className="load-progress-text">
        <span>
          {slot === 'b' && <strong>B: </strong>}Loading <strong>{loading.label}</strong>
          <span className="muted"> · {stage}</span>
        </span>
        <span className="load-progress-detail">{detail}</span>
        {cancellable && (
          <button type="button" className="button button-small" data-testid={id('cancel-load')} onClick={onCancel}
            disabled={parsing} title={parsing ? 'The download is finished; the weights are being read' : 'Stop the download; the current checkpoint keeps running'}>
            Cancel
          </button>
        )}
      </div>
      <div className="bar" role="progressbar" aria-label={`Loading ${loading.label}`} aria-valuemin={0} aria-valuemax={100}
        aria-valuenow={pct ?? undefined} aria-valuetext={detail}>
        <span className={pct === null ? 'bar-indeterminate' : ''} style={pct === null ? undefined : { width: `${pct}%` }} />
      </div>
    </div>
  );
}

export function LoadError({ error, onRetry, onDismiss, slot, running }: Pick<LoadStatusProps, 'error' | 'onRetry' | 'onDismiss' | 'slot'> & { running: string | null }) {
  if (!error) return null;
  const id = (s: string) => (slot === 'a' ? s : `compare-${s}`);
  const cancelled = error.kind === 'cancelled';
  return (
    <div className={`load-error ${cancelled ? 'is-cancelled' : ''}`} role={cancelled ? 'status' : 'alert'}
      data-testid={id('checkpoint-error')} data-kind={error.kind}>
      <div className="load-error-text">
        <strong>{slot === 'b' && 'B: '}{failureHeadline(error)}</strong>{' '}
        {!cancelled && <span className="load-error-detail">Details: <span data-testid={id('checkpoint-error-message')}>{sentence(error.message)}</span></span>}{' '}
        {running && <span className="muted">{slot === 'b' ? 'B stays' : 'Still running'}: {running}.</span>}
        {error.kind === 'not-found' && <span className="muted"> Check the repository name, the revision and the hub address.</span>}
      </div>
      <div className="load-error-actions">
        {error.retry && retryable(error.kind) && (
          <button type="button" className="button button-small" data-testid={id('retry-load')} onClick={onRetry}>Retry</button>
        )}
        <button type="button" className="button button-quiet button-small" onClick={onDismiss} aria-label="Dismiss">Dismiss</button>
      </div>
    </div>
  );
}

/** The question before a link's hub download, for A or B (`slot`). */
export interface DownloadPromptProps {
  pending: PendingDownload | null;
  onConfirm(): void;
  onDismiss(): void;
  slot: 'a' | 'b';
}

/** Asks before the hub download a link names (its size when the catalogue knows it). */
const hostOf = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};

export function DownloadPrompt({ pending, onConfirm, onDismiss, slot }: DownloadPromptProps) {
  if (!pending) return null;
  const id = (s: string) => (slot === 'a' ? s : `compare-${s}`);
  const size = catalogueEntry(pending.ref)?.sizeBytes;
  // A link can set the hub address: a download from anywhere else says where from.
  const host = pending.source.kind === 'hub' && pending.source.endpoint !== DEFAULT_HF_ENDPOINT ? hostOf(pending.source.endpoint) : null;
  return (
    <div className="load-error is-prompt" role="status" data-testid={id('download-prompt')} data-ref={pending.ref ?? ''}>
      <div className="load-error-text">
        {slot === 'b' && <strong>B: </strong>}Download <strong>{pending.source.label}</strong>
        {size ? ` (~${formatBytes(size)})` : ''}
        {host && <> from <strong className="prompt-host" data-testid={id('download-host')}>{host}</strong> (not the public hub)</>}? It is not in this browser yet.
      </div>
      <div className="load-error-actions">
        <button type="button" className="button button-small" data-testid={id('confirm-download')} onClick={onConfirm}>Download</button>
        <button type="button" className="button button-quiet button-small" data-testid={id('dismiss-download')} onClick={onDismiss}>Not now</button>
      </div>
    </div>
  );
}

export function LoadStatus(props: LoadStatusProps & { running: string | null }) {
  return (
    <>
      <LoadProgressBar {...props} />
      {!props.loading && <LoadError {...props} />}
    </>
  );
}
