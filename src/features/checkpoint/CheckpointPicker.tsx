// The checkpoint panel: which checkpoint runs, the catalogue to pick another from (with sizes,
// parameters, patch size, licence, source and whether it predicts normalised pixels), any hub
// repository by name, a file from disk, the hub address, the hub downloads kept in this browser,
// and checkpoint B to compare with.
import { useId, useRef, useState, type FormEvent, type MouseEvent } from 'react';
import { DEFAULT_HF_ENDPOINT, normaliseEndpoint } from '../../store/settings';
import { hubLabel, parseHubInput } from '../../store/checkpointRef';
import { useApp, useAppStore } from '../../store/react';
import { DocLink } from '../docs/DocDialog';
import { SavedList } from '../finetune/SavedList';
import { CATALOGUE, catalogueEntry, hubFilePrefix, loadable, sourceForEntry, type CatalogueEntry } from './catalogue';
import { describeModel, formatBytes, formatParams } from './format';
import { cachedWeightsOf, totalSize, type CachedFile } from './hubCache';
import { DownloadPrompt, LoadStatus } from './LoadStatus';
import { useHubCache, type HubCacheView } from './useHubCache';

const yesNo = (v: boolean | null) => (v === null ? 'unknown' : v ? 'yes' : 'no');

/** Size as the catalogue gives it. */
function sizeText(e: CatalogueEntry): string {
  if (e.origin === 'bundled') return e.sizeBytes ? `${formatBytes(e.sizeBytes)}, part of the page` : 'part of the page';
  if (e.origin === 'random') return 'nothing to download';
  return e.sizeBytes ? `~${formatBytes(e.sizeBytes)}` : 'size unknown';
}

function Facts({ e }: { e: CatalogueEntry }) {
  return (
    <span className="option-facts">
      <span title="download size">{sizeText(e)}</span>
      <span title="parameters (encoder + decoder)">{e.parameters ? `${formatParams(e.parameters)} params` : 'tiny'}</span>
      <span title="input size and patch size">patch {e.patchSize} px</span>
      <span title="trained to predict per-patch normalised pixels (norm_pix_loss)">norm-pix: {yesNo(e.normPixLoss)}</span>
    </span>
  );
}

function Foot({ e }: { e: CatalogueEntry }) {
  return (
    <span className="option-foot">
      <span title={e.licenceNote} className={e.licenceNote ? 'has-note' : undefined}>Licence: {e.licence}</span>
      {e.origin === 'bundled'
        ? <DocLink url={e.sourceUrl} title="Model card">model card</DocLink>
        : <a href={e.sourceUrl} target="_blank" rel="noopener noreferrer">{e.origin === 'hub' ? e.hub!.repo : e.origin === 'external' ? 'facebookresearch/mae' : 'about'}</a>}
      {e.hub && e.hub.revision !== 'main' && <span className="muted">revision {e.hub.revision}</span>}
    </span>
  );
}

