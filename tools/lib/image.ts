// Image files for the command line: decode PNG/JPEG with size checks, fit to the model's square.
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';

/** Largest accepted side in pixels: beyond it decoding alone could take gigabytes. */
export const MAX_IMAGE_SIDE_PX = 16384;
/** Largest accepted area in megapixels. */
export const MAX_IMAGE_MEGAPIXELS = 100;
/** Largest image file read, in bytes: a bigger file cannot be an image within the limits above. */
export const MAX_IMAGE_FILE_BYTES = 256 * 1024 * 1024;
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

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SOI = [0xff, 0xd8];
const startsWith = (b: Uint8Array, m: readonly number[]) => b.length >= m.length && m.every((v, i) => b[i] === v);

/** Bytes of a PNG's chunk length and type fields, and of the IHDR fields read here (width, height). */
const PNG_CHUNK_HEAD_BYTES = 8;
const PNG_IHDR_SIZE_BYTES = 8;
const PNG_IHDR = 'IHDR';

/**
 * PNG dimensions from its IHDR chunk. The PNG specification requires IHDR first, and decoders
 * (pngjs, the browsers' libpng) refuse a file where it is not; so does this, with a message that says so.
 */
function pngSize(b: Uint8Array): { width: number; height: number } {
  const at = PNG_SIGNATURE.length;
  if (b.length < at + PNG_CHUNK_HEAD_BYTES + PNG_IHDR_SIZE_BYTES) throw new ImageError('the PNG file is truncated');
  const type = String.fromCharCode(...b.subarray(at + 4, at + PNG_CHUNK_HEAD_BYTES));
  if (type !== PNG_IHDR) {
    const shown = /^[A-Za-z]{4}$/.test(type) ? type : 'not a chunk';
    throw new ImageError(`the PNG file is corrupt: its first chunk is ${shown}, and a PNG must begin with IHDR`);
  }
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const data = at + PNG_CHUNK_HEAD_BYTES;
  return { width: view.getUint32(data), height: view.getUint32(data + 4) };
}

/** JPEG markers without a length field: TEM, RST0-RST7 (and SOI). */
const JPEG_TEM = 0x01;
const JPEG_RST0 = 0xd0;
const JPEG_RST7 = 0xd7;
const JPEG_SOI_MARKER = 0xd8;
const JPEG_EOI = 0xd9;
const JPEG_SOS = 0xda;
const JPEG_FILL = 0xff;
/** SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC). */
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/** JPEG dimensions from its first SOF marker, without decoding; fill bytes (0xFF runs) before a marker are allowed, as decoders allow them. */
function jpegSize(b: Uint8Array): { width: number; height: number } | null {
  let i = JPEG_SOI.length;
  while (i < b.length) {
    if (b[i] !== JPEG_FILL) return null;
    while (i + 1 < b.length && b[i + 1] === JPEG_FILL) i++; // fill bytes
    const marker = b[i + 1];
    if (marker === undefined) return null;
    if (marker === JPEG_TEM || marker === JPEG_SOI_MARKER || (marker >= JPEG_RST0 && marker <= JPEG_RST7)) {
      i += 2;
      continue;
    }
    if (marker === JPEG_EOI || marker === JPEG_SOS || i + 3 >= b.length) return null;
    const len = (b[i + 2] << 8) | b[i + 3];
    if (isSof(marker)) {
      if (i + 8 >= b.length) return null;
      return { height: (b[i + 5] << 8) | b[i + 6], width: (b[i + 7] << 8) | b[i + 8] };
    }
    if (len < 2) return null;
    i += 2 + len;
  }
  return null;
}

/** Decodes a PNG or JPEG file's bytes; throws ImageError with a clear message otherwise. */
export function decodeImage(bytes: Uint8Array): RgbaImage {
  if (startsWith(bytes, PNG_SIGNATURE)) {
    const size = pngSize(bytes);
    checkSize(size.width, size.height);
    try {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    } catch (e) {
      throw new ImageError(`the PNG file is corrupt (${(e as Error).message})`);
    }
  }
  if (startsWith(bytes, JPEG_SOI) && bytes[2] === JPEG_FILL) {
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
