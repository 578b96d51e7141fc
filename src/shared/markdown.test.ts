import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inlineText, markdownTitle, parseInline, parseMarkdown, safeUrl, type MdBlock } from './markdown';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (rel: string) => readFileSync(path.join(ROOT, rel), 'utf8');
const tables = (b: MdBlock[]) => b.filter((x): x is Extract<MdBlock, { t: 'table' }> => x.t === 'table');

describe('markdown reader', () => {
  it('reads the model card: title, headings, tables with every row, images, code', () => {
    const src = read('public/checkpoints/mae-small/README.md');
    const blocks = parseMarkdown(src);
    expect(markdownTitle(blocks)).toBe('MAE-small (MAE Playground)');
    const headings = blocks.flatMap((b) => (b.t === 'h' && b.level === 2 ? [inlineText(b.c)] : []));
    expect(headings).toEqual(['Model', 'Data', 'Training', 'Evaluation', 'Reproduce', 'Limitations']);
    // Every table row of the file (a line starting with "|" that is not a separator or a header).
    const lines = src.split('\n').filter((l) => l.startsWith('|'));
    const separators = lines.filter((l) => /^\|[-|: ]*-[-|: ]*\|$/.test(l)).length;
    expect(tables(blocks).reduce((n, t) => n + t.rows.length, 0)).toBe(lines.length - 2 * separators);
    const evalTable = tables(blocks).find((t) => inlineText(t.head[0]) === 'mask ratio')!;
    expect(evalTable.rows.map((r) => inlineText(r[0]))).toEqual(['0.50', '0.75', '0.90']);
    expect(evalTable.rows[1][1]).toEqual([{ t: 'strong', c: [{ t: 'text', v: '19.22 ± 3.94' }] }]);
    const images = JSON.stringify(blocks).match(/"t":"img"[^}]*/g) ?? [];
    expect(images.map((s) => /"src":"([^"]+)"/.exec(s)![1])).toEqual(['loss.png', 'reconstructions.png']);
    expect(blocks.some((b) => b.t === 'pre' && b.lang === 'sh' && b.v.includes('training/train.py'))).toBe(true);
    // Unicode survives as written (the page decodes UTF-8 itself).
    expect(JSON.stringify(blocks)).toContain('224 × 224');
  });

  it('reads the credits table and its autolinks', () => {
    const blocks = parseMarkdown(read('public/samples/CREDITS.md'));
    expect(markdownTitle(blocks)).toBe('Sample photo credits');
    const [t] = tables(blocks);
    expect(t.head.map(inlineText)).toEqual(['file', 'size', 'source', 'author / copyright', 'licence', 'split']);
    expect(t.rows.map((r) => inlineText(r[0]))).toEqual(
      (JSON.parse(read('public/samples/index.json')) as { file: string }[]).map((s) => s.file));
    const json = JSON.stringify(blocks);
    expect(json).toContain('"href":"https://creativecommons.org/licenses/by-sa/3.0/"');
    expect(json).toContain('© 2011');
  });

  it('never keeps a script address, and escapes nothing itself (text stays text)', () => {
    expect(parseInline('[x](javascript:alert(1))')).toEqual([{ t: 'text', v: 'x' }]);
    expect(parseInline('![x](data:image/png;base64,AAAA)')).toEqual([{ t: 'text', v: 'x' }]);
    expect(parseInline('[x]( JAVASCRIPT:alert(1))')).toEqual([{ t: 'text', v: 'x' }]);
    expect(parseInline('<script>alert(1)</script>')).toEqual([{ t: 'text', v: '<script>alert(1)</script>' }]);
    expect(safeUrl('java\tscript:x')).toBe(false);
    expect(safeUrl('//evil.example/x')).toBe(false);
    expect(safeUrl('https://example.org/a_(b)')).toBe(true);
    expect(safeUrl('loss.png')).toBe(true);
  });

  it('keeps snake_case names and lone asterisks as text; reads emphasis, code and links', () => {
    expect(parseInline('norm_pix_loss off')).toEqual([{ t: 'text', v: 'norm_pix_loss off' }]);
    expect(parseInline('2 * 3 * 4')).toEqual([{ t: 'text', v: '2 * 3 * 4' }]);
    expect(parseInline('*a* and `b_c` and [d](e.md)')).toEqual([
      { t: 'em', c: [{ t: 'text', v: 'a' }] }, { t: 'text', v: ' and ' }, { t: 'code', v: 'b_c' }, { t: 'text', v: ' and ' },
      { t: 'link', href: 'e.md', c: [{ t: 'text', v: 'd' }] },
    ]);
  });

  it('reads lists, with continuation lines', () => {
    expect(parseMarkdown('- one\n  more\n- two\n\n1. a\n2. b')).toEqual([
      { t: 'ul', items: [[{ t: 'text', v: 'one more' }], [{ t: 'text', v: 'two' }]] },
      { t: 'ol', items: [[{ t: 'text', v: 'a' }], [{ t: 'text', v: 'b' }]] },
    ]);
  });
});
