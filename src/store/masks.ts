// The mask of each picture, decided on the UI side from the settings (or the painting) with the
// shared masking module, so the masked panel is drawn at once and the worker only receives it.
import { maskFor } from '../shared/masking';
import type { Settings } from './settings';
import type { ImageEntry } from './types';

/** Seeded masks computed lately, by `pattern|ratio|seed|grid`: every picture shares one. */
const seededCache = new Map<string, Uint8Array>();
/** Seeded masks kept in that cache (a slider sweep touches at most 96 ratios). */
const SEEDED_CACHE_SIZE = 256;

/** The seeded mask (1 = masked, patch order) for settings on a `grid x cols` patch grid (rows x columns; square by default). */
export function seededMask(settings: Pick<Settings, 'pattern' | 'ratioPct' | 'seed'>, grid: number, cols = grid): Uint8Array {
  const pattern = settings.pattern === 'painted' ? 'random' : settings.pattern;
  const key = `${pattern}|${settings.ratioPct}|${settings.seed}|${grid}x${cols}`;
  let m = seededCache.get(key);
  if (!m) {
    m = maskFor({ pattern, maskRatio: settings.ratioPct / 100, seed: settings.seed }, grid, cols);
    if (seededCache.size >= SEEDED_CACHE_SIZE) seededCache.delete(seededCache.keys().next().value!);
    seededCache.set(key, m);
  }
  return m;
}

/**
 * A painted mask on a square patch grid carried to a `rows x cols` one (square when `cols` is left
 * out; patch order): a patch of the new grid is hidden when the old patch under its centre is.
 * A mask that already fits is returned as is; null when a mask of another size is not square
 * (its grid's shape is unknown).
 */
export function resampleMask(mask: Uint8Array, rows: number, cols = rows): Uint8Array | null {
  if (mask.length === rows * cols) return mask;
  const from = Math.round(Math.sqrt(mask.length));
  if (from * from !== mask.length) return null;
  const out = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const fr = Math.min(from - 1, Math.floor(((r + 0.5) * from) / rows));
    for (let c = 0; c < cols; c++) {
      const fc = Math.min(from - 1, Math.floor(((c + 0.5) * from) / cols));
      out[r * cols + c] = mask[fr * from + fc] ? 1 : 0;
    }
  }
  return out;
}

/** Whether two masks hide exactly the same patches. */
export function sameMask(a: Uint8Array | null | undefined, b: Uint8Array | null | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!a[i] !== !b[i]) return false;
  return true;
}

/**
 * The mask a picture is shown and reconstructed under on a `grid x cols` patch grid (rows x columns,
 * square by default): its painted mask when painting (carried over when the grid differs; null
 * before one exists or when it cannot be carried), else the settings' seeded mask.
 */
export function maskOf(settings: Settings, entry: Pick<ImageEntry, 'paintedMask'>, grid: number, cols = grid): Uint8Array | null {
  if (settings.pattern !== 'painted') return seededMask(settings, grid, cols);
  return entry.paintedMask ? resampleMask(entry.paintedMask, grid, cols) : null;
}

/** A short, exact signature of a mask (for skipping identical repeat requests). */
export function maskSignature(mask: Uint8Array): string {
  let s = '';
  for (let i = 0; i < mask.length; i += 4) {
    s += ((mask[i] ? 8 : 0) | (mask[i + 1] ? 4 : 0) | (mask[i + 2] ? 2 : 0) | (mask[i + 3] ? 1 : 0)).toString(16);
  }
  return s;
}
