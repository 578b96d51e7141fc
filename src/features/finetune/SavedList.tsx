// The fine-tuned checkpoints kept in this browser, in the checkpoint picker: each with its training
// summary, to load or delete.
import { useEffect, useState } from 'react';
import { useApp, useAppStore } from '../../store/react';
import { formatBytes } from '../checkpoint/format';

/** Losses in the summary are shown with this many significant digits. */
const LOSS_DIGITS = 4;

export function SavedList() {
  const store = useAppStore();
  const saved = useApp((s) => s.finetune.saved);
  const ref = useApp((s) => s.slots.A.ref);
  const busy = useApp((s) => !!s.slots.A.loading);
  const [deleting, setDeleting] = useState(false);
  useEffect(() => {
    if (store.getState().finetune.saved === null) void store.getState().refreshSaved();
  }, [store]);
  return (
    <div className="cache" data-testid="saved-list" data-count={saved?.length ?? ''}>
      <div className="cache-head">
        <h3>Fine-tuned here, kept in this browser</h3>
        <span className="muted">{saved === null ? 'reading…' : saved.length ? `${saved.length}` : 'none yet (train one under “Teach it your photos”)'}</span>
      </div>
      {!!saved?.length && (
        <ul className="cache-entries">
          {saved.map((m) => {
            const inUse = ref === `saved:${m.id}`;
            return (
              <li key={m.id} className="cache-entry" data-testid="saved-entry" data-id={m.id}>
                <span className="cache-name" title={`from ${m.base}`}>
                  <strong>{m.label}</strong>{' '}
                  <span className="muted">
                    {m.steps} steps on {m.images} picture{m.images === 1 ? '' : 's'} (batch {m.batchSize}) · final loss {m.finalLoss === null ? '–' : m.finalLoss.toPrecision(LOSS_DIGITS)} · {new Date(m.savedAt).toLocaleString()}
                  </span>
                </span>
                <span className="cache-size">{formatBytes(m.bytes)}</span>
                <button type="button" className="button button-small" data-testid="saved-load" disabled={busy || inUse}
                  onClick={() => void store.getState().loadSaved(m.id)}>{inUse ? 'Loaded' : 'Load'}</button>
                <button type="button" className="button button-quiet button-small" data-testid="saved-delete" disabled={deleting}
                  aria-label={`Delete ${m.label} from this browser`}
                  onClick={async () => {
                    setDeleting(true);
                    try {
                      await store.getState().deleteSaved(m.id);
                    } finally {
                      setDeleting(false);
                    }
                  }}>Delete</button>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
