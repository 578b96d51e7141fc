// What the page is running: the checkpoint label (honest about random weights) and the model.
import { useApp } from '../../store/react';
import { describeModel, formatParams } from './format';

export function CheckpointStatus() {
  const checkpoint = useApp((s) => s.slots.A.checkpoint);
  const info = useApp((s) => s.slots.A.info);
  const fallbackReason = useApp((s) => s.slots.A.fallbackReason);
  const phase = useApp((s) => s.slots.A.phase);
  const progress = useApp((s) => s.slots.A.progress);
  const random = checkpoint?.kind === 'random';

  let label: string;
  if (checkpoint) label = checkpoint.label;
  else if (phase === 'loading') label = progress ? `loading (${progress.stage}${progress.total ? ` ${Math.round((100 * progress.loaded) / progress.total)} %` : ''})…` : 'loading…';
  else label = phase === 'error' ? 'none' : '…';

  return (
    <span className="checkpoint-status">
      <span className={`chip ${random ? 'chip-warn' : ''}`} data-testid="status-checkpoint" data-kind={checkpoint?.kind ?? ''}
        title={fallbackReason ?? checkpoint?.notes.join('\n') ?? undefined}>
        {random && <span aria-hidden="true">⚠ </span>}
        {label}
      </span>
      {info && (
        <span className="chip chip-quiet" data-testid="status-model" title={describeModel(info)}>
          {formatParams(info.parameters)} params · patch {info.patchSize} px
        </span>
      )}
    </span>
  );
}

/** The honest banner when the bundled checkpoint is missing and random weights run instead. */
export function FallbackBanner() {
  const reason = useApp((s) => s.slots.A.fallbackReason);
  if (!reason) return null;
  return (
    <div className="banner banner-warn" role="note" data-testid="fallback-banner">
      <strong>Random weights, for testing.</strong> {reason}
    </div>
  );
}
