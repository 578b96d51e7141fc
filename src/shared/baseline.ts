// The smooth-interpolation baseline the project reports beside the model (training/evaluate.py,
// "smooth interp"): each hidden pixel is a Gaussian normalised convolution of the visible pixels,
// at the finest scale with enough visible support. It sees only the visible patches, like the
// encoder. Plain arrays: used by the page's sweep chart and checked against the Python.

/** Gaussian scales tried, finest first, in pixels (evaluate.py's sigmas). */
export const SMOOTH_SIGMAS_PX: readonly number[] = [4, 8, 16, 32, 64];
/** A pixel takes the finest scale whose visible weight reaches this share of the most possible (evaluate.py's min_weight). */
export const SMOOTH_MIN_WEIGHT = 0.2;
/** Kernel radius in standard deviations (evaluate.py's ceil(3 sigma)). */
const KERNEL_RADIUS_SIGMAS = 3;
/** Smallest visible weight divided by, as in evaluate.py's clamp_min(1e-8). */
const MIN_DENOMINATOR = 1e-8;
/** Smallest MSE turned into PSNR (evaluate.py's max(mse, 1e-10)), in squared 8-bit levels. */
const MIN_MSE = 1e-10;
/** Peak value of an 8-bit channel. */
const PEAK = 255;

/** Normalised 1-D Gaussian of `sigma` px over [-r, r], r = ceil(3 sigma). */
function gaussian(sigma: number): Float64Array {
  const r = Math.ceil(KERNEL_RADIUS_SIGMAS * sigma);
  const k = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let t = -r; t <= r; t++) sum += (k[t + r] = Math.exp(-0.5 * (t / sigma) ** 2));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/** The kernel's weight inside [0, n) around each position (a blurred all-ones row, zero padding). */
function support(k: Float64Array, n: number): Float64Array {
  const r = (k.length - 1) / 2;
  const out = new Float64Array(n);
  for (let x = 0; x < n; x++) {
    let s = 0;
    for (let t = Math.max(-r, -x); t <= Math.min(r, n - 1 - x); t++) s += k[t + r];
    out[x] = s;
  }
  return out;
}

/** 1 per masked pixel, from a patch mask: `[S*S]`. */
export function pixelMask(size: number, patch: number, mask: ArrayLike<number>): Uint8Array {
  const g = size / patch;
  const out = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    out[y * size + x] = mask[Math.floor(y / patch) * g + Math.floor(x / patch)] ? 1 : 0;
  }
  return out;
}

/**
 * The baseline's picture: visible pixels as they are, hidden ones interpolated from the visible
 * ones. `rgba`: `[S, S, 4]` 8-bit; `mask`: 1 = hidden, one entry per patch. Returns `[S, S, 3]` RGB
 * floats in 0-255 (not clamped, as in evaluate.py; maskedPsnr clamps).
 */
export function smoothInterpolate(rgba: ArrayLike<number>, size: number, patch: number, mask: ArrayLike<number>): Float32Array {
  const n = size * size;
  const hidden = pixelMask(size, patch, mask);
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = rgba[i * 4 + c];
  // The pixels still waiting for a scale with enough support.
  let pending: number[] = [];
  for (let i = 0; i < n; i++) if (hidden[i]) pending.push(i);
  // Visible pixels, channel by channel, and the visibility itself: 4 maps blurred together. [4, S, S]
  const maps = new Float64Array(4 * n);
  for (let i = 0; i < n; i++) {
    const v = hidden[i] ? 0 : 1;
    for (let c = 0; c < 3; c++) maps[c * n + i] = rgba[i * 4 + c] * v;
    maps[3 * n + i] = v;
  }
  const rows = new Float64Array(4 * n);
  for (let s = 0; s < SMOOTH_SIGMAS_PX.length && pending.length; s++) {
    const coarsest = s === SMOOTH_SIGMAS_PX.length - 1;
    const k = gaussian(SMOOTH_SIGMAS_PX[s]);
    const r = (k.length - 1) / 2;
    const full = support(k, size);
    // Horizontal pass over every row (zero padding). [4, S, S]
    for (let m = 0; m < 4; m++) for (let y = 0; y < size; y++) {
      const base = m * n + y * size;
      for (let x = 0; x < size; x++) {
        let acc = 0;
        for (let t = Math.max(-r, -x); t <= Math.min(r, size - 1 - x); t++) acc += k[t + r] * maps[base + x + t];
        rows[base + x] = acc;
      }
    }
    // Vertical pass only where a hidden pixel still needs a value.
    const next: number[] = [];
    for (const i of pending) {
      const y = Math.floor(i / size);
      const x = i - y * size;
      const acc = [0, 0, 0, 0];
      for (let t = Math.max(-r, -y); t <= Math.min(r, size - 1 - y); t++) {
        const w = k[t + r];
        const j = (y + t) * size + x;
        for (let m = 0; m < 4; m++) acc[m] += w * rows[m * n + j];
      }
      const den = acc[3];
      if (den >= SMOOTH_MIN_WEIGHT * full[y] * full[x] || coarsest) {
        const d = Math.max(den, MIN_DENOMINATOR);
        for (let c = 0; c < 3; c++) out[i * 3 + c] = acc[c] / d;
      } else next.push(i);
    }
    pending = next;
  }
  return out;
}

/** PSNR in dB (255 peak) over the hidden pixels of a `[S, S, 3]` prediction, clamped to 0-255; null when nothing is hidden. */
export function maskedPsnr(pred: ArrayLike<number>, rgba: ArrayLike<number>, size: number, patch: number, mask: ArrayLike<number>): number | null {
  const hidden = pixelMask(size, patch, mask);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < size * size; i++) {
    if (!hidden[i]) continue;
    for (let c = 0; c < 3; c++) {
      const d = Math.min(PEAK, Math.max(0, pred[i * 3 + c])) - rgba[i * 4 + c];
      sum += d * d;
      count++;
    }
  }
  if (!count) return null;
  return 10 * Math.log10((PEAK * PEAK) / Math.max(sum / count, MIN_MSE));
}

/** Mean squared error of each patch (0-255 levels squared) from a per-pixel squared-error map `[H*W]` (`size` wide, `height` high): `[L]`. */
export function patchMse(errorMap: ArrayLike<number>, size: number, patch: number, height = size): Float32Array {
  const g = size / patch;
  const out = new Float32Array(g * (height / patch));
  for (let y = 0; y < height; y++) for (let x = 0; x < size; x++) {
    out[Math.floor(y / patch) * g + Math.floor(x / patch)] += errorMap[y * size + x];
  }
  for (let k = 0; k < out.length; k++) out[k] /= patch * patch;
  return out;
}
