// One panel, larger, in a modal dialog (Escape, the Close button or a click outside closes it).
import { useEffect, useId, useRef, type ReactNode } from 'react';

export function PanelDialog({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog ref={ref} className="dialog panel-dialog" aria-labelledby={titleId} data-testid="panel-dialog"
      onClose={onClose} onClick={(e) => { if (e.target === e.currentTarget) onClose(); }}>
      <div className="dialog-inner">
        <header className="dialog-head">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="button" onClick={onClose} data-testid="panel-dialog-close" autoFocus>Close</button>
        </header>
        {children}
      </div>
    </dialog>
  );
}
