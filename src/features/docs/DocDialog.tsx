// The page's reader for its own documents (model card, credits): a dialog that fetches the
// Markdown file, decodes it as UTF-8 whatever the server says, and draws it as a readable page.
import { useEffect, useRef, useState, type MouseEvent, type ReactNode } from 'react';
import { markdownTitle, parseMarkdown, type MdBlock } from '../../shared/markdown';
import { closeDoc, openDoc, useOpenDoc, type DocRef } from './docs';
import { Markdown } from './Markdown';

type Loaded = { url: string; blocks: MdBlock[]; base: string } | { url: string; error: string };

/** A link to a project document: opens the reader; a modified click (new tab) gets the raw file. */
export function DocLink({ url, title, children, className }: DocRef & { children: ReactNode; className?: string }) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    openDoc({ url, title });
  };
  return <a href={url} onClick={onClick} className={className} data-testid="doc-link">{children}</a>;
}

async function fetchDoc(url: string): Promise<Loaded> {
  const abs = new URL(url, document.baseURI).href;
  try {
    const res = await fetch(abs);
    if (!res.ok) return { url, error: `the document could not be fetched (HTTP ${res.status})` };
    // Bytes, then UTF-8: a server that sends text/markdown without a charset must not garble it.
    const text = new TextDecoder('utf-8').decode(await res.arrayBuffer());
    return { url, blocks: parseMarkdown(text), base: abs };
  } catch (e) {
    return { url, error: `the document could not be fetched (${(e as Error).message})` };
  }
}

/** The reader dialog, shown while a document is open. */
export function DocDialogHost() {
  const doc = useOpenDoc();
  const ref = useRef<HTMLDialogElement>(null);
  const [loaded, setLoaded] = useState<Loaded | null>(null);

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (doc && !d.open) d.showModal();
    if (!doc && d.open) d.close();
  }, [doc]);
  useEffect(() => {
    if (!doc) return;
    let live = true;
    void fetchDoc(doc.url).then((r) => { if (live) setLoaded(r); });
    return () => { live = false; };
  }, [doc]);

  const current = doc && loaded?.url === doc.url ? loaded : null;
  const title = (current && 'blocks' in current && markdownTitle(current.blocks)) || doc?.title || '';
  // The h1 becomes the dialog's title; the rest is the body.
  const blocks = current && 'blocks' in current ? current.blocks : null;
  const firstH1 = blocks ? blocks.findIndex((b) => b.t === 'h' && b.level === 1) : -1;
  const body = blocks ? blocks.filter((_, i) => i !== firstH1) : null;
  return (
    <dialog ref={ref} className="dialog doc-dialog" aria-labelledby="doc-dialog-title" data-testid="doc-dialog"
      onClose={() => closeDoc()} onClick={(e) => { if (e.target === e.currentTarget) closeDoc(); }}>
      {doc && (
        <div className="dialog-inner">
          <header className="dialog-head">
            <h2 id="doc-dialog-title">{title}</h2>
            <a href={doc.url} target="_blank" rel="noopener noreferrer" className="muted dialog-raw">Markdown file</a>
            <button type="button" className="button" onClick={() => closeDoc()} data-testid="doc-close" autoFocus>Close</button>
          </header>
          <div className="doc-body" data-testid="doc-body" data-state={current ? ('error' in current ? 'error' : 'ready') : 'loading'}>
            {!current && <p className="muted">Loading…</p>}
            {current && 'error' in current && <p className="hint-error">Sorry, {current.error}.</p>}
            {body && current && 'base' in current && <Markdown blocks={body} base={current.base} />}
          </div>
        </div>
      )}
    </dialog>
  );
}
