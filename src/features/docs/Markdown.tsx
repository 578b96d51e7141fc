// Draws the Markdown reader's tree (src/shared/markdown.ts) as React elements: every character is
// text to React, so nothing in a document can add markup or run.
import type { ReactNode } from 'react';
import type { MdBlock, MdInline } from '../../shared/markdown';

/** An address of the document resolved against the document's own URL. */
const resolve = (url: string, base: string) => {
  try {
    return new URL(url, base).href;
  } catch {
    return url;
  }
};

function Inline({ c, base }: { c: MdInline[]; base: string }): ReactNode {
  return c.map((n, i) => {
    switch (n.t) {
      case 'text': return n.v;
      case 'code': return <code key={i}>{n.v}</code>;
      case 'strong': return <strong key={i}><Inline c={n.c} base={base} /></strong>;
      case 'em': return <em key={i}><Inline c={n.c} base={base} /></em>;
      case 'link': return <a key={i} href={resolve(n.href, base)} target="_blank" rel="noopener noreferrer"><Inline c={n.c} base={base} /></a>;
      case 'img': return <img key={i} src={resolve(n.src, base)} alt={n.alt} loading="lazy" />;
    }
  });
}

/** A parsed Markdown document; relative links and images resolve against `base` (the file's URL). */
export function Markdown({ blocks, base }: { blocks: MdBlock[]; base: string }) {
  return (
    <>
      {blocks.map((b, i) => {
        switch (b.t) {
          case 'h': {
            // The dialog's title is the document's h1; headings inside start one level lower.
            const Tag = `h${Math.min(6, b.level + 1)}` as 'h2';
            return <Tag key={i}><Inline c={b.c} base={base} /></Tag>;
          }
          case 'p': return <p key={i}><Inline c={b.c} base={base} /></p>;
          case 'ul': return <ul key={i}>{b.items.map((it, k) => <li key={k}><Inline c={it} base={base} /></li>)}</ul>;
          case 'ol': return <ol key={i}>{b.items.map((it, k) => <li key={k}><Inline c={it} base={base} /></li>)}</ol>;
          case 'pre': return <pre key={i}><code>{b.v}</code></pre>;
          case 'table':
            return (
              <div key={i} className="doc-table" tabIndex={0} role="group" aria-label="Table (scrolls sideways)">
                <table>
                  {b.head.some((h) => h.length > 0) && (
                    <thead><tr>{b.head.map((h, k) => <th key={k} style={{ textAlign: b.align[k] ?? undefined }}><Inline c={h} base={base} /></th>)}</tr></thead>
                  )}
                  <tbody>
                    {b.rows.map((r, k) => (
                      <tr key={k}>{r.map((cell, j) => <td key={j} style={{ textAlign: b.align[j] ?? undefined }}><Inline c={cell} base={base} /></td>)}</tr>
                    ))}
                  </tbody>
                </table>
              </div>
            );
        }
      })}
    </>
  );
}
