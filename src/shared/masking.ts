// Masking, decided on the host (pure: no tf, no DOM), used alike by the page, the worker and the
// command line. The reference's random_masking argsorts per-sample noise and keeps the len_keep
// smallest; every mask pattern here is expressed the same way (as a noise/priority vector), so
// raising the ratio with one seed only ever adds masked patches.

import { mulberry32, seededNoise } from './prng';

/** Largest mask seed: seeds are uint32 (mulberry32's state), the same for the page and the command line. */
export const MAX_SEED = 2 ** 32 - 1;
/** Largest mask ratio the page offers, in percent: at 100 % nothing is visible to the encoder. */
export const MAX_RATIO_PCT = 95;

/** The reference's `len_keep = int(L * (1 - mask_ratio))`, with the same float arithmetic. */
export function lenKeepFor(numPatches: number, maskRatio: number): number {
  if (!(maskRatio >= 0 && maskRatio <= 1)) {
    throw new RangeError(`mask ratio must be within [0, 1], got ${maskRatio}`);
  }
  return Math.trunc(numPatches * (1 - maskRatio));
}

/** A masking decision for a batch: which patches each sample keeps and how to undo the shuffle. */
export interface MaskPlan {
  n: number;
  numPatches: number;
  lenKeep: number;
  /** `[N, L]` argsort of the noise: kept patch ids first. */
  idsShuffle: Int32Array;
  /** `[N, L]` inverse permutation of idsShuffle. */
  idsRestore: Int32Array;
  /** `[N, L]` 0 kept, 1 masked, in patch order. */
  mask: Float32Array;
}

function planFromShuffle(n: number, numPatches: number, lenKeep: number,
  idsShuffle: Int32Array): MaskPlan {
  const idsRestore = new Int32Array(n * numPatches);
  const mask = new Float32Array(n * numPatches);
  for (let b = 0; b < n; b++) {
    const o = b * numPatches;
    for (let j = 0; j < numPatches; j++) {
      const id = idsShuffle[o + j];
      idsRestore[o + id] = j;
      mask[o + id] = j < lenKeep ? 0 : 1;
    }
  }
  return { n, numPatches, lenKeep, idsShuffle, idsRestore, mask };
}

/**
 * The reference `random_masking` decision from noise `[N, L]`: ascending argsort per row
 * (ties by index, i.e. a stable sort), keep the first `len_keep`.
 */
export function planFromNoise(noise: Float32Array, n: number, maskRatio: number): MaskPlan {
  if (noise.length % n !== 0) throw new RangeError(`noise length ${noise.length} is not N*L for N=${n}`);
  const numPatches = noise.length / n;
  const lenKeep = lenKeepFor(numPatches, maskRatio);
  const idsShuffle = new Int32Array(n * numPatches);
  const order = new Array<number>(numPatches);
  for (let b = 0; b < n; b++) {
    const o = b * numPatches;
    for (let i = 0; i < numPatches; i++) order[i] = i;
    order.sort((i, j) => noise[o + i] - noise[o + j] || i - j);
    for (let i = 0; i < numPatches; i++) idsShuffle[o + i] = order[i];
  }
  return planFromShuffle(n, numPatches, lenKeep, idsShuffle);
}

/**
 * A decision from an explicit mask `[N, L]` (truthy = masked). Every sample must keep the same
 * number of patches, since the encoder runs on a dense `[N, len_keep, E]` batch.
 */
export function planFromMask(maskIn: ArrayLike<number | boolean>, n: number): MaskPlan {
  if (maskIn.length % n !== 0) throw new RangeError(`mask length ${maskIn.length} is not N*L for N=${n}`);
  const numPatches = maskIn.length / n;
  const idsShuffle = new Int32Array(n * numPatches);
  let lenKeep = -1;
  for (let b = 0; b < n; b++) {
    const o = b * numPatches;
    let k = 0;
    for (let i = 0; i < numPatches; i++) if (!maskIn[o + i]) idsShuffle[o + k++] = i;
    if (lenKeep >= 0 && k !== lenKeep) {
      throw new RangeError(`every sample must keep the same number of patches (${lenKeep} vs ${k})`);
    }
    lenKeep = k;
    for (let i = 0; i < numPatches; i++) if (maskIn[o + i]) idsShuffle[o + k++] = i;
  }
  return planFromShuffle(n, numPatches, lenKeep, idsShuffle);
}

/** Mask patterns that can be drawn from a seed. */
export type SeededPattern = 'random' | 'block' | 'grid';

/**
 * Per-patch priority `[L]` for a pattern on a `rows x cols` patch grid (square when `cols` is left
 * out), row-major: patches with the smallest values are kept. Feeding it to `planFromNoise` gives
 * nested masks as the ratio grows.
 */
export function patternNoise(pattern: SeededPattern, seed: number, rows: number, cols = rows): Float32Array {
  const L = rows * cols;
  switch (pattern) {
    case 'random':
      return seededNoise(seed, 1, L);
    case 'grid':
      return gridNoise(seed, rows, cols);
    case 'block':
      return blockNoise(seed, rows, cols);
  }
}

