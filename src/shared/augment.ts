// Training augmentation, pure (no tf, no DOM): the random resized crop and horizontal flip of
// training/train.py (torchvision RandomResizedCrop semantics), drawn from a seeded generator
// (mulberry32, src/shared/prng.ts) so that one seed gives the same batches everywhere.
// Resampling is an antialiased (triangle-filter) bilinear resize, not train.py's PIL bicubic:
// augmentation only needs to be plausible, and this one is cheap and exact to reproduce.

/** An 8-bit RGBA picture, row-major `[H, W, 4]`. */
export interface RgbaImage {
  data: Uint8ClampedArray | Uint8Array;
  width: number;
  height: number;
}

/** A crop rectangle in source pixels and whether the result is mirrored left-right. */
export interface CropBox {
  x: number;
  y: number;
  w: number;
  h: number;
  flip: boolean;
}

/** The crop's share of the picture's area, as train.py's `scale=(0.2, 1.0)`. */
export const CROP_SCALE_MIN = 0.2;
export const CROP_SCALE_MAX = 1.0;
/** The crop's width / height, as train.py's `ratio=(3/4, 4/3)`. */
export const CROP_RATIO_MIN = 3 / 4;
export const CROP_RATIO_MAX = 4 / 3;
/** Tries at a random box before the centre-crop fallback (torchvision's 10). */
const CROP_TRIES = 10;
/** Chance of a horizontal flip. */
const FLIP_PROBABILITY = 0.5;
/** Bytes per RGBA pixel. */
const RGBA = 4;

/** A uniform integer in [lo, hi] (both included) from a [0, 1) generator. */
function randint(rng: () => number, lo: number, hi: number): number {
  return lo + Math.min(hi - lo, Math.floor(rng() * (hi - lo + 1)));
}

/** A random resized crop box (torchvision semantics, train.py's scale and ratio) and a flip for a picture. */
export function sampleCrop(width: number, height: number, rng: () => number): CropBox {
  if (!(width > 0 && height > 0)) throw new RangeError(`cannot crop a ${width}x${height} picture`);
  const area = width * height;
  let box: Omit<CropBox, 'flip'> | null = null;
  for (let i = 0; i < CROP_TRIES && box === null; i++) {
    const a = area * (CROP_SCALE_MIN + (CROP_SCALE_MAX - CROP_SCALE_MIN) * rng());
    const logR = Math.log(CROP_RATIO_MIN) + (Math.log(CROP_RATIO_MAX) - Math.log(CROP_RATIO_MIN)) * rng();
    const r = Math.exp(logR);
    const w = Math.round(Math.sqrt(a * r));
    const h = Math.round(Math.sqrt(a / r));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      box = { x: randint(rng, 0, width - w), y: randint(rng, 0, height - h), w, h };
    }
  }
  if (box === null) {
    // Centre crop at the nearest allowed aspect (torchvision's fallback).
    const inR = width / height;
    let w = width;
    let h = height;
    if (inR < CROP_RATIO_MIN) h = Math.max(1, Math.round(width / CROP_RATIO_MIN));
    else if (inR > CROP_RATIO_MAX) w = Math.max(1, Math.round(height * CROP_RATIO_MAX));
    box = { x: Math.floor((width - w) / 2), y: Math.floor((height - h) / 2), w, h };
  }
  return { ...box, flip: rng() < FLIP_PROBABILITY };
}

/**
 * One axis of an antialiased bilinear resize: for each output index, the first source index and
 * the normalised triangle-filter weights (support widened by the scale when shrinking).
 */
