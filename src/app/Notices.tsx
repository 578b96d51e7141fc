import { useEffect } from 'react';
import { useApp, useAppStore } from '../store/react';

const AUTO_DISMISS_MS = 8000;

export function Notices() {
  const notices = useApp((s) => s.notices);
  const store = useAppStore();
  useEffect(() => {
    const timers = notices.filter((n) => n.kind === 'info').map((n) => setTimeout(() => store.getState().dismissNotice(n.id), AUTO_DISMISS_MS));
    return () => timers.forEach(clearTimeout);
  }, [notices, store]);
  if (!notices.length) return null;
  return (
    <div className="toasts" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} className={`toast toast-${n.kind}`} role={n.kind === 'info' ? 'status' : 'alert'} data-testid="notice">
          <span>{n.text}</span>
          <button type="button" className="toast-close" onClick={() => store.getState().dismissNotice(n.id)} aria-label="Dismiss">×</button>
        </div>
      ))}
    </div>
  );
}
