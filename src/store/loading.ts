// Checkpoint loads as the page shows them: download rate and time left from the worker's
// progress events, and what a failed load's message means (so the page can offer a retry).
import type { CheckpointSource } from '../protocol/messages';

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

/** Classifies the message a failed load rejected with (the worker's words; see src/checkpoints). */
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