function axisWeights(srcStart: number, srcLen: number, srcLimit: number, outLen: number): { first: Int32Array; weights: Float32Array[] } {
  const scale = srcLen / outLen;
  const support = Math.max(1, scale); // filter half-width in source pixels
  const first = new Int32Array(outLen);
  const weights: Float32Array[] = [];
  for (let o = 0; o < outLen; o++) {
    const centre = srcStart + (o + 0.5) * scale; // in source pixel units
    const lo = Math.max(0, Math.floor(centre - support));
    const hi = Math.min(srcLimit - 1, Math.ceil(centre + support));
    const w = new Float32Array(hi - lo + 1);
    let sum = 0;
    for (let s = lo; s <= hi; s++) {
      const v = Math.max(0, 1 - Math.abs(s + 0.5 - centre) / support);
      w[s - lo] = v;
      sum += v;
    }
    if (sum > 0) for (let k = 0; k < w.length; k++) w[k] /= sum;
    else w[Math.min(w.length - 1, Math.max(0, Math.floor(centre) - lo))] = 1;
    first[o] = lo;
    weights.push(w);
  }
  return { first, weights };
}

/** Cuts `box` out of `img` and resizes it to `size` x `size` RGBA (antialiased bilinear), mirrored when `box.flip`. */
export function cropResize(img: RgbaImage, box: CropBox, size: number): Uint8ClampedArray {
  if (img.data.length !== img.width * img.height * RGBA) {
    throw new RangeError(`expected ${img.width * img.height * RGBA} RGBA bytes for ${img.width}x${img.height}, got ${img.data.length}`);
  }
  const xs = axisWeights(box.x, box.w, img.width, size);
  const ys = axisWeights(box.y, box.h, img.height, size);
  // Horizontal pass over the rows the vertical pass reads: [rows, size, 4] floats.
  const rowLo = ys.first[0];
  const rowHi = ys.first[size - 1] + ys.weights[size - 1].length - 1;
  const tmp = new Float32Array((rowHi - rowLo + 1) * size * RGBA);
  for (let r = rowLo; r <= rowHi; r++) {
    const src = r * img.width * RGBA;
    const dst = (r - rowLo) * size * RGBA;
    for (let o = 0; o < size; o++) {
      const w = xs.weights[o];
      const s0 = src + xs.first[o] * RGBA;
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let k = 0; k < w.length; k++) {
        const s = s0 + k * RGBA;
        c0 += w[k] * img.data[s];
        c1 += w[k] * img.data[s + 1];
        c2 += w[k] * img.data[s + 2];
        c3 += w[k] * img.data[s + 3];
      }
      const d = dst + o * RGBA;
      tmp[d] = c0; tmp[d + 1] = c1; tmp[d + 2] = c2; tmp[d + 3] = c3;
    }
  }
  const out = new Uint8ClampedArray(size * size * RGBA);
  for (let o = 0; o < size; o++) {
    const w = ys.weights[o];
    const r0 = ys.first[o] - rowLo;
    for (let x = 0; x < size; x++) {
      const ox = box.flip ? size - 1 - x : x;
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let k = 0; k < w.length; k++) {
        const s = ((r0 + k) * size + x) * RGBA;
        c0 += w[k] * tmp[s];
        c1 += w[k] * tmp[s + 1];
        c2 += w[k] * tmp[s + 2];
        c3 += w[k] * tmp[s + 3];
      }
      const d = (o * size + ox) * RGBA;
      out[d] = Math.round(c0); out[d + 1] = Math.round(c1); out[d + 2] = Math.round(c2); out[d + 3] = Math.round(c3);
    }
  }
  return out;
}

/** A seeded random resized crop and flip of `img` to `size` x `size` RGBA (train.py's augmentation). */
export function augmentImage(img: RgbaImage, size: number, rng: () => number): Uint8ClampedArray {
  return cropResize(img, sampleCrop(img.width, img.height, rng), size);
}

/** Masking noise `[n, L]` (row-major) drawn from a running generator (so each batch gets its own). */
export function drawNoise(rng: () => number, n: number, numPatches: number): Float32Array {
  const out = new Float32Array(n * numPatches);
  for (let i = 0; i < out.length; i++) out[i] = rng();
  return out;
}
