// The pictures a link carries: bundled samples by file name (`img=`) and, when painting, their
// painted masks (`paint=`, bits packed in base64url), so a shared link shows what the sender saw.
// The visitor's own files cannot travel in a link.
import { encodeMaskBits } from '../shared/masking';
import type { AppState } from './types';

/** Query parameters of the linked pictures and of their painted masks. */
export const IMG_URL_KEY = 'img';
export const PAINT_URL_KEY = 'paint';
/** Separator of the list items (sample file names never hold one; base64url neither). */
const SEP = ',';
/** Most pictures a link names (a longer list is cut): about the bundled samples' number, with room. */
export const MAX_LINKED_IMAGES = 16;

/** The pictures a query string names; null when it names none (`img` absent). */
export function parseUrlImages(search: string): { samples: string[]; paints: (string | null)[] } | null {
  const p = new URLSearchParams(search);
  const img = p.get(IMG_URL_KEY);
  if (img === null) return null;
  const samples = img.split(SEP).map((s) => s.trim()).filter(Boolean).slice(0, MAX_LINKED_IMAGES);
  const paints = (p.get(PAINT_URL_KEY) ?? '').split(SEP).map((s) => s.trim() || null);
  return { samples, paints: samples.map((_, i) => paints[i] ?? null) };
}

/** The `img=` / `paint=` values for a state: its sample rows in page order, and their paintings when painting. */
export function linkedImagesOf(s: Pick<AppState, 'order' | 'entries' | 'settings'>): { img: string; paint: string | null } {
  const rows = s.order.map((k) => s.entries[k]).filter((e) => e?.sample && e.status !== 'error');
  const painting = s.settings.pattern === 'painted';
  const paints = rows.map((e) => (painting && e.paintedMask ? encodeMaskBits(e.paintedMask) : ''));
  return { img: rows.map((e) => e.sample).join(SEP), paint: paints.some(Boolean) ? paints.join(SEP) : null };
}

/** Writes the picture parameters into a query string; returns it with its `?`. */
export function serializeUrlImages(v: { img: string; paint: string | null }, existing = ''): string {
  const p = new URLSearchParams(existing);
  p.set(IMG_URL_KEY, v.img);
  if (v.paint) p.set(PAINT_URL_KEY, v.paint);
  else p.delete(PAINT_URL_KEY);
  const s = p.toString();
  return s ? `?${s}` : '';
}
