// Slider lookahead: a slot keeps its recent reconstructions (ResultCache) and, while the model is
// idle and quick, reconstructs the masks of the slider's neighbouring ratios before the visitor
// asks (nextLookaheadRatios), so a step onto one of them is drawn from memory in the same frame.
import type { Reconstruction } from '../worker-client/types';
import { MAX_RATIO_PCT } from '../shared/masking';

/** Bytes of reconstructions one slot keeps (least recently used dropped first): about 80 pictures at 224 px. */
export const RESULT_CACHE_BYTES = 48 * 1024 * 1024;
/** Ratios looked ahead in the slider's last direction of travel, in whole percent steps. */
export const LOOKAHEAD_AHEAD_STEPS = 8;
/** Ratios looked ahead the other way, in whole percent steps. */
export const LOOKAHEAD_BEHIND_STEPS = 2;
/**
 * Lookahead runs only for models whose last reconstruction took at most this long, in ms: a guess
 * in the worker delays the visitor's next real request by up to one reconstruction.
 */
export const LOOKAHEAD_MAX_MS = 300;

/** Bytes a reconstruction holds (its pixels, composite and error map). */
export const reconstructionBytes = (r: Reconstruction): number =>
  r.reconstruction.data.byteLength + r.pasted.data.byteLength + r.errorMap.byteLength;

/**
 * Reconstructions by picture and request signature, least recently used dropped past a byte
 * budget. Entries are shared, never copied: callers must not write into them.
 */
export class ResultCache {
  private readonly entries = new Map<string, { value: Reconstruction; bytes: number }>();
  private bytes = 0;

  constructor(private readonly budget = RESULT_CACHE_BYTES) {}

  private static id(key: string, signature: string): string {
    return `${key}\u0000${signature}`;
  }

  /** The kept reconstruction (now the most recently used), or undefined. */
  get(key: string, signature: string): Reconstruction | undefined {
    const id = ResultCache.id(key, signature);
    const e = this.entries.get(id);
    if (!e) return undefined;
    this.entries.delete(id);
    this.entries.set(id, e);
    return e.value;
  }

  /** Whether a reconstruction is kept (without touching its recency). */
  has(key: string, signature: string): boolean {
    return this.entries.has(ResultCache.id(key, signature));
  }

  /** Keeps a reconstruction; one larger than the whole budget is not kept. */
  put(key: string, signature: string, value: Reconstruction): void {
    const id = ResultCache.id(key, signature);
    const bytes = reconstructionBytes(value);
    const old = this.entries.get(id);
    if (old) {
      this.entries.delete(id);
      this.bytes -= old.bytes;
    }
    if (bytes > this.budget) return;
    this.entries.set(id, { value, bytes });
    this.bytes += bytes;
    for (const [oldest, e] of this.entries) {
      if (this.bytes <= this.budget) break;
      this.entries.delete(oldest);
      this.bytes -= e.bytes;
    }
  }

  /** Drops every reconstruction of one picture. */
  forget(key: string): void {
    const prefix = `${key}\u0000`;
    for (const [id, e] of this.entries) {
      if (!id.startsWith(prefix)) continue;
      this.entries.delete(id);
      this.bytes -= e.bytes;
    }
  }

  /** Drops everything (another checkpoint, or its weights changed). */
  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  /** Bytes kept. */
  get size(): number {
    return this.bytes;
  }

  /** Reconstructions kept. */
  get count(): number {
    return this.entries.size;
  }
}

/**
 * The ratios to look ahead from `ratioPct`, nearest first, alternating between the direction of
 * travel (`direction`, +1 or -1) and the other way: `ahead` steps one way and `behind` the other,
 * within 0..MAX_RATIO_PCT.
 */
export function nextLookaheadRatios(ratioPct: number, direction: 1 | -1, ahead = LOOKAHEAD_AHEAD_STEPS,
  behind = LOOKAHEAD_BEHIND_STEPS): number[] {
  const out: number[] = [];
  for (let d = 1; d <= Math.max(ahead, behind); d++) {
    if (d <= ahead) out.push(ratioPct + direction * d);
    if (d <= behind) out.push(ratioPct - direction * d);
  }
  return out.filter((r) => r >= 0 && r <= MAX_RATIO_PCT);
}