function Option({ e, cache }: { e: CatalogueEntry; cache: HubCacheView }) {
  const store = useAppStore();
  const titleId = useId();
  const ref = useApp((s) => s.slots.A.ref);
  const running = useApp((s) => s.slots.A.checkpoint);
  const busy = useApp((s) => !!s.slots.A.loading || s.slots.A.phase === 'starting' || s.slots.A.phase === 'idle');
  const endpoint = useApp((s) => s.settings.hfEndpoint);
  const selected = ref === e.id && !!running;
  const fallback = selected && e.origin === 'bundled' && running?.kind === 'random';
  // Downloaded = its weights are cached at this hub address (a config.json alone does not count).
  const cached = e.hub ? cachedWeightsOf(cache.files, hubFilePrefix(e.hub.repo, e.hub.revision, endpoint)) : [];

  if (!loadable(e)) {
    return (
      <li className="option-external" data-testid="checkpoint-option" data-id={e.id} data-loadable="false" data-selected="false">
        <span className="option-title">{e.title}</span>
        <Facts e={e} />
        <span className="option-foot">
          <span title={e.licenceNote}>{e.licence}</span>
          <a href={e.downloadUrl} download={e.fileName} rel="noopener noreferrer" title={`Download ${e.fileName}, then drop it onto this page`}>{e.fileName}</a>
          <a href={e.sourceUrl} target="_blank" rel="noopener noreferrer">about</a>
        </span>
      </li>
    );
  }

  const disabled = busy || (selected && !fallback);
  const load = () => {
    if (disabled) return;
    const source = sourceForEntry(e, store.getState().settings.hfEndpoint);
    if (source) void store.getState().slotApi.A.load(source);
  };
  // The whole card loads (except its links); the button is there for the keyboard.
  const onCardClick = (ev: MouseEvent) => {
    if ((ev.target as HTMLElement).closest('a, button')) return;
    load();
  };
  return (
    <li className={`option ${selected ? 'is-selected' : ''}`} data-testid="checkpoint-option" data-id={e.id} data-loadable="true"
      data-selected={selected ? 'true' : 'false'} data-cached={cached.length ? 'true' : 'false'} onClick={onCardClick}>
      <span className="option-main">
        <span className="option-title">
          <span id={titleId}>{e.title}</span>
          {selected && <span className="badge badge-accent">{fallback ? 'missing: random weights run' : 'in use'}</span>}
          {cached.length > 0 && <span className="badge" title={`${formatBytes(totalSize(cached))} in this browser`}>downloaded</span>}
        </span>
        <Facts e={e} />
        <span className="option-summary">{e.summary}</span>
      </span>
      <span className="option-side">
        <Foot e={e} />
        {/* Named by its visible text (voice control); the checkpoint's title describes it. */}
        <button type="button" className="button button-small" onClick={load} disabled={disabled}
          aria-describedby={titleId} data-testid="checkpoint-option-load">
          {selected && !fallback ? 'Loaded' : fallback ? 'Try again' : e.origin === 'hub' && !cached.length && e.sizeBytes ? `Download ${formatBytes(e.sizeBytes)}` : 'Load'}
        </button>
      </span>
    </li>
  );
}

function HubForm() {
  const store = useAppStore();
  const busy = useApp((s) => !!s.slots.A.loading);
  const compareAvailable = useApp((s) => s.slots.B.available);
  const compareBusy = useApp((s) => !!s.slots.B.loading);
  const [text, setText] = useState('');
  const [shown, setShown] = useState(false);
  const id = useId();
  const parsed = parseHubInput(text);
  // Blank is only an error once the visitor presses Load or Compare with nothing typed.
  const [blankTried, setBlankTried] = useState(false);
  const blank = text.trim() === '';
  const invalid = !parsed.ok && (blank ? blankTried : shown);
  const input = useRef<HTMLInputElement>(null);

  const source = () => {
    if (!parsed.ok) {
      setShown(true);
      if (blank) setBlankTried(true);
      input.current?.focus();
      return null;
    }
    return { kind: 'hub' as const, repo: parsed.repo, revision: parsed.revision, endpoint: store.getState().settings.hfEndpoint, label: hubLabel(parsed.repo, parsed.revision) };
  };
  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    const s = source();
    if (s && !busy) void store.getState().slotApi.A.load(s);
  };
  return (
    <form className="picker-field hub-form" onSubmit={submit} noValidate>
      <label htmlFor={id}>Any hub repository with a ViTMAE checkpoint</label>
      <div className="picker-inline">
        <input id={id} ref={input} type="text" inputMode="url" autoComplete="off" spellCheck={false} placeholder="facebook/vit-mae-base"
          data-testid="hub-repo-input" value={text} aria-invalid={invalid} aria-describedby={`${id}-hint`} className="hub-input"
          onChange={(e) => { setText(e.target.value); setBlankTried(false); }} onBlur={() => setShown(true)} />
        <button type="submit" className="button" data-testid="hub-load" disabled={busy}>Load</button>
        {compareAvailable && (
          <button type="button" className="button" data-testid="hub-compare" disabled={compareBusy}
            onClick={() => { const s = source(); if (s) void store.getState().slotApi.B.load(s); }}>Compare</button>
        )}
      </div>
      <p id={`${id}-hint`} className={`hint ${invalid ? 'hint-error' : ''}`} data-testid="hub-repo-hint">
        {invalid && !parsed.ok
          ? (blank ? 'Type a repository first: org/name or org/name@revision, e.g. facebook/vit-mae-base.' : parsed.message)
          : 'org/name or org/name@revision. It needs model.safetensors or pytorch_model.bin (and ideally config.json).'}
      </p>
    </form>
  );
}

