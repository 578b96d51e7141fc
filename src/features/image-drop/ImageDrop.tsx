import { useEffect, useRef, useState } from 'react';
import { useApp, useAppStore } from '../../store/react';
import type { Sample } from './samples';
import { intakeFiles } from './intake';
import { useImageIntake } from './useImageIntake';
import { useSamples } from './useSamples';

/** Scroll slack, in px, under which the strip counts as scrolled to its end. */
const END_SLACK_PX = 4;

/** Whether a horizontal scroller has more than it shows, and whether it is scrolled to its end. */
function useSideScroll(count: number) {
  const ref = useRef<HTMLUListElement>(null);
  const [state, setState] = useState({ overflow: false, atEnd: true });
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const update = () => {
      const overflow = el.scrollWidth > el.clientWidth + END_SLACK_PX;
      const atEnd = el.scrollLeft + el.clientWidth >= el.scrollWidth - END_SLACK_PX;
      setState((s) => (s.overflow === overflow && s.atEnd === atEnd ? s : { overflow, atEnd }));
    };
    update();
    el.addEventListener('scroll', update, { passive: true });
    const ro = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(update);
    ro?.observe(el);
    return () => {
      el.removeEventListener('scroll', update);
      ro?.disconnect();
    };
  }, [count]);
  return [ref, state] as const;
}

function SamplePicker() {
  const samples = useSamples();
  const store = useAppStore();
  const [busy, setBusy] = useState<string | null>(null);
  const [listRef, scroll] = useSideScroll(samples.length);
  if (!samples.length) return null;
  const add = async (s: Sample) => {
    setBusy(s.file);
    try {
      await store.getState().addSample(s.file);
    } catch (e) {
      store.getState().notify('error', (e as Error).message);
    } finally {
      setBusy(null);
    }
  };
  return (
    <div className="samples" data-testid="samples" data-overflow={scroll.overflow} data-at-end={scroll.atEnd}>
      <span className="samples-label">Or try a sample:</span>
      <span className="samples-more" data-testid="samples-more" aria-hidden="true">{samples.length} samples, swipe for more →</span>
      <ul className="samples-list" ref={listRef}>
        {samples.map((s) => (
          <li key={s.file}>
            <button type="button" className="sample" data-testid="sample-button" onClick={() => add(s)} disabled={busy === s.file}
              title={s.credit ? `${s.title} (${s.credit})` : s.title} aria-label={`Add sample photo: ${s.title}`}>
              <img src={s.url} alt="" loading="lazy" decoding="async" width={56} height={56} />
              <span>{s.title}</span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The intake card: file picker, samples, and "remove all". */
export function ImageDrop() {
  const store = useAppStore();
  const count = useApp((s) => s.order.length);
  return (
    <section className="intake" aria-label="Add pictures">
      <div className="dropzone">
        <div className="dropzone-text">
          <strong>Drop pictures anywhere on the page</strong>, paste one, or
        </div>
        <label className="button button-primary file-button">
          Choose files…
          <input
            type="file" multiple accept="image/*" data-testid="image-input" className="visually-hidden"
            onChange={(e) => {
              const files = Array.from(e.target.files ?? []).map((f) => ({ name: f.name, blob: f as Blob }));
              e.target.value = '';
              if (files.length) intakeFiles(store.getState(), files);
            }}
          />
        </label>
        {count > 0 && <RemoveAll count={count} />}
      </div>
      <SamplePicker />
      <UndoRemove />
    </section>
  );
}

/** "Remove all", asking first. */
function RemoveAll({ count }: { count: number }) {
  const store = useAppStore();
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return <button type="button" className="button button-quiet" data-testid="clear-all" onClick={() => setAsking(true)}>Remove all ({count})</button>;
  }
  return (
    <span className="confirm-inline" role="group" aria-label="Confirm removing every picture">
      <span>Remove {count === 1 ? 'the picture' : `all ${count} pictures`} from this page and this browser?</span>
      <button type="button" className="button button-danger" data-testid="clear-all-confirm"
        onClick={() => { setAsking(false); store.getState().clearImages(); }}>Remove</button>
      <button type="button" className="button" data-testid="clear-all-cancel" onClick={() => setAsking(false)}>Keep</button>
    </span>
  );
}

/** After a removal: what went, and a way back. */
function UndoRemove() {
  const store = useAppStore();
  const removed = useApp((s) => s.removed);
  if (!removed) return null;
  const n = removed.entries.length;
  return (
    <p className="undo-bar" role="status" data-testid="undo-bar">
      <span>Removed {n === 1 ? `“${removed.entries[0].name}”` : `${n} pictures`}.</span>
      <button type="button" className="button button-small" data-testid="undo-remove" onClick={() => store.getState().undoRemove()}>Undo</button>
      <button type="button" className="button button-quiet button-small" title="Dismiss" onClick={() => store.getState().dismissRemoved()}>
        <span aria-hidden="true">×</span><span className="visually-hidden">Dismiss</span>
      </button>
    </p>
  );
}

/** Full-window hint while files are dragged over the page; also installs the drop and paste listeners. */
export function DropOverlay() {
  const dragging = useImageIntake();
  if (!dragging) return null;
  return (
    <div className="drop-overlay" data-testid="drop-overlay" aria-hidden="true">
      <div className="drop-overlay-card">Drop to add pictures<span className="drop-overlay-sub">or a checkpoint (.safetensors, .pth, .bin)</span></div>
    </div>
  );
}