/** Bayer ordered-dither threshold in [0, 1) for cell (r, c) of a 2^k matrix. */
export function bayer(r: number, c: number, levels: number): number {
  let v = 0;
  for (let bit = levels - 1, i = 0; i < levels; i++, bit--) {
    const rb = (r >> i) & 1;
    const cb = (c >> i) & 1;
    // Standard recursive Bayer index, 2x2 base [[0,2],[3,1]]: the two highest thresholds sit on a
    // diagonal, so the half kept at 50 % is a checkerboard (not every other row).
    v |= (((rb ^ cb) << 1) | rb) << (2 * bit);
  }
  return v / 4 ** levels;
}

/** Regularly spaced keeps (ordered dithering): at 75 % it keeps one patch in every 2x2 cell. */
function gridNoise(seed: number, rows: number, cols: number): Float32Array {
  const levels = Math.max(1, Math.ceil(Math.log2(Math.max(rows, cols))));
  const jitter = seededNoise(seed, 1, rows * cols);
  const out = new Float32Array(rows * cols);
  const offR = seed & 1;
  const offC = (seed >> 1) & 1;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // Keep-first order: low Bayer threshold = kept at high mask ratios; invert so that the
      // cell kept last (highest threshold) is the one kept at 75 %.
      const t = bayer(r + offR, c + offC, levels);
      // Jitter under half a threshold step breaks ties without crossing dither levels.
      out[r * cols + c] = (1 - t) + (0.5 * jitter[r * cols + c]) / 4 ** levels;
    }
  }
  return out;
}

/** Block-wise masking (BEiT-style): random rectangles are laid until all patches are covered;
 * a patch's priority is the step that first covered it, so masks grow block by block. */
function blockNoise(seed: number, rows: number, cols: number): Float32Array {
  const L = rows * cols;
  const next = mulberry32(seed ^ 0x9e3779b9);
  const covered = new Int32Array(L).fill(-1);
  const MIN_BLOCK_PATCHES = 4;
  const MAX_ASPECT = 3;
  let remaining = L;
  let step = 0;
  while (remaining > 0) {
    const area = MIN_BLOCK_PATCHES + next() * (Math.max(MIN_BLOCK_PATCHES, L * 0.1) - MIN_BLOCK_PATCHES);
    const logAspect = (next() * 2 - 1) * Math.log(MAX_ASPECT);
    const aspect = Math.exp(logAspect);
    const h = Math.max(1, Math.min(rows, Math.round(Math.sqrt(area * aspect))));
    const w = Math.max(1, Math.min(cols, Math.round(Math.sqrt(area / aspect))));
    const top = Math.floor(next() * (rows - h + 1));
    const left = Math.floor(next() * (cols - w + 1));
    for (let r = top; r < top + h; r++) {
      for (let c = left; c < left + w; c++) {
        if (covered[r * cols + c] < 0) {
          covered[r * cols + c] = step;
          remaining--;
        }
      }
    }
    step++;
  }
  const jitter = seededNoise(seed, 1, L);
  const out = new Float32Array(L);
  // Masked first = largest value, so the earliest-covered blocks get the largest priority.
  for (let i = 0; i < L; i++) out[i] = (step - covered[i]) + jitter[i] * 0.5;
  return out;
}

/** Every mask pattern (seeded ones and a painted mask). */
export type MaskPattern = SeededPattern | 'painted';

/** How the masked patches are chosen: from a seed and a ratio, or painted (1 = masked, patch order). */
export type MaskSpec =
  | { pattern: SeededPattern; maskRatio: number; seed: number }
  | { pattern: 'painted'; mask: ArrayLike<number | boolean> };

/** The single-image masking plan for a spec on a `rows x cols` patch grid (square when `cols` is left out). */
export function planFor(spec: MaskSpec, rows: number, cols = rows): MaskPlan {
  if (spec.pattern === 'painted') {
    if (spec.mask.length !== rows * cols) throw new RangeError(`painted mask has ${spec.mask.length} entries, expected ${rows * cols}`);
    return planFromMask(spec.mask, 1);
  }
  return planFromNoise(patternNoise(spec.pattern, spec.seed, rows, cols), 1, spec.maskRatio);
}

/** The mask `[L]` (1 = masked, patch order) a spec gives on a `rows x cols` patch grid (square when `cols` is left out). */
export function maskFor(spec: MaskSpec, rows: number, cols = rows): Uint8Array {
  return Uint8Array.from(planFor(spec, rows, cols).mask);
}

/** Number of masked patches in a mask. */
export function countMasked(mask: ArrayLike<number | boolean>): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) n++;
  return n;
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A mask (1 = masked) as URL-safe text: its bits packed six to a base64url character, patch order. */
export function encodeMaskBits(mask: ArrayLike<number | boolean>): string {
  let out = '';
  for (let i = 0; i < mask.length; i += 6) {
    let v = 0;
    for (let j = 0; j < 6; j++) v = (v << 1) | (i + j < mask.length && mask[i + j] ? 1 : 0);
    out += B64URL[v];
  }
  return out;
}

/** The mask of `numPatches` entries that `encodeMaskBits` wrote; null when `text` is not one. */
export function decodeMaskBits(text: string, numPatches: number): Uint8Array | null {
  if (text.length !== Math.ceil(numPatches / 6)) return null;
  const out = new Uint8Array(numPatches);
  for (let c = 0; c < text.length; c++) {
    const v = B64URL.indexOf(text[c]);
    if (v < 0) return null;
    for (let j = 0; j < 6; j++) {
      const i = c * 6 + j;
      if (i < numPatches) out[i] = (v >> (5 - j)) & 1;
      else if ((v >> (5 - j)) & 1) return null;
    }
  }
  return out;
}
