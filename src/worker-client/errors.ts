// The error a failed checkpoint load rejects with: the worker's words plus a code the page can act on.
import type { LoadErrorCode } from '../protocol/messages';

/** A failed (or cancelled) load: `code` says what kind of failure, `status` the HTTP status for code 'server'. */
export class LoadError extends Error {
  constructor(message: string, readonly code: LoadErrorCode = 'other', readonly status?: number) {
    super(message);
    this.name = 'LoadError';
  }
}
