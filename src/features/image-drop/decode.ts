// Turning a dropped file into model-sized pixels, with a clear message for every way it can fail.
// Pure logic here (limits, header sniffing, messages); the pixel work is a `Fitter` (fit.ts in the
// browser, a fake in tests).
import type { ResizeMode } from '../../protocol/messages';
import type { DecodeResult, DecodedImage, ImageDecoder } from '../../store/types';
import { DEFAULT_PATCH_SIZE, fitSize } from '../../shared/inputSize';

/** Largest side accepted, in pixels. */
export const MAX_SIDE = 16384;
/** Largest area accepted, in pixels. */
export const MAX_PIXELS = 100_000_000;
/** Largest file accepted, in bytes. */
export const MAX_FILE_BYTES = 200 * 1024 * 1024;
/** Bytes read to find a picture's size before decoding it. */
export const SNIFF_BYTES = 512 * 1024;

/** A failure with a message for the page. `kind` 'unsupported' means the environment, not the file. */
export class DecodeFailure extends Error {
  constructor(public kind: 'decode' | 'limits' | 'unsupported', message: string) {
    super(message);
    this.name = 'DecodeFailure';
  }
}

/**
 * Decodes a blob and fits it to `size` x `size` (crop, squash) or to the photo's aspect with a long
 * side of `size` (whole; sides whole multiples of `patch`, see fitSize); throws DecodeFailure (or
 * anything, taken as a decode error).
 */
export type Fitter = (blob: Blob, size: number, mode: ResizeMode, patch: number) => Promise<DecodedImage>;

const mp = (w: number, h: number) => `${((w * h) / 1e6).toFixed(w * h >= 1e7 ? 0 : 1)} megapixels`;

/** Why a picture of this size is refused, or null when it is fine. */
export function dimensionProblem(width: number, height: number): string | null {
  if (!(width > 0 && height > 0)) return `the image has no pixels (${width} × ${height})`;
  if (width > MAX_SIDE || height > MAX_SIDE) {
    return `the image is too large (${width} × ${height} px; at most ${MAX_SIDE} px a side)`;
  }
  if (width * height > MAX_PIXELS) {
    return `the image is too large (${mp(width, height)}; at most ${MAX_PIXELS / 1e6} megapixels)`;
  }
  return null;
}

export type SniffedFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp' | 'avif' | 'heic' | 'ico' | 'tiff';

export interface Sniffed {
  format: SniffedFormat;
  /** Known only where the header states it within the bytes given. */
  width?: number;
  height?: number;
}

const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));

/** The format and, where the header says it, the size of an encoded picture from its first bytes. */
export function sniffImage(b: Uint8Array): Sniffed | null {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const has = (n: number) => b.length >= n;
  // PNG: signature, then IHDR width/height (big endian).
  if (has(8) && b[0] === 0x89 && ascii(b, 1, 3) === 'PNG') {
    return has(24) && ascii(b, 12, 4) === 'IHDR' ? { format: 'png', width: dv.getUint32(16), height: dv.getUint32(20) } : { format: 'png' };
  }
  if (has(3) && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return { format: 'jpeg', ...jpegSize(b, dv) };
  if (has(6) && (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a')) {
    return has(10) ? { format: 'gif', width: dv.getUint16(6, true), height: dv.getUint16(8, true) } : { format: 'gif' };
  }
  if (has(12) && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return { format: 'webp', ...webpSize(b, dv) };
  if (has(2) && ascii(b, 0, 2) === 'BM') {
    return has(26) ? { format: 'bmp', width: Math.abs(dv.getInt32(18, true)), height: Math.abs(dv.getInt32(22, true)) } : { format: 'bmp' };
  }
  if (has(12) && ascii(b, 4, 4) === 'ftyp') {
    const brand = ascii(b, 8, 4);
    if (brand === 'avif' || brand === 'avis') return { format: 'avif' };
    if (['heic', 'heix', 'hevc', 'heim', 'heis', 'mif1', 'msf1'].includes(brand)) return { format: 'heic' };
  }
  if (has(4) && b[0] === 0 && b[1] === 0 && b[2] === 1 && b[3] === 0) return { format: 'ico' };
  if (has(4) && (ascii(b, 0, 4) === 'II*\0' || ascii(b, 0, 4) === 'MM\0*')) return { format: 'tiff' };
  return null;
}

function jpegSize(b: Uint8Array, dv: DataView): { width?: number; height?: number } {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return {};
    const marker = b[i + 1];
    if (marker === 0xff) { i++; continue; }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; }
    const len = dv.getUint16(i + 2);
    // SOF0-15 except DHT (c4), JPG (c8) and DAC (cc).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: dv.getUint16(i + 5), width: dv.getUint16(i + 7) };
    }
    if (marker === 0xda || len < 2) return {};
    i += 2 + len;
  }
  return {};
}