function EndpointInput() {
  const store = useAppStore();
  const endpoint = useApp((s) => s.settings.hfEndpoint);
  const [draft, setDraft] = useState(endpoint);
  const [shown, setShown] = useState(endpoint);
  if (shown !== endpoint) {
    setShown(endpoint);
    setDraft(endpoint);
  }
  const id = useId();
  const valid = normaliseEndpoint(draft) !== null;
  return (
    <div className="picker-field endpoint">
      <label htmlFor={id}>Hub address <span className="muted">(like HF_ENDPOINT)</span></label>
      <div className="picker-inline">
        <input id={id} type="url" inputMode="url" autoComplete="off" spellCheck={false} data-testid="hub-endpoint-input"
          value={draft} aria-invalid={!valid}
          onChange={(e) => {
            setDraft(e.target.value);
            const v = normaliseEndpoint(e.target.value);
            if (v) store.getState().setHfEndpoint(v);
          }}
          onBlur={() => setDraft(store.getState().settings.hfEndpoint)} />
        {endpoint !== DEFAULT_HF_ENDPOINT && (
          <button type="button" className="button button-quiet" onClick={() => store.getState().setHfEndpoint(DEFAULT_HF_ENDPOINT)}>Reset</button>
        )}
      </div>
      <p className={`hint ${valid ? '' : 'hint-error'}`}>{valid ? 'A mirror or a local server with the hub’s /org/name/resolve/revision/file layout.' : 'Give an http(s) address, e.g. https://huggingface.co.'}</p>
    </div>
  );
}

function FileLoader() {
  const store = useAppStore();
  const busy = useApp((s) => !!s.slots.A.loading);
  return (
    <div className="picker-field">
      <span className="picker-label">From this computer</span>
      <label className={`button file-button ${busy ? 'is-disabled' : ''}`}>
        Load checkpoint file…
        <input type="file" multiple accept=".safetensors,.pth,.pt,.bin,.json" data-testid="checkpoint-file-input" className="visually-hidden"
          disabled={busy}
          onChange={(e) => {
            const files = Array.from(e.target.files ?? []).map((f) => ({ name: f.name, blob: f as Blob }));
            e.target.value = '';
            if (files.length) void store.getState().slotApi.A.loadFiles(files);
          }} />
      </label>
      <p className="hint">.safetensors (with its config.json if you have it), .pth or .bin. You can also drop them onto the page.</p>
    </div>
  );
}

function cacheName(f: CachedFile): string {
  if (!f.repo) return f.url;
  const known = CATALOGUE.find((e) => e.hub?.repo === f.repo && e.hub.revision === f.revision);
  return `${known ? `${known.title} · ` : ''}${hubLabel(f.repo, f.revision ?? 'main')} / ${f.file}`;
}

