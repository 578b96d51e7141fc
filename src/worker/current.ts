// The loaded checkpoint's weights in the reference layout, read again on demand: views (attention,
// features) and training need them, while the fast path keeps only its folded copy on the backend.
// Re-reading a dropped file or a cached download is a Blob read (no network, nothing held between
// uses); a fine-tuned model replaces the reader with its own weights.
import type { HostParams, MaeConfig } from '../model';

/** Reads the current checkpoint's reference-layout weights; the caller owns (and drops) the result. */
export type WeightsReader = () => Promise<HostParams>;

let current: { config: MaeConfig; read: WeightsReader } | null = null;

/** Records how to read the weights of the checkpoint that was just installed. */
export function setCurrentWeights(config: MaeConfig, read: WeightsReader): void {
  current = { config, read };
}

/** The installed checkpoint's config and a reader for its reference-layout weights; null before any load. */
export function currentWeights(): { config: MaeConfig; read: WeightsReader } | null {
  return current;
}
