// Metric figures as the page shows them: never NaN; "—" with a reason when there is nothing to measure.
import type { Metrics } from '../../protocol/messages';

export const NOTHING_MASKED = 'no patch is masked';

export interface Figure {
  text: string;
  /** Tooltip: why there is no number, or what it means. */
  title: string;
}

const dash = (title: string): Figure => ({ text: '—', title });

/** Masked-patch MSE in 0-255 space. */
export function formatMse(mse: number | null | undefined): Figure {
  if (mse === null || mse === undefined) return dash(NOTHING_MASKED);
  if (!Number.isFinite(mse) || mse < 0) return dash('not a number');
  return { text: mse >= 100 ? mse.toFixed(0) : mse.toFixed(1), title: 'mean squared error over masked-patch pixels, 0-255 scale' };
}

/** PSNR in dB against a 255 peak. */
export function formatPsnr(psnr: number | null | undefined): Figure {
  if (psnr === null || psnr === undefined) return dash(NOTHING_MASKED);
  if (psnr === Infinity) return { text: '∞ dB', title: 'a perfect reconstruction' };
  if (!Number.isFinite(psnr)) return dash('not a number');
  return { text: `${psnr.toFixed(2)} dB`, title: 'peak signal-to-noise ratio over masked patches (higher is better)' };
}

export function formatLoss(loss: number | null | undefined): Figure {
  if (loss === null || loss === undefined) return dash(NOTHING_MASKED);
  if (!Number.isFinite(loss)) return dash('not a number');
  return { text: loss.toPrecision(4), title: 'the training loss as the reference computes it' };
}

export function formatMaskedCount(m: Pick<Metrics, 'maskedCount'>, numPatches: number | null): string {
  return numPatches ? `${m.maskedCount} / ${numPatches}` : String(m.maskedCount);
}

/** Milliseconds, short. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}
