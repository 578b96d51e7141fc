// The row's four panels as one picture (for the download button).
import { sideBySide } from '../../shared/panels';

export const COMPOSITE_GAP_PX = 8;

export interface Composite { width: number; height: number; data: Uint8ClampedArray }

/** The panels (all `size` x `size`) left to right with white gaps. */
export function compositePanels(panels: Uint8ClampedArray[], size: number): Composite {
  return sideBySide(panels, size, COMPOSITE_GAP_PX, 255);
}

/** A file name for the download: the picture's name, then how it was masked. */
export function downloadName(imageName: string, how: { pattern: string; ratioPct: number; seed: number }): string {
  const base = imageName.replace(/\.[a-z0-9]{1,5}$/i, '').replace(/[^\w.-]+/g, '_').replace(/^[._]+|[._]+$/g, '').slice(0, 80) || 'image';
  const what = how.pattern === 'painted' ? 'painted' : `${how.pattern}-${how.ratioPct}pct-seed${how.seed}`;
  return `${base}-mae-${what}.png`;
}
