// One reconstruction request per image row, newest wins: the bookkeeping shared by the main rows
// (checkpoint A) and the compare rows (checkpoint B).
import type { Reconstruction } from '../worker-client/types';

/** Per-row state of requests: the last signature asked for and the token of the newest request. */
export interface RequestBook {
  requested: Map<string, string>;
  tokens: Map<string, number>;
}

/** What happens to a row as its request starts and ends. */
export interface RequestHandlers {
  /** Called before sending (mark the row pending). */
  start(): void;
  /** The newest request's result. */
  done(r: Reconstruction): void;
  /** Resolved to null (superseded or cancelled): the next refresh may ask again. */
  dropped(): void;
  /** The newest request failed. */
  failed(err: unknown): void;
}

/**
 * Sends `send()` for `key` unless a request with the same `signature` is already out; only the
 * newest request of a row reaches the handlers, whatever order answers arrive in.
 */
export function requestLatest(book: RequestBook, token: number, key: string, signature: string,
  send: () => Promise<Reconstruction | null>, on: RequestHandlers): void {
  if (book.requested.get(key) === signature) return;
  book.requested.set(key, signature);
  book.tokens.set(key, token);
  on.start();
  let p: Promise<Reconstruction | null>;
  try {
    p = send();
  } catch (err) {
    p = Promise.reject(err);
  }
  const current = () => {
    if (book.tokens.get(key) !== token) return false;
    book.tokens.delete(key);
    return true;
  };
  p.then((r) => {
    if (!current()) return;
    if (r === null) {
      book.requested.delete(key);
      on.dropped();
    } else on.done(r);
  }, (err) => {
    if (!current()) return;
    book.requested.delete(key);
    on.failed(err);
  });
}
