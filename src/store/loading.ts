// Checkpoint loads as the page shows them: download rate and time left from the worker's
// progress events, and what a failed load's message means (so the page can offer a retry).
import type { CheckpointSource, LoadErrorCode } from '../protocol/messages';
import { LoadError } from '../worker-client/errors';

/** Rate is measured over this much recent time, in ms. */
export const RATE_WINDOW_MS = 4000;
/** No rate is shown before this much time has passed in a stage, in ms (the first figures are noise). */
export const RATE_MIN_SPAN_MS = 600;

export interface LoadProgress {
  loaded: number;
  total: number | null;
  /** The file being downloaded, or 'parsing'. */
  stage: string;
  /** Bytes a second over the last few seconds; null until measurable. */
  rate: number | null;
  /** Seconds left at that rate; null when unknown. */
  etaS: number | null;
}

/** Recent (time, bytes) samples of one stage. */
export interface RateMeter {
  stage: string;
  samples: { t: number; loaded: number }[];
}

/**
 * Adds a progress sample; returns the new meter and the progress to show. A new stage, or bytes
 * going backwards (a retry), starts the measurement afresh.
 */
export function meterUpdate(meter: RateMeter | null, e: { loaded: number; total: number | null; stage: string }, t: number): { meter: RateMeter; progress: LoadProgress } {
  const prev = meter && meter.stage === e.stage && (meter.samples.at(-1)?.loaded ?? 0) <= e.loaded ? meter.samples : [];
  const samples = [...prev, { t, loaded: e.loaded }];
  // Keep one sample older than the window, so the window is always spanned when possible.
  let from = 0;
  while (from < samples.length - 2 && t - samples[from + 1].t >= RATE_WINDOW_MS) from++;
  const kept = samples.slice(from);
  const first = kept[0];
  const span = t - first.t;
  const rate = span >= RATE_MIN_SPAN_MS ? ((e.loaded - first.loaded) * 1000) / span : null;
  return { meter: { stage: e.stage, samples: kept }, progress: { ...e, rate, etaS: etaSeconds(e.loaded, e.total, rate) } };
}

/** Seconds left: 0 when done, null when the total or the rate is unknown. */
export function etaSeconds(loaded: number, total: number | null, rate: number | null): number | null {
  if (total === null || !Number.isFinite(total)) return null;
  if (loaded >= total) return 0;
  if (rate === null || !(rate > 0)) return null;
  return (total - loaded) / rate;
}

/** What went wrong with a load, for the words and the buttons the page shows. */
export type FailureKind = 'network' | 'cancelled' | 'not-a-checkpoint' | 'encoder-only' | 'too-large' | 'not-found' | 'other';

/** HTTP statuses that mean the hub will not show the repository without a login (it answers 401 for a missing one too). */
const LOGIN_STATUSES: ReadonlySet<number> = new Set([401, 403]);
/** HTTP statuses worth a retry later: too many requests, and any server error (5xx). */
const BUSY_STATUS = 429;
const FIRST_SERVER_ERROR = 500;

/** What the page makes of a load error's code; code 'other' falls back to reading the message. */
export function failureKindOf(code: LoadErrorCode, message: string, status?: number): FailureKind {
  switch (code) {
    case 'network':
    case 'truncated':
      return 'network';
    case 'server':
      if (status !== undefined && LOGIN_STATUSES.has(status)) return 'not-found';
      return status !== undefined && (status === BUSY_STATUS || status >= FIRST_SERVER_ERROR) ? 'network' : 'other';
    case 'not-found':
    case 'cancelled':
    case 'not-a-checkpoint':
    case 'encoder-only':
      return code;
    case 'unsupported':
      return 'not-a-checkpoint';
    case 'out-of-memory':
      return 'too-large';
    case 'other':
      return classifyFailure(message);
  }
}

/** Classifies what a failed load rejected with: by its code when it is a LoadError, else by its words. */
export function classifyLoadError(e: unknown): FailureKind {
  const message = (e instanceof Error ? e.message : String(e)) || 'unknown error';
  return e instanceof LoadError ? failureKindOf(e.code, message, e.status) : classifyFailure(message);
}

/** Classifies a failure message by its words: the fallback for errors without a code (see src/checkpoints). */
export function classifyFailure(message: string): FailureKind {
  const m = message.toLowerCase();
  if (m === 'cancelled' || m.startsWith('cancelled')) return 'cancelled';
  if (/no decoder|encoder-only/.test(m)) return 'encoder-only';
  if (/does not fit in this device's memory|out of memory|\boom\b|allocation|array buffer allocation|too large/.test(m)) return 'too-large';
  if (/not a checkpoint|not an mae checkpoint|has neither|is not valid json|no checkpoint at|missing \d+ tensor|tensor\(s\) this mae does not use|legacy \(pre-1\.6\)|unsupported dtype/.test(m)) return 'not-a-checkpoint';
  if (/answered 40[134]|not found:/.test(m)) return 'not-found';
  if (/network error|failed to fetch|broke off|truncated|answered 5\d\d|answered 429|empty response|timed? ?out/.test(m)) return 'network';
  return 'other';
}

/** A retry may help (the network, a server hiccup). */
export const retryable = (kind: FailureKind): boolean => kind === 'network' || kind === 'cancelled' || kind === 'other';

/** A failed (or cancelled) load, kept for the page until the next load. */
export interface LoadFailure {
  label: string;
  /** Its URL reference, when a link can name it. */
  ref: string | null;
  kind: FailureKind;
  /** The rejection message, word for word. */
  message: string;
  /** What Retry loads again; null where a retry makes no sense (a dropped file is not kept). */
  retry: CheckpointSource | null;
}

/** A hub download a link asked for, waiting for the visitor's yes (a link never starts one by itself). */
export interface PendingDownload {
  /** Its URL reference (the catalogue's id, where the catalogue knows it). */
  ref: string | null;
  /** What Download loads. */
  source: CheckpointSource;
}

/** A load in flight. */
export interface LoadInFlight {
  label: string;
  ref: string | null;
  kind: CheckpointSource['kind'];
}

/** One line for a failure, before the message itself. */
export function failureHeadline(f: Pick<LoadFailure, 'kind' | 'label'>): string {
  switch (f.kind) {
    case 'cancelled': return `Loading “${f.label}” was cancelled.`;
    case 'network': return `“${f.label}” could not be downloaded.`;
    case 'not-found': return `“${f.label}” was not found (or needs a login the page does not have).`;
    case 'not-a-checkpoint': return `“${f.label}” is not an MAE checkpoint this page can read.`;
    case 'encoder-only': return `“${f.label}” is an encoder-only checkpoint: it has no decoder, so it cannot paint patches back.`;
    case 'too-large': return `“${f.label}” is too large for this device's memory.`;
    case 'other': return `“${f.label}” could not be loaded.`;
  }
}

/** A message as a sentence: a full stop added unless it ends with one (or another closing mark). */
export const sentence = (msg: string): string => (/[.!?…]$/.test(msg.trim()) ? msg.trim() : `${msg.trim()}.`);
