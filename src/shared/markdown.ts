// A tiny Markdown reader for the project's own documents (model card, credits): headings,
// paragraphs, lists, fenced code, tables, emphasis, inline code, links and images. It returns a
// tree of plain data, never HTML, so whoever draws it escapes every character; links and images
// keep only http(s), mailto and relative addresses (no javascript:, data: and the like).

/** Inline content. */
export type MdInline =
  | { t: 'text'; v: string }
  | { t: 'code'; v: string }
  | { t: 'strong'; c: MdInline[] }
  | { t: 'em'; c: MdInline[] }
  | { t: 'link'; href: string; c: MdInline[] }
  | { t: 'img'; src: string; alt: string };

/** Column alignment of a table. */
export type MdAlign = 'left' | 'center' | 'right' | null;

/** Block content. */
export type MdBlock =
  | { t: 'h'; level: 1 | 2 | 3 | 4 | 5 | 6; c: MdInline[] }
  | { t: 'p'; c: MdInline[] }
  | { t: 'ul' | 'ol'; items: MdInline[][] }
  | { t: 'pre'; lang: string; v: string }
  | { t: 'table'; align: MdAlign[]; head: MdInline[][]; rows: MdInline[][][] };

/** Address schemes a link or image may use; anything else is shown as text. */
const SAFE_SCHEME = /^(https?:|mailto:)/i;
/** Any scheme at all (`name:`), to tell relative addresses from absolute ones. */
const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/** Below this code unit, and DEL, characters are controls. */
const SPACE_CODE = 0x20;
const DEL_CODE = 0x7f;

/** Whether an address may become a link or an image: http(s), mailto, or relative. */
export function safeUrl(url: string): boolean {
  const u = url.trim();
  // Control characters and whitespace inside a scheme can smuggle one past the test.
  if (!u || [...u].some((ch) => ch.charCodeAt(0) < SPACE_CODE || ch.charCodeAt(0) === DEL_CODE || /\s/.test(ch))) return false;
  return SAFE_SCHEME.test(u) || (!HAS_SCHEME.test(u) && !u.startsWith('//'));
}

const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const FENCE = /^(```|~~~)\s*([\w-]*)\s*$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const ORDERED = /^\s*\d{1,9}[.)]\s+(.*)$/;
const TABLE_SEPARATOR = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

/** Splits a table row into its cells (outer pipes optional, `\|` is a literal pipe). */
function cells(line: string): string[] {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1);
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === '|') {
      cur += '|';
      i++;
    } else if (s[i] === '|') {
      out.push(cur.trim());
      cur = '';
    } else cur += s[i];
  }
  out.push(cur.trim());
  return out;
}

function alignOf(cell: string): MdAlign {
  const left = cell.startsWith(':');
  const right = cell.endsWith(':');
  return left && right ? 'center' : right ? 'right' : left ? 'left' : null;
}

/** Finds the `)` closing a link target that starts at `from` (balanced parentheses). */
function closingParen(s: string, from: number): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/** Inline Markdown of one block's text. */
export function parseInline(src: string): MdInline[] {
  const out: MdInline[] = [];
  let text = '';
  const flush = () => {
    if (text) out.push({ t: 'text', v: text });
    text = '';
  };
  let i = 0;
  while (i < src.length) {
    const ch = src[i];
    const rest = src.slice(i);
    if (ch === '\\' && i + 1 < src.length && /[\\`*_[\]()<>#!|-]/.test(src[i + 1])) {
      text += src[i + 1];
      i += 2;
      continue;
    }
    if (ch === '`') {
      const end = src.indexOf('`', i + 1);
      if (end > i) {
        flush();
        out.push({ t: 'code', v: src.slice(i + 1, end) });
        i = end + 1;
        continue;
      }
    }
    if (ch === '<') {
      const m = /^<((?:https?:\/\/|mailto:)[^\s<>]+)>/i.exec(rest);
      if (m) {
        flush();
        out.push({ t: 'link', href: m[1], c: [{ t: 'text', v: m[1] }] });
        i += m[0].length;
        continue;
      }
    }
    const image = ch === '!' && src[i + 1] === '[';
    if (ch === '[' || image) {
      const open = image ? i + 1 : i;
      const close = src.indexOf('](', open);
      const end = close > open ? closingParen(src, close + 2) : -1;
      if (end > 0 && !src.slice(open + 1, close).includes('\n')) {
        const label = src.slice(open + 1, close);
        const url = src.slice(close + 2, end).trim().split(/\s+/)[0] ?? '';
        flush();
        if (image) out.push(safeUrl(url) ? { t: 'img', src: url, alt: label } : { t: 'text', v: label });
        else if (safeUrl(url)) out.push({ t: 'link', href: url, c: parseInline(label) });
        else out.push(...parseInline(label));
        i = end + 1;
        continue;
      }
    }
    if (ch === '*' || ch === '_') {
      const double = src[i + 1] === ch;
      const mark = double ? ch + ch : ch;
      const end = src.indexOf(mark, i + mark.length + 1);
      // Intraword underscores (snake_case names) stay text.
      const wordBefore = ch === '_' && /\w/.test(src[i - 1] ?? '');
      if (end > 0 && !wordBefore && !/\s/.test(src[i + mark.length]) && !/\s/.test(src[end - 1])) {
        flush();
        const inner = parseInline(src.slice(i + mark.length, end));
        out.push(double ? { t: 'strong', c: inner } : { t: 'em', c: inner });
        i = end + mark.length;
        continue;
      }
    }
    text += ch;
    i++;
  }
  flush();
  return out;
}

