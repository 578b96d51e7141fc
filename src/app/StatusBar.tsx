// Backend, checkpoint, model, timing of the last reconstruction, readiness and restart messages.
import { useState } from 'react';
import type { BackendName } from '../protocol/messages';
import { CheckpointStatus } from '../features/checkpoint/CheckpointStatus';
import { formatMs } from '../features/metrics/format';
import { BACKENDS } from '../store/settings';
import { useApp, useAppStore } from '../store/react';
import type { SlotPhase } from '../store/types';
import { reloadWithBackend } from './urlSync';

const PHASE_TEXT: Record<SlotPhase, string> = {
  off: 'off',
  idle: 'starting…',
  starting: 'starting the model…',
  loading: 'loading the checkpoint…',
  ready: 'ready',
  restarting: 'restarting…',
  error: 'not available',
};

const BACKEND_NAMES: Record<BackendName, string> = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WebAssembly', cpu: 'CPU (slow)' };

function PhaseChip() {
  const phase = useApp((s) => s.slots.A.phase);
  const progress = useApp((s) => s.slots.A.progress);
  const switching = useApp((s) => s.slots.A.phase === 'ready' && !!s.slots.A.loading);
  let text = PHASE_TEXT[phase];
  if (phase === 'loading' && progress?.total) text = `loading ${Math.round((100 * progress.loaded) / progress.total)} %…`;
  else if (switching) text = progress?.total && progress.stage !== 'parsing' ? `ready · loading another ${Math.round((100 * progress.loaded) / progress.total)} %` : 'ready · loading another…';
  return (
    <span className={`chip phase phase-${phase}`} data-testid="status-phase" data-phase={phase}>
      <span className="dot" aria-hidden="true" />
      {text}
    </span>
  );
}

function BackendChip() {
  const store = useAppStore();
  const backend = useApp((s) => s.slots.A.backend);
  const notes = useApp((s) => s.slots.A.backendNotes);
  const override = useApp((s) => s.settings.backend);
  return (
    <span className="chip backend" title={notes.join('\n') || undefined}>
      <span data-testid="status-backend" data-backend={backend ?? ''}>{backend ? BACKEND_NAMES[backend] : '…'}</span>
      <select
        aria-label="Backend" data-testid="backend-select" className="backend-select" value={override ?? 'auto'}
        onChange={(e) => reloadWithBackend(store, e.target.value === 'auto' ? null : (e.target.value as BackendName))}
        title="Choose a backend (reloads the page)"
      >
        <option value="auto">auto</option>
        {BACKENDS.map((b) => <option key={b} value={b}>force {BACKEND_NAMES[b]}</option>)}
      </select>
    </span>
  );
}

function Timing() {
  const t = useApp((s) => s.slots.A.lastTimings);
  const at = useApp((s) => s.slots.A.lastAt);
  if (!t) return null;
  return (
    <span className="chip chip-quiet" data-testid="status-timing"
      title={at ? `at ${new Date(at).toLocaleTimeString()}; the model alone took ${formatMs(t.modelMs)}` : undefined}>
      last: {formatMs(t.totalMs)}
    </span>
  );
}

export function StatusBar() {
  const message = useApp((s) => s.slots.A.message);
  return (
    <div className="statusbar" role="group" aria-label="Model status">
      <PhaseChip />
      <BackendChip />
      <CheckpointStatus />
      <Timing />
      <span className="status-message" role="status" data-testid="status-message">{message}</span>
    </div>
  );
}

/** Says once, in the page, that the backend the visitor (or a link) forced could not start and which one runs instead. */
export function BackendFallbackBanner() {
  const store = useAppStore();
  const backend = useApp((s) => s.slots.A.backend);
  const notes = useApp((s) => s.slots.A.backendNotes);
  const forced = useApp((s) => s.settings.backend);
  const phase = useApp((s) => s.slots.A.phase);
  const [dismissed, setDismissed] = useState(false);
  if (dismissed || !forced || !backend || forced === backend || phase === 'restarting') return null;
  // The worker's note on the forced backend ends with why it failed, in brackets.
  const why = notes.find((n) => n.startsWith(forced))?.match(/\((.*)\)$/)?.[1];
  return (
    <div className="banner banner-warn banner-row" role="status" data-testid="backend-fallback" data-forced={forced} data-backend={backend}>
      <p>
        <strong>{BACKEND_NAMES[forced]} cannot run here</strong>{why ? ` (${why})` : ''}, so the
        model runs on <strong>{BACKEND_NAMES[backend]}</strong> instead.
      </p>
      <div className="banner-actions">
        <button type="button" className="button button-small" data-testid="backend-auto" onClick={() => reloadWithBackend(store, null)}>
          Choose automatically
        </button>
        <button type="button" className="button button-quiet button-small" onClick={() => setDismissed(true)}>Dismiss</button>
      </div>
    </div>
  );
}

export function ModelError() {
  const error = useApp((s) => s.slots.A.error);
  if (!error) return null;
  return (
    <div className="banner banner-error" role="alert" data-testid="model-error">
      <strong>The model cannot run.</strong> {error} Try another backend from the status bar, or reload.
    </div>
  );
}
