// Painting a mask by hand: the first patch a stroke touches decides whether the whole stroke
// hides or reveals; a fast drag fills the patches between two pointer positions. Pure functions.

export type StrokeMode = 'hide' | 'reveal';

/** A masked patch starts a revealing stroke, a visible one a hiding stroke. */
export function strokeModeAt(mask: ArrayLike<number>, index: number): StrokeMode {
  return mask[index] ? 'reveal' : 'hide';
}

/**
 * The patch under a point of an element of size `width` x `height` showing a `grid` (rows) x `cols`
 * patch image (square when `cols` is left out); null outside.
 */
export function patchAt(x: number, y: number, width: number, height: number, grid: number, cols = grid): number | null {
  if (!(width > 0 && height > 0) || !(x >= 0 && y >= 0 && x < width && y < height)) return null;
  const col = Math.min(cols - 1, Math.floor((x / width) * cols));
  const row = Math.min(grid - 1, Math.floor((y / height) * grid));
  return row * cols + col;
}

/** Patches on the grid line from `from` to `to` on a grid `grid` patches wide, both included (Bresenham), so a fast drag leaves no gaps. */
export function patchesBetween(from: number, to: number, grid: number): number[] {
  let x0 = from % grid;
  let y0 = Math.floor(from / grid);
  const x1 = to % grid;
  const y1 = Math.floor(to / grid);
  const dx = Math.abs(x1 - x0);
  const dy = -Math.abs(y1 - y0);
  const sx = x0 < x1 ? 1 : -1;
  const sy = y0 < y1 ? 1 : -1;
  let err = dx + dy;
  const out: number[] = [];
  for (;;) {
    out.push(y0 * grid + x0);
    if (x0 === x1 && y0 === y1) return out;
    const e2 = 2 * err;
    if (e2 >= dy) { err += dy; x0 += sx; }
    if (e2 <= dx) { err += dx; y0 += sy; }
  }
}

/**
 * The mask after a stroke passes over `patches`. Returns the same array when nothing changes (so
 * callers can skip work). Hiding never covers the last visible patch: the encoder needs one.
 */
export function applyStroke(mask: Uint8Array, patches: readonly number[], mode: StrokeMode): Uint8Array {
  let out: Uint8Array | null = null;
  let visible = -1;
  for (const i of patches) {
    if (i < 0 || i >= mask.length) continue;
    const cur = (out ?? mask)[i] ? 1 : 0;
    const want = mode === 'hide' ? 1 : 0;
    if (cur === want) continue;
    if (mode === 'hide') {
      if (visible < 0) visible = (out ?? mask).reduce((a, v) => a + (v ? 0 : 1), 0);
      if (visible <= 1) continue;
      visible--;
    }
    out ??= Uint8Array.from(mask);
    out[i] = want;
  }
  return out ?? mask;
}

/** A stroke in progress over one image's mask. */
export interface Stroke {
  mode: StrokeMode;
  last: number;
}

/** Starts a stroke on `index`: decides its mode and applies it there. */
export function beginStroke(mask: Uint8Array, index: number): { stroke: Stroke; mask: Uint8Array } {
  const mode = strokeModeAt(mask, index);
  return { stroke: { mode, last: index }, mask: applyStroke(mask, [index], mode) };
}

/** Continues a stroke to `index`, filling the patches in between (on a grid `grid` patches wide). */
export function continueStroke(stroke: Stroke, mask: Uint8Array, index: number, grid: number): { stroke: Stroke; mask: Uint8Array } {
  if (index === stroke.last) return { stroke, mask };
  return { stroke: { ...stroke, last: index }, mask: applyStroke(mask, patchesBetween(stroke.last, index, grid), stroke.mode) };
}

/** Count of masked patches. */
export const maskedCount = (mask: ArrayLike<number>): number => {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) n++;
  return n;
};

/**
 * The keyboard cursor after a key press (arrows, Home/End for the row ends) on a grid `grid` patches
 * wide and `rows` high (square when `rows` is left out); null for other keys.
 */
export function moveCursor(index: number, key: string, grid: number, rows = grid): number | null {
  const row = Math.floor(index / grid);
  const col = index % grid;
  switch (key) {
    case 'ArrowLeft': return row * grid + Math.max(0, col - 1);
    case 'ArrowRight': return row * grid + Math.min(grid - 1, col + 1);
    case 'ArrowUp': return Math.max(0, row - 1) * grid + col;
    case 'ArrowDown': return Math.min(rows - 1, row + 1) * grid + col;
    case 'Home': return row * grid;
    case 'End': return row * grid + grid - 1;
    default: return null;
  }
}

/** Flips one patch (keyboard painting), keeping at least one visible. */
export function togglePatch(mask: Uint8Array, index: number): Uint8Array {
  return applyStroke(mask, [index], strokeModeAt(mask, index));
}