function HubCacheList({ cache }: { cache: HubCacheView }) {
  const persisted = useApp((s) => s.storagePersisted);
  const [deleting, setDeleting] = useState(false);
  const remove = async (urls: string[]) => {
    setDeleting(true);
    try {
      await cache.remove(urls);
    } finally {
      setDeleting(false);
    }
  };
  const total = totalSize(cache.files);
  return (
    <div className="cache" data-testid="cache-list" data-status={cache.status} data-count={cache.files.length} data-total={total}>
      <div className="cache-head">
        <h3>Hub downloads kept in this browser</h3>
        <span className="muted" data-testid="cache-total">
          {cache.status === 'ready' && (cache.files.length ? `${cache.files.length} file${cache.files.length > 1 ? 's' : ''}, ${formatBytes(total)}` : 'none')}
          {cache.status === 'loading' && 'reading…'}
        </span>
        <span className={`chip ${persisted ? '' : 'chip-quiet'}`} data-testid="storage-persisted" data-persisted={persisted === null ? '' : String(persisted)}
          title={persisted ? 'The browser will not clear these files to make room' : 'The browser may clear these files when it runs short of space (it is asked to keep them after a hub download)'}>
          storage: {persisted === null ? 'unknown' : persisted ? 'persistent' : 'may be cleared'}
        </span>
        {cache.files.length > 1 && (
          <button type="button" className="button button-quiet button-small" data-testid="cache-clear" disabled={deleting}
            onClick={() => remove(cache.files.map((f) => f.url))}>Delete all</button>
        )}
      </div>
      {cache.status === 'unavailable' && <p className="hint">This page has no Cache Storage here (private browsing, or not served over https), so hub downloads are not kept.</p>}
      {cache.status === 'error' && <p className="hint hint-error">The cache could not be read: {cache.error}</p>}
      {cache.files.length > 0 && (
        <ul className="cache-entries">
          {cache.files.map((f) => (
            <li key={f.url} className="cache-entry" data-testid="cache-entry" data-url={f.url} data-size={f.size ?? ''}>
              <span className="cache-name" title={f.url}>{cacheName(f)}</span>
              <span className="cache-size">{f.size === null ? 'size unknown' : formatBytes(f.size)}</span>
              <button type="button" className="button button-quiet button-small" data-testid="cache-delete" disabled={deleting}
                onClick={() => remove([f.url])} aria-label={`Delete ${cacheName(f)} from this browser`}>Delete</button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The compare control: checkpoint B, loaded in a second worker. */
function CompareSelect() {
  const store = useAppStore();
  const available = useApp((s) => s.slots.B.available);
  const ref = useApp((s) => s.slots.B.ref);
  const busy = useApp((s) => !!s.slots.B.loading);
  const modelReady = useApp((s) => !!s.slots.A.info);
  const id = useId();
  const known = !ref || CATALOGUE.some((e) => e.id === ref);
  const choose = (value: string) => {
    const s = store.getState();
    if (!value) return s.slotApi.B.close();
    const e = catalogueEntry(value);
    const source = e ? sourceForEntry(e, s.settings.hfEndpoint) : null;
    // A hub checkpoint not in this browser yet asks first (with its size), as a link's does.
    if (source?.kind === 'hub' || (!source && value.startsWith('hf:'))) void s.slotApi.B.followLink(value);
    else void (source ? s.slotApi.B.load(source) : s.slotApi.B.loadRef(value));
  };
  return (
    <div className="picker-field compare-field">
      <label htmlFor={id}>Compare with</label>
      <select id={id} data-testid="compare-select" value={ref ?? ''} disabled={!available || !modelReady || busy}
        onChange={(e) => choose(e.target.value)}
        title={available ? 'A second checkpoint (B) reconstructs the same pictures under the same mask' : 'Comparing is not available here'}>
        <option value="">nothing</option>
        {CATALOGUE.filter(loadable).map((e) => <option key={e.id} value={e.id}>B: {e.title}</option>)}
        {!known && <option value={ref!}>B: {ref}</option>}
      </select>
    </div>
  );
}

function Running() {
  const checkpoint = useApp((s) => s.slots.A.checkpoint);
  const info = useApp((s) => s.slots.A.info);
  const compare = useApp((s) => s.slots.B.checkpoint);
  const compareInfo = useApp((s) => s.slots.B.info);
  return (
    <div className="picker-running">
      <span data-testid="picker-current">
        <span className="muted">{compare ? 'A: ' : 'Running: '}</span>
        <strong>{checkpoint?.label ?? '…'}</strong>
        {info && <span className="muted" title={describeModel(info)}> · {formatParams(info.parameters)} params · patch {info.patchSize} px{info.normPixLoss ? ' · normalised-pixel targets' : ''}</span>}
      </span>
      {compare && (
        <span data-testid="picker-compare">
          <span className="muted">B: </span><strong>{compare.label}</strong>
          {compareInfo && <span className="muted" title={describeModel(compareInfo)}> · {formatParams(compareInfo.parameters)} params · patch {compareInfo.patchSize} px</span>}
        </span>
      )}
    </div>
  );
}

export function CheckpointPicker() {
  const store = useAppStore();
  const model = useApp((s) => s.slots.A);
  const compare = useApp((s) => s.slots.B);
  const cache = useHubCache();
  const [open, setOpen] = useState(false);
  const a = store.getState();
  const bodyId = useId();
  return (
    <section className="picker" data-testid="checkpoint-picker" aria-label="Checkpoint" data-open={open ? 'true' : 'false'}>
      <header className="picker-head">
        <h2>Checkpoint</h2>
        <Running />
        <CompareSelect />
        <button type="button" className="button button-small" aria-expanded={open} aria-controls={bodyId} data-testid="picker-toggle"
          onClick={() => setOpen(!open)}>{open ? 'Close' : 'Change…'}</button>
      </header>
      <DownloadPrompt slot="a" pending={model.pendingDownload}
        onConfirm={() => void store.getState().slotApi.A.confirmDownload()} onDismiss={a.slotApi.A.dismissDownload} />
      <DownloadPrompt slot="b" pending={compare.pendingDownload}
        onConfirm={() => void store.getState().slotApi.B.confirmDownload()} onDismiss={a.slotApi.B.dismissDownload} />
      <LoadStatus slot="a" loading={model.loading} progress={model.progress} error={model.loadError}
        running={model.checkpoint?.label ?? null}
        onCancel={a.slotApi.A.cancelLoad} onRetry={() => void store.getState().slotApi.A.retry()} onDismiss={a.slotApi.A.dismissError} />
      <LoadStatus slot="b" loading={compare.loading} progress={compare.progress} error={compare.loadError}
        running={compare.checkpoint?.label ?? null}
        onCancel={a.slotApi.B.cancelLoad} onRetry={() => void store.getState().slotApi.B.retry()} onDismiss={a.slotApi.B.dismissError} />
      {/* Kept in the page while closed (hidden), so its state can be read; opened to use. */}
      <div className="picker-body" id={bodyId} hidden={!open}>
        <ul className="options" aria-label="Checkpoints this page can load">
          {CATALOGUE.filter(loadable).map((e) => <Option key={e.id} e={e} cache={cache} />)}
        </ul>
        <div className="externals">
          <p className="externals-head">
            <strong>The MAE authors’ visualisation checkpoints.</strong>{' '}
            <span className="muted">Their host (dl.fbaipublicfiles.com) does not let web pages download them: download the file, then drop it onto this page or use “Load checkpoint file…”.</span>
          </p>
          <ul className="externals-list" aria-label="Checkpoints to download and drop">
            {CATALOGUE.filter((e) => !loadable(e)).map((e) => <Option key={e.id} e={e} cache={cache} />)}
          </ul>
        </div>
        <div className="picker-fields">
          <HubForm />
          <EndpointInput />
          <FileLoader />
        </div>
        <SavedList />
        <HubCacheList cache={cache} />
      </div>
    </section>
  );
}
