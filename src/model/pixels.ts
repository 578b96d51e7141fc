// Between 8-bit RGBA pixels and the model's ImageNet-normalised CHW floats. Plain arrays, no DOM.

/** ImageNet channel means, as the reference's visualisation (`imagenet_mean`). */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
/** ImageNet channel standard deviations (`imagenet_std`). */
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;
/** Largest 8-bit value. */
export const MAX_8BIT = 255;
/** Colour channels of the model's input (the alpha of RGBA is ignored). */
export const RGB = 3;
/** Bytes per RGBA pixel. */
const RGBA = 4;

/** RGBA `[H, W, 4]` bytes -> normalised `[3, H, W]` floats (alpha ignored). */
export function rgbaToNormalizedChw(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number): Float32Array {
  const hw = width * height;
  if (rgba.length !== hw * 4) throw new RangeError(`expected ${hw * 4} RGBA bytes for ${width}x${height}, got ${rgba.length}`);
  const out = new Float32Array(3 * hw);
  for (let i = 0; i < hw; i++) {
    for (let ch = 0; ch < 3; ch++) {
      out[ch * hw + i] = (rgba[i * 4 + ch] / MAX_8BIT - IMAGENET_MEAN[ch]) / IMAGENET_STD[ch];
    }
  }
  return out;
}

/** Normalised `[3, H, W]` floats -> pixel values in 0-255 (unclamped, unrounded), `[3, H, W]`. */
export function denormalizeChw(chw: Float32Array, width: number, height: number): Float32Array {
  const hw = width * height;
  const out = new Float32Array(3 * hw);
  for (let ch = 0; ch < 3; ch++) {
    for (let i = 0; i < hw; i++) {
      out[ch * hw + i] = (chw[ch * hw + i] * IMAGENET_STD[ch] + IMAGENET_MEAN[ch]) * MAX_8BIT;
    }
  }
  return out;
}

/** 0-255 `[3, H, W]` floats -> opaque RGBA bytes (clamped and rounded by Uint8ClampedArray). */
export function chwToRgba(chw255: Float32Array, width: number, height: number): Uint8ClampedArray {
  const hw = width * height;
  const out = new Uint8ClampedArray(hw * 4);
  for (let i = 0; i < hw; i++) {
    out[i * 4] = chw255[i];
    out[i * 4 + 1] = chw255[hw + i];
    out[i * 4 + 2] = chw255[2 * hw + i];
    out[i * 4 + 3] = MAX_8BIT;
  }
  return out;
}

/**
 * RGBA `[H, W, 4]` bytes -> ImageNet-normalised patches `[L, p*p*3]` in patchify order, in one pass
 * (square `size` x `size` when `height` is left out).
 */
export function rgbaToNormalizedPatches(rgba: Uint8ClampedArray | Uint8Array, size: number, p: number, height = size): Float32Array {
  const width = size;
  const rows = height / p;
  const cols = width / p;
  if (rgba.length !== width * height * RGBA) throw new RangeError(`expected ${width * height * RGBA} RGBA bytes for ${width}x${height}, got ${rgba.length}`);
  const scale = IMAGENET_STD.map((s) => 1 / (MAX_8BIT * s));
  const shift = IMAGENET_MEAN.map((m, ch) => -m / IMAGENET_STD[ch]);
  const out = new Float32Array(width * height * RGB);
  let o = 0;
  for (let gr = 0; gr < rows; gr++) for (let gc = 0; gc < cols; gc++) {
    for (let r = 0; r < p; r++) {
      let i = ((gr * p + r) * width + gc * p) * RGBA;
      for (let c = 0; c < p; c++, i += RGBA) {
        out[o++] = rgba[i] * scale[0] + shift[0];
        out[o++] = rgba[i + 1] * scale[1] + shift[1];
        out[o++] = rgba[i + 2] * scale[2] + shift[2];
      }
    }
  }
  return out;
}
