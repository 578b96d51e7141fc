// Failed loads as the worker reports them: the words for the visitor, and a code the page acts on.
import type { WorkerResponse } from '../protocol/messages';
import { LoadError, printable } from '../shared/errors';

type ErrorResponse = Extract<WorkerResponse, { type: 'error' }>;

/** What a failed model build or warm-up says when the device ran out of memory. */
const OUT_OF_MEMORY_RE = /memory|allocat|OOM/i;

/** Whether an error says the device ran out of memory. */
export const isOutOfMemory = (e: unknown): boolean => OUT_OF_MEMORY_RE.test(e instanceof Error ? e.message : String(e));

const messageOf = (e: unknown): string => printable(e instanceof Error ? e.message : String(e));

/** The response for a load that failed before install: a LoadError's code (and status) travel with it. */
export function loadFailed(id: number, e: unknown): ErrorResponse {
  const message = messageOf(e);
  if (!(e instanceof LoadError)) return { type: 'error', id, message, fatal: false, code: 'other' };
  return { type: 'error', id, message, fatal: false, code: e.code, ...(e.status === undefined ? {} : { status: e.status }) };
}

/** The response for a model that could not be built or warmed up: out of memory, or other. */
export function installFailed(id: number, e: unknown): ErrorResponse {
  const message = messageOf(e);
  return OUT_OF_MEMORY_RE.test(message)
    ? { type: 'error', id, message: `the checkpoint does not fit in this device's memory (${message})`, fatal: false, code: 'out-of-memory' }
    : { type: 'error', id, message, fatal: false, code: 'other' };
}
