// Masks on rectangular patch grids (images of another aspect than the checkpoint's square).
import { describe, expect, it } from 'vitest';
import { countMasked, lenKeepFor, maskFor, patternNoise, planFor, type SeededPattern } from '../../../src/shared/masking';

const PATTERNS: SeededPattern[] = ['random', 'block', 'grid'];
/** 224 x 336 px (width x height) at patch 16: 21 rows of 14. */
const ROWS = 21;
const COLS = 14;

describe('masks on a rows x cols grid', () => {
  it.each(PATTERNS)('%s: one value per patch, the reference count masked, nested as the ratio grows', (pattern) => {
    expect(patternNoise(pattern, 5, ROWS, COLS)).toHaveLength(ROWS * COLS);
    let previous: Uint8Array | null = null;
    for (const ratio of [0.25, 0.5, 0.75, 0.9]) {
      const m = maskFor({ pattern, maskRatio: ratio, seed: 5 }, ROWS, COLS);
      expect(m).toHaveLength(ROWS * COLS);
      expect(countMasked(m)).toBe(ROWS * COLS - lenKeepFor(ROWS * COLS, ratio));
      if (previous) for (let i = 0; i < m.length; i++) if (previous[i]) expect(m[i]).toBe(1);
      previous = m;
    }
  });

  it('grid at 75 % keeps exactly one patch in every 2x2 cell of a 20 x 14 grid', () => {
    const [rows, cols] = [20, 14];
    const m = maskFor({ pattern: 'grid', maskRatio: 0.75, seed: 2 }, rows, cols);
    for (let r = 0; r < rows; r += 2) for (let c = 0; c < cols; c += 2) {
      const kept = [0, 1].flatMap((dr) => [0, 1].map((dc) => 1 - m[(r + dr) * cols + c + dc])).reduce((a, b) => a + b, 0);
      expect(kept).toBe(1);
    }
  });

  it('block rectangles stay inside the grid and differ from a transposed grid', () => {
    const a = patternNoise('block', 9, ROWS, COLS);
    const b = patternNoise('block', 9, COLS, ROWS);
    expect(a.every(Number.isFinite)).toBe(true);
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });

  it('a square grid gives the same masks with or without cols, and a painted mask must fit the grid', () => {
    for (const pattern of PATTERNS) {
      expect(Array.from(maskFor({ pattern, maskRatio: 0.6, seed: 3 }, 14, 14))).toEqual(Array.from(maskFor({ pattern, maskRatio: 0.6, seed: 3 }, 14)));
    }
    expect(() => planFor({ pattern: 'painted', mask: new Uint8Array(ROWS * ROWS) }, ROWS, COLS)).toThrow(`expected ${ROWS * COLS}`);
  });
});
