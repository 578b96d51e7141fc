// The mask of each picture, decided on the UI side from the settings (or the painting) with the
// shared masking module, so the masked panel is drawn at once and the worker only receives it.
import { maskFor } from '../shared/masking';
import type { Settings } from './settings';
import type { ImageEntry } from './types';

/** Seeded masks computed lately, by `pattern|ratio|seed|grid`: every picture shares one. */
const seededCache = new Map<string, Uint8Array>();
/** Seeded masks kept in that cache (a slider sweep touches at most 96 ratios). */
const SEEDED_CACHE_SIZE = 256;

/** The seeded mask (1 = masked, patch order) for settings on a `grid x grid` patch grid. */
export function seededMask(settings: Pick<Settings, 'pattern' | 'ratioPct' | 'seed'>, grid: number): Uint8Array {
  const pattern = settings.pattern === 'painted' ? 'random' : settings.pattern;
  const key = `${pattern}|${settings.ratioPct}|${settings.seed}|${grid}`;
  let m = seededCache.get(key);
  if (!m) {
    m = maskFor({ pattern, maskRatio: settings.ratioPct / 100, seed: settings.seed }, grid);
    if (seededCache.size >= SEEDED_CACHE_SIZE) seededCache.delete(seededCache.keys().next().value!);
    seededCache.set(key, m);
  }
  return m;
}

/**
 * A painted mask on one square patch grid carried to another (patch order): a patch of the new
 * grid is hidden when the old patch under its centre is.
 */
export function resampleMask(mask: Uint8Array, numPatches: number): Uint8Array {
  const from = Math.round(Math.sqrt(mask.length));
  const to = Math.round(Math.sqrt(numPatches));
  if (from === to) return mask;
  const out = new Uint8Array(to * to);
  for (let r = 0; r < to; r++) {
    const fr = Math.min(from - 1, Math.floor(((r + 0.5) * from) / to));
    for (let c = 0; c < to; c++) {
      const fc = Math.min(from - 1, Math.floor(((c + 0.5) * from) / to));
      out[r * to + c] = mask[fr * from + fc] ? 1 : 0;
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
 * The mask a picture is shown and reconstructed under on a `grid x grid` patch grid: its painted
 * mask when painting (carried over when the grid differs; null before one exists), else the
 * settings' seeded mask.
 */
export function maskOf(settings: Settings, entry: Pick<ImageEntry, 'paintedMask'>, grid: number): Uint8Array | null {
  if (settings.pattern !== 'painted') return seededMask(settings, grid);
  return entry.paintedMask ? resampleMask(entry.paintedMask, grid * grid) : null;
}

/** A short, exact signature of a mask (for skipping identical repeat requests). */
export function maskSignature(mask: Uint8Array): string {
  let s = '';
  for (let i = 0; i < mask.length; i += 4) {
    s += ((mask[i] ? 8 : 0) | (mask[i + 1] ? 4 : 0) | (mask[i + 2] ? 2 : 0) | (mask[i + 3] ? 1 : 0)).toString(16);
  }
  return s;
}
