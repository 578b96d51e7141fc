// The model's input size on the page: the checkpoint's own (what it was trained at) or twice it,
// square (crop, squash) or at the photo's own aspect ("whole picture"), always whole patches and
// within a patch budget. Pure: shared by the store, the decoder and the worker.

/** How big the model's input is: the checkpoint's size, or twice it (position tables interpolated). */
export type InputScale = 'native' | 'double';
export const INPUT_SCALES: readonly InputScale[] = ['native', 'double'];
/** Factor of each input scale over the checkpoint's size. */
const SCALE_FACTOR: Record<InputScale, number> = { native: 1, double: 2 };

/** How a picture is fitted: centre crop to a square, the whole picture squashed to a square, or the whole picture at its aspect. */
export type FitMode = 'crop' | 'squash' | 'whole';

/**
 * Most patches the page runs a picture on (a grid of 32 x 32, or 1024 of any shape): the decoder
 * attends over every patch, so time and memory grow with the square of this.
 */
export const MAX_INPUT_PATCHES = 1024;

/** Patch size assumed before a checkpoint says otherwise, in px (the reference ViTs' and the bundled model's). */
export const DEFAULT_PATCH_SIZE = 16;

/** A patch grid: rows (input height / patch) by columns (input width / patch). */
export interface GridShape {
  rows: number;
  cols: number;
}

/** A size in pixels. */
export interface PixelSize {
  width: number;
  height: number;
}

/** The input's long side in pixels for a scale on a checkpoint of `imgSize` px (before the patch budget). */
export function inputSide(scale: InputScale, imgSize: number): number {
  return imgSize * SCALE_FACTOR[scale];
}

/**
 * The fitted size of a picture of `source` pixels: `side` x `side` for crop and squash; for 'whole',
 * the long side `side` rounded to whole patches and the short side the nearest whole number of
 * patches to the photo's aspect (at least one). Shrunk, keeping the aspect, to at most
 * MAX_INPUT_PATCHES patches.
 */
export function fitSize(mode: FitMode, side: number, patch: number, source: PixelSize): PixelSize {
  if (mode !== 'whole' && (side / patch) ** 2 <= MAX_INPUT_PATCHES) return { width: side, height: side };
  const long = Math.max(1, Math.round(side / patch));
  let cols = long;
  let rows = long;
  if (mode === 'whole' && source.width > 0 && source.height > 0) {
    if (source.width >= source.height) rows = Math.max(1, Math.round((long * source.height) / source.width));
    else cols = Math.max(1, Math.round((long * source.width) / source.height));
  }
  if (rows * cols > MAX_INPUT_PATCHES) {
    const f = Math.sqrt(MAX_INPUT_PATCHES / (rows * cols));
    rows = Math.max(1, Math.floor(rows * f));
    cols = Math.max(1, Math.floor(cols * f));
  }
  return { width: cols * patch, height: rows * patch };
}

/** The grid of a `width` x `height` picture cut into `numPatches` square patches, or null when it cannot be. */
export function gridOf(width: number, height: number, numPatches: number): GridShape | null {
  // Square patches: L = (W / p) (H / p), so p = sqrt(W H / L).
  const p = Math.round(Math.sqrt((width * height) / numPatches));
  return p > 0 && width % p === 0 && height % p === 0 && (width / p) * (height / p) === numPatches ? { rows: height / p, cols: width / p } : null;
}

/** Why an input of this size cannot run on patches of `patch` px, or null when it can. */
export function inputProblem(size: PixelSize, patch: number): string | null {
  const { width, height } = size;
  if (!(width > 0 && height > 0) || width % patch !== 0 || height % patch !== 0) {
    return `the picture is ${width}x${height} px: both sides must be whole multiples of the ${patch} px patch`;
  }
  const n = (width / patch) * (height / patch);
  if (n > MAX_INPUT_PATCHES) return `the picture is ${width}x${height} px, ${n} patches: at most ${MAX_INPUT_PATCHES} are run`;
  return null;
}
