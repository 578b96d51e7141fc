// Decoding and fitting in the browser, usable both in the decode worker and on the page:
// createImageBitmap (EXIF orientation respected), the size limits, then a centre crop of the
// shorter side (or a squash) to size x size, or the whole picture at its aspect (fitSize),
// downscaled by halves for a clean result.
import type { ResizeMode } from '../../protocol/messages';
import type { DecodedImage } from '../../store/types';
import { DecodeFailure, dimensionProblem } from './decode';
import { fitSize } from '../../shared/inputSize';

type Canvas2D = OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;

function makeCanvas(width: number, height: number): { canvas: OffscreenCanvas | HTMLCanvasElement; ctx: Canvas2D } {
  let canvas: OffscreenCanvas | HTMLCanvasElement;
  if (typeof OffscreenCanvas !== 'undefined') canvas = new OffscreenCanvas(width, height);
  else if (typeof document !== 'undefined') {
    canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
  } else throw new DecodeFailure('unsupported', 'no canvas is available here');
  const ctx = canvas.getContext('2d', { willReadFrequently: true }) as Canvas2D | null;
  if (!ctx) throw new DecodeFailure('unsupported', 'no 2D canvas context is available here');
  return { canvas, ctx };
}

/** The source rectangle: the centred square of the shorter side, or everything (squash, whole). */
export function sourceRect(width: number, height: number, mode: ResizeMode): { sx: number; sy: number; sw: number; sh: number } {
  if (mode !== 'crop') return { sx: 0, sy: 0, sw: width, sh: height };
  const s = Math.min(width, height);
  return { sx: Math.floor((width - s) / 2), sy: Math.floor((height - s) / 2), sw: s, sh: s };
}

/** Whether this environment can fit pictures (createImageBitmap and a 2D canvas). */
export function canFitHere(): boolean {
  return typeof createImageBitmap === 'function' && (typeof OffscreenCanvas !== 'undefined' || typeof document !== 'undefined');
}

/** Decodes a blob and fits it (fitSize: `size` square, or the photo's aspect for 'whole'). */
export async function fitBlob(blob: Blob, size: number, mode: ResizeMode, patch: number): Promise<DecodedImage> {
  if (!canFitHere()) throw new DecodeFailure('unsupported', 'this environment cannot decode images');
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch (e) {
    throw new DecodeFailure('decode', (e as Error)?.message || 'the browser could not decode it');
  }
  try {
    const { width, height } = bitmap;
    const problem = dimensionProblem(width, height);
    if (problem) throw new DecodeFailure('limits', problem);
    const out = fitSize(mode, size, patch, { width, height });
    let { sx, sy, sw, sh } = sourceRect(width, height, mode);
    let src: CanvasImageSource = bitmap;
    // Halve until within 2x of the target: one big drawImage step would alias.
    while (sw >= out.width * 2 || sh >= out.height * 2) {
      const nw = sw >= out.width * 2 ? Math.ceil(sw / 2) : sw;
      const nh = sh >= out.height * 2 ? Math.ceil(sh / 2) : sh;
      const { canvas, ctx } = makeCanvas(nw, nh);
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = 'high';
      ctx.drawImage(src, sx, sy, sw, sh, 0, 0, nw, nh);
      src = canvas;
      sx = 0; sy = 0; sw = nw; sh = nh;
    }
    const { ctx } = makeCanvas(out.width, out.height);
    // Transparent pictures sit on white, as they look in a viewer.
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(src, sx, sy, sw, sh, 0, 0, out.width, out.height);
    const data = ctx.getImageData(0, 0, out.width, out.height).data;
    return { rgba: { width: out.width, height: out.height, data }, sourceWidth: width, sourceHeight: height };
  } finally {
    bitmap.close();
  }
}
