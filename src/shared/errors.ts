// The one error a failed checkpoint load is: thrown by the readers (worker, command line), carried
// across the worker protocol as `code` + `status`, and rebuilt by the worker client. Pure: no tf, no DOM.
// Its message is always one printable line, whatever a file or a server put into it.

/** What kind of failure a load error is, set where it arises so the page need not read its words. */
export type LoadErrorCode =
  | 'network' | 'not-found' | 'server' | 'truncated' | 'cancelled' | 'not-a-checkpoint' | 'encoder-only'
  | 'unsupported' | 'out-of-memory' | 'other';

/** Longest message a LoadError keeps, in characters (longer ones end in "…"). */
export const MAX_MESSAGE_CHARS = 600;
/** Longest name (tensor, global, file, key) quoted inside a message, in characters. */
export const MAX_QUOTED_NAME_CHARS = 80;

const ELLIPSIS = '…';
/** C0 and C1 control characters, DEL, and the Unicode line and paragraph separators. */
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

function escapeControl(c: string): string {
  const code = c.charCodeAt(0);
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Text from a file or a server made safe to print: control characters escaped (so no extra lines,
 * no terminal escape codes), cut to `max` characters.
 */
export function printable(text: string, max = MAX_MESSAGE_CHARS): string {
  // Cut before escaping, so a 2 GB string is never copied whole.
  const head = text.length > max ? text.slice(0, max) : text;
  const safe = head.replace(CONTROL_RE, escapeControl);
  return safe.length > max || text.length > max ? `${safe.slice(0, max - 1)}${ELLIPSIS}` : safe;
}

/** A name from a file for a message: printable and at most MAX_QUOTED_NAME_CHARS long. */
export const nameOf = (name: string): string => printable(name, MAX_QUOTED_NAME_CHARS);

/**
 * A failed (or cancelled) checkpoint load: `code` says what kind of failure, `status` the HTTP status
 * for code 'server'. The message is made printable (one line, control characters escaped, bounded).
 */
export class LoadError extends Error {
  constructor(message: string, readonly code: LoadErrorCode = 'other', readonly status?: number) {
    super(printable(message));
    this.name = 'LoadError';
  }
}
