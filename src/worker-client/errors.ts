// The error a failed checkpoint load rejects with: the worker's words plus a code the page can act on.
// One class for the readers, the worker and the page (src/shared/errors.ts).
export { LoadError } from '../shared/errors';