function webpSize(b: Uint8Array, dv: DataView): { width?: number; height?: number } {
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8 ' && b.length >= 30) return { width: dv.getUint16(26, true) & 0x3fff, height: dv.getUint16(28, true) & 0x3fff };
  if (chunk === 'VP8L' && b.length >= 25) {
    const bits = dv.getUint32(21, true);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X' && b.length >= 30) {
    const u24 = (at: number) => b[at] | (b[at + 1] << 8) | (b[at + 2] << 16);
    return { width: u24(24) + 1, height: u24(27) + 1 };
  }
  return {};
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e)) || 'unknown error';

/**
 * One file, end to end: cheap checks first (empty, huge, not an image, too many pixels by its
 * header), then the fitter, then the decoded size. Never throws.
 */
export async function decodeFile(blob: Blob, size: number, mode: ResizeMode, fit: Fitter, patch = DEFAULT_PATCH_SIZE): Promise<DecodeResult> {
  const fail = (message: string): DecodeResult => ({ ok: false, message });
  if (blob.size === 0) return fail('the file is empty');
  if (blob.size > MAX_FILE_BYTES) return fail(`the file is too large (${Math.round(blob.size / 2 ** 20)} MB; at most ${MAX_FILE_BYTES / 2 ** 20} MB)`);
  let head: Uint8Array;
  try {
    head = new Uint8Array(await blob.slice(0, SNIFF_BYTES).arrayBuffer());
  } catch (e) {
    return fail(`the file could not be read (${errText(e)})`);
  }
  const sniffed = sniffImage(head);
  if (!sniffed && !blob.type.startsWith('image/')) {
    return fail(`not an image${blob.type ? ` (${blob.type})` : ''}: use a PNG, JPEG, WebP, GIF, BMP or AVIF picture`);
  }
  if (sniffed?.width !== undefined && sniffed.height !== undefined) {
    const problem = dimensionProblem(sniffed.width, sniffed.height);
    if (problem) return fail(problem);
  }
  let image: DecodedImage;
  try {
    image = await fit(blob, size, mode, patch);
  } catch (e) {
    if (e instanceof DecodeFailure && e.kind === 'limits') return fail(e.message);
    return fail(`could not be decoded: the file is corrupt or in a format this browser cannot read (${errText(e)})`);
  }
  const problem = dimensionProblem(image.sourceWidth, image.sourceHeight);
  if (problem) return fail(problem);
  const want = fitSize(mode, size, patch, { width: image.sourceWidth, height: image.sourceHeight });
  const { width, height, data } = image.rgba;
  if (width !== want.width || height !== want.height || data.length !== want.width * want.height * 4) {
    return fail(`decoding produced ${width} × ${height} pixels instead of ${want.width} × ${want.height}`);
  }
  return { ok: true, image };
}

/** Runs at most `n` calls of `fn` at once (decoding several big photos at once can run out of memory). */
export function limitConcurrency<A extends unknown[], R>(fn: (...args: A) => Promise<R>, n: number): (...args: A) => Promise<R> {
  let active = 0;
  const queue: (() => void)[] = [];
  const release = () => {
    active--;
    queue.shift()?.();
  };
  return (...args) => new Promise<R>((resolve, reject) => {
    const run = () => {
      active++;
      let p: Promise<R>;
      try {
        p = fn(...args);
      } catch (e) {
        p = Promise.reject(e);
      }
      p.then(resolve, reject).finally(release);
    };
    if (active < n) run();
    else queue.push(run);
  });
}

/** The store's decoder over a fitter, two files at a time. */
export function createFileDecoder(fit: Fitter, concurrency = 2): ImageDecoder {
  const limited = limitConcurrency((blob: Blob, size: number, mode: ResizeMode, patch?: number) => decodeFile(blob, size, mode, fit, patch), concurrency);
  return { decode: limited };
}