/** Markdown text to blocks (the subset listed above; anything else reads as a paragraph). */
export function parseMarkdown(src: string): MdBlock[] {
  const lines = src.replace(/\r\n?/g, '\n').split('\n');
  const blocks: MdBlock[] = [];
  let i = 0;
  const startsBlock = (line: string, next: string | undefined) =>
    HEADING.test(line) || FENCE.test(line) || BULLET.test(line) || ORDERED.test(line)
    || (line.includes('|') && next !== undefined && TABLE_SEPARATOR.test(next) && next.includes('-'));
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i++;
      continue;
    }
    const h = HEADING.exec(line);
    if (h) {
      blocks.push({ t: 'h', level: h[1].length as 1 | 2 | 3 | 4 | 5 | 6, c: parseInline(h[2]) });
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i].trim().startsWith(fence[1])) body.push(lines[i++]);
      i++; // the closing fence (or the end)
      blocks.push({ t: 'pre', lang: fence[2], v: body.join('\n') });
      continue;
    }
    if (line.includes('|') && i + 1 < lines.length && TABLE_SEPARATOR.test(lines[i + 1]) && lines[i + 1].includes('-')) {
      const head = cells(line);
      const align = cells(lines[i + 1]).map(alignOf);
      const rows: MdInline[][][] = [];
      i += 2;
      while (i < lines.length && lines[i].includes('|') && lines[i].trim()) {
        const row = cells(lines[i++]);
        rows.push(head.map((_, k) => parseInline(row[k] ?? '')));
      }
      blocks.push({ t: 'table', align: head.map((_, k) => align[k] ?? null), head: head.map(parseInline), rows });
      continue;
    }
    const listKind = BULLET.test(line) ? 'ul' : ORDERED.test(line) ? 'ol' : null;
    if (listKind) {
      const marker = listKind === 'ul' ? BULLET : ORDERED;
      const items: string[] = [];
      while (i < lines.length && lines[i].trim()) {
        const m = marker.exec(lines[i]);
        if (m) items.push(m[1]);
        else if (/^\s+/.test(lines[i]) && items.length) items[items.length - 1] += ` ${lines[i].trim()}`;
        else break;
        i++;
      }
      blocks.push({ t: listKind, items: items.map(parseInline) });
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && lines[i].trim() && (para.length === 0 || !startsBlock(lines[i], lines[i + 1]))) para.push(lines[i++].trim());
    blocks.push({ t: 'p', c: parseInline(para.join(' ')) });
  }
  return blocks;
}

/** The document's first level-1 heading as plain text, if any. */
export function markdownTitle(blocks: MdBlock[]): string | null {
  const h = blocks.find((b): b is Extract<MdBlock, { t: 'h' }> => b.t === 'h' && b.level === 1);
  return h ? inlineText(h.c) : null;
}

/** Inline content as plain text. */
export function inlineText(c: MdInline[]): string {
  return c.map((n) => (n.t === 'text' || n.t === 'code' ? n.v : n.t === 'img' ? n.alt : inlineText(n.c))).join('');
}
