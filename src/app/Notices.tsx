// Passing notices, in the page's flow under the header (so they never cover the panels or a
// button): information and warnings leave by themselves, errors stay until dismissed; a notice
// that repeats what an inline message already says is not shown twice.
import { useEffect, useMemo, useRef, useState } from 'react';
import { sentence } from '../store/loading';
import { useApp, useAppStore } from '../store/react';
import type { Notice } from '../store/types';

/** How long a notice stays, in ms, by kind; null: until dismissed. */
export const NOTICE_DISMISS_MS: Readonly<Record<Notice['kind'], number | null>> = { info: 6000, warning: 10_000, error: null };
/** Most notices shown at once (the newest); older ones wait behind "n more". */
export const MAX_NOTICES_SHOWN = 3;

/** The sentences the page already shows inline (load failures of A and B, the model error). */
function useInlineTexts(): string[] {
  const a = useApp((s) => s.slots.A.loadError?.message ?? null);
  const b = useApp((s) => s.slots.B.loadError?.message ?? null);
  const modelError = useApp((s) => s.slots.A.error);
  return useMemo(() => [a && sentence(a), b && sentence(b), modelError].filter((t): t is string => !!t), [a, b, modelError]);
}

export function Notices() {
  const notices = useApp((s) => s.notices);
  const store = useAppStore();
  const inline = useInlineTexts();
  const [paused, setPaused] = useState(false);
  const region = useRef<HTMLDivElement>(null);

  const repeated = (n: Notice) => inline.some((t) => n.text.includes(t));
  // A notice repeating an inline message leaves at once.
  useEffect(() => {
    for (const n of notices) if (inline.some((t) => n.text.includes(t))) store.getState().dismissNotice(n.id);
  }, [notices, inline, store]);
  // Timers restart when the pointer or focus leaves the notices (reading one keeps it).
  useEffect(() => {
    if (paused) return;
    const timers = notices.flatMap((n) => {
      const ms = NOTICE_DISMISS_MS[n.kind];
      return ms === null ? [] : [setTimeout(() => store.getState().dismissNotice(n.id), ms)];
    });
    return () => timers.forEach(clearTimeout);
  }, [notices, paused, store]);

  const visible = notices.filter((n) => !repeated(n));
  const shown = visible.slice(-MAX_NOTICES_SHOWN);
  const hiddenCount = visible.length - shown.length;
  return (
    <div className="notices" ref={region} aria-live="polite" data-testid="notices"
      onPointerEnter={() => setPaused(true)} onPointerLeave={() => setPaused(false)}
      onFocus={() => setPaused(true)}
      onBlur={(e) => { if (!region.current?.contains(e.relatedTarget as Node | null)) setPaused(false); }}>
      {shown.map((n) => (
        <div key={n.id} className={`notice notice-${n.kind}`} role={n.kind === 'error' ? 'alert' : 'status'} data-testid="notice" data-kind={n.kind}
          onKeyDown={(e) => { if (e.key === 'Escape') store.getState().dismissNotice(n.id); }}>
          <span className="notice-text">{n.text}</span>
          <button type="button" className="notice-close" onClick={() => store.getState().dismissNotice(n.id)}
            data-testid="notice-dismiss" title="Dismiss"><span aria-hidden="true">×</span><span className="visually-hidden">Dismiss</span></button>
        </div>
      ))}
      {hiddenCount > 0 && (
        <div className="notice notice-more">
          <span>{hiddenCount} older {hiddenCount > 1 ? 'notices' : 'notice'}</span>
          <button type="button" className="button button-quiet button-small" onClick={() => visible.forEach((n) => store.getState().dismissNotice(n.id))}>
            Dismiss all
          </button>
        </div>
      )}
    </div>
  );
}
