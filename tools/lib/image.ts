// Image files for the command line: decode PNG/JPEG with size checks, fit to the model's square.
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';

/** Largest accepted side in pixels: beyond it decoding alone could take gigabytes. */
export const MAX_IMAGE_SIDE_PX = 16384;
/** Largest accepted area in megapixels. */
export const MAX_IMAGE_MEGAPIXELS = 100;
/** jpeg-js memory cap for one decode, in MB. */
const JPEG_MAX_MEMORY_MB = 1024;

/** An image that cannot be used; the message is for the user. */
export class ImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageError';
  }
}

/** Decoded RGBA pixels. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

function checkSize(width: number, height: number): void {
  if (width <= 0 || height <= 0) throw new ImageError(`the image is ${width}x${height} px: it has no pixels`);
  if (width > MAX_IMAGE_SIDE_PX || height > MAX_IMAGE_SIDE_PX || width * height > MAX_IMAGE_MEGAPIXELS * 1e6) {
    throw new ImageError(`the image is ${width}x${height} px; the largest supported is ${MAX_IMAGE_SIDE_PX} px a side and ${MAX_IMAGE_MEGAPIXELS} megapixels`);
  }
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];
const JPEG_MAGIC = [0xff, 0xd8, 0xff];
const startsWith = (b: Uint8Array, m: number[]) => m.every((v, i) => b[i] === v);

/** JPEG dimensions from its first SOF marker, without decoding. */
function jpegSize(b: Uint8Array): { width: number; height: number } | null {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1];
    const len = (b[i + 2] << 8) | b[i + 3];
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: (b[i + 5] << 8) | b[i + 6], width: (b[i + 7] << 8) | b[i + 8] };
    }
    i += 2 + len;
  }
  return null;
}

/** Decodes a PNG or JPEG file's bytes; throws ImageError with a clear message otherwise. */
export function decodeImage(bytes: Uint8Array): RgbaImage {
  if (startsWith(bytes, PNG_MAGIC)) {
    if (bytes.length < 24) throw new ImageError('the PNG file is truncated');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    checkSize(view.getUint32(16), view.getUint32(20));
    try {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    } catch (e) {
      throw new ImageError(`the PNG file is corrupt (${(e as Error).message})`);
    }
  }
  if (startsWith(bytes, JPEG_MAGIC)) {
    const size = jpegSize(bytes);
    if (!size) throw new ImageError('the JPEG file is corrupt: no frame header found');
    checkSize(size.width, size.height);
    try {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_IMAGE_MEGAPIXELS, maxMemoryUsageInMB: JPEG_MAX_MEMORY_MB });
      return { width: img.width, height: img.height, data: new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.byteLength) };
    } catch (e) {
      throw new ImageError(`the JPEG file is corrupt (${(e as Error).message})`);
    }
  }
  throw new ImageError('not an image: expected a PNG or JPEG file');
}

/** Encodes RGBA pixels as a PNG file. */
export function encodePng(img: RgbaImage): Uint8Array {
  const png = new PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return new Uint8Array(PNG.sync.write(png));
}

/** How an image is fitted to a square: shorter side to the size then a centre crop, or a squash. */
export type FitMode = 'crop' | 'squash';

/**
 * Resamples a region of `src` to `dw x dh` with a separable triangle filter widened by the
 * scale factor when shrinking (antialiased, like PIL's bilinear), alpha composited on white.
 */
function resampleRegion(src: RgbaImage, sx: number, sy: number, sw: number, sh: number, dw: number, dh: number): Uint8ClampedArray {
  const weights = (srcLen: number, srcOff: number, dstLen: number, max: number) => {
    const scale = srcLen / dstLen;
    const support = Math.max(1, scale);
    const taps: { start: number; w: Float64Array }[] = [];
    for (let d = 0; d < dstLen; d++) {
      const center = srcOff + (d + 0.5) * scale;
      const start = Math.max(0, Math.floor(center - support));
      const end = Math.min(max, Math.ceil(center + support));
      const w = new Float64Array(Math.max(0, end - start));
      let sum = 0;
      for (let s = start; s < end; s++) {
        const v = Math.max(0, 1 - Math.abs((s + 0.5 - center) / support));
        w[s - start] = v;
        sum += v;
      }
      if (sum > 0) for (let j = 0; j < w.length; j++) w[j] /= sum;
      taps.push({ start, w });
    }
    return taps;
  };
  const wx = weights(sw, sx, dw, src.width);
  const wy = weights(sh, sy, dh, src.height);
  // Horizontal pass into floats over all source rows the vertical pass needs.
  const rowLo = wy[0].start;
  const rowHi = wy[dh - 1].start + wy[dh - 1].w.length;
  const tmp = new Float64Array((rowHi - rowLo) * dw * 3);
  for (let y = rowLo; y < rowHi; y++) {
    for (let x = 0; x < dw; x++) {
      const { start, w } = wx[x];
      let r = 0, g = 0, b = 0;
      for (let j = 0; j < w.length; j++) {
        const i = (y * src.width + start + j) * 4;
        const a = src.data[i + 3] / 255;
        r += w[j] * (src.data[i] * a + 255 * (1 - a));
        g += w[j] * (src.data[i + 1] * a + 255 * (1 - a));
        b += w[j] * (src.data[i + 2] * a + 255 * (1 - a));
      }
      const o = ((y - rowLo) * dw + x) * 3;
      tmp[o] = r; tmp[o + 1] = g; tmp[o + 2] = b;
    }
  }
  const out = new Uint8ClampedArray(dw * dh * 4);
  for (let y = 0; y < dh; y++) {
    const { start, w } = wy[y];
    for (let x = 0; x < dw; x++) {
      let r = 0, g = 0, b = 0;
      for (let j = 0; j < w.length; j++) {
        const o = ((start + j - rowLo) * dw + x) * 3;
        r += w[j] * tmp[o]; g += w[j] * tmp[o + 1]; b += w[j] * tmp[o + 2];
      }
      const i = (y * dw + x) * 4;
      out[i] = Math.round(r); out[i + 1] = Math.round(g); out[i + 2] = Math.round(b); out[i + 3] = 255;
    }
  }
  return out;
}

/** Fits an image to `size x size` RGBA (opaque). */
export function fitToSquare(img: RgbaImage, size: number, mode: FitMode): Uint8ClampedArray {
  if (mode === 'squash') return resampleRegion(img, 0, 0, img.width, img.height, size, size);
  const side = Math.min(img.width, img.height);
  const sx = Math.floor((img.width - side) / 2);
  const sy = Math.floor((img.height - side) / 2);
  return resampleRegion(img, sx, sy, side, side, size, size);
}

/**
 * Fits an image to `width x height` RGBA (opaque): 'crop' scales it to cover that size and takes
 * the centre, 'squash' stretches the whole picture. A square size crops as fitToSquare does.
 */
export function fitToSize(img: RgbaImage, width: number, height: number, mode: FitMode): Uint8ClampedArray {
  if (mode === 'squash') return resampleRegion(img, 0, 0, img.width, img.height, width, height);
  // The largest region of the target's aspect inside the image.
  const sw = Math.min(img.width, (img.height * width) / height);
  const sh = Math.min(img.height, (img.width * height) / width);
  const sx = Math.floor((img.width - sw) / 2);
  const sy = Math.floor((img.height - sh) / 2);
  return resampleRegion(img, sx, sy, sw, sh, width, height);
}
