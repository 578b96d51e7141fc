import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { countMasked, lenKeepFor, maskFor, MAX_SEED, patternNoise, planFromMask, planFromNoise } from '../../../src/shared/masking';
import { mulberry32, seededNoise } from '../../../src/shared/prng';

const GRID = 14; // 224 / 16
const L = GRID * GRID;

describe('seeded noise', () => {
  it('is deterministic per seed, differs across seeds, and lies in [0, 1)', () => {
    const a = seededNoise(7, 2, L);
    expect(seededNoise(7, 2, L)).toEqual(a);
    expect(seededNoise(8, 2, L)).not.toEqual(a);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThan(1);
  });
  it('is roughly uniform (mean within 0.02 of 0.5 over 10k draws)', () => {
    const next = mulberry32(123);
    let s = 0;
    const DRAWS = 10_000;
    for (let i = 0; i < DRAWS; i++) s += next();
    expect(Math.abs(s / DRAWS - 0.5)).toBeLessThan(0.02);
  });
});

describe('planFromNoise (reference random_masking)', () => {
  it('keeps the len_keep smallest-noise patches and inverts the shuffle', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.double({ min: 0, max: 1, noNaN: true }), (seed, ratio) => {
      const noise = seededNoise(seed, 2, L);
      const plan = planFromNoise(noise, 2, ratio);
      expect(plan.lenKeep).toBe(Math.trunc(L * (1 - ratio)));
      for (let b = 0; b < 2; b++) {
        const row = Array.from(noise.subarray(b * L, (b + 1) * L));
        const sorted = [...row.keys()].sort((i, j) => row[i] - row[j]);
        for (let j = 0; j < L; j++) {
          expect(plan.idsShuffle[b * L + j]).toBe(sorted[j]);
          expect(plan.idsRestore[b * L + plan.idsShuffle[b * L + j]]).toBe(j);
          expect(plan.mask[b * L + sorted[j]]).toBe(j < plan.lenKeep ? 0 : 1);
        }
      }
    }), { numRuns: 50 });
  });
  it('rejects ratios outside [0, 1]', () => {
    expect(() => lenKeepFor(L, 1.5)).toThrow(/mask ratio/);
    expect(() => lenKeepFor(L, -0.1)).toThrow(/mask ratio/);
  });
});

describe('mask patterns', () => {
  const patterns = ['random', 'block', 'grid'] as const;
  const masked = (pattern: (typeof patterns)[number], seed: number, ratio: number) =>
    planFromNoise(patternNoise(pattern, seed, GRID), 1, ratio).mask;

  for (const pattern of patterns) {
    it(`${pattern}: masks exactly L - trunc(L (1 - r)) patches and nests as the ratio grows`, () => {
      fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: 95 }), fc.integer({ min: 0, max: 95 }),
        (seed, a, b) => {
          const [lo, hi] = a <= b ? [a / 100, b / 100] : [b / 100, a / 100];
          const mLo = masked(pattern, seed, lo);
          const mHi = masked(pattern, seed, hi);
          expect(mLo.reduce((s, v) => s + v, 0)).toBe(L - Math.trunc(L * (1 - lo)));
          for (let i = 0; i < L; i++) if (mLo[i]) expect(mHi[i]).toBe(1);
        }), { numRuns: 40 });
    });
  }

  it('grid at 75 % keeps one patch in every 2x2 cell, on a regular lattice', () => {
    for (const seed of [0, 1, 2, 3]) {
      const m = masked('grid', seed, 0.75);
      const kept = [...m.keys()].filter((i) => !m[i]);
      expect(kept).toHaveLength(L / 4);
      const rowParity = new Set(kept.map((i) => Math.floor(i / GRID) % 2));
      const colParity = new Set(kept.map((i) => (i % GRID) % 2));
      expect(rowParity.size).toBe(1);
      expect(colParity.size).toBe(1);
    }
  });

  it('grid at 50 % is a checkerboard (no patch shares an edge with a patch of its own kind), not stripes', () => {
    for (const seed of [0, 1, 2, 3, 12345]) {
      const m = masked('grid', seed, 0.5);
      expect(countMasked(m)).toBe(L / 2);
      for (let r = 0; r < GRID; r++) for (let c = 0; c + 1 < GRID; c++) {
        expect(m[r * GRID + c], `row ${r}, columns ${c}-${c + 1}, seed ${seed}`).not.toBe(m[r * GRID + c + 1]);
        if (r + 1 < GRID) expect(m[r * GRID + c], `rows ${r}-${r + 1}, column ${c}`).not.toBe(m[(r + 1) * GRID + c]);
      }
    }
  });

  it('maskFor gives the plan\'s mask for seeded and painted specs, and seeds span uint32', () => {
    const m = maskFor({ pattern: 'random', maskRatio: 0.75, seed: MAX_SEED }, GRID);
    expect(countMasked(m)).toBe(L - Math.trunc(L * 0.25));
    expect(Array.from(m)).toEqual(Array.from(planFromNoise(seededNoise(MAX_SEED, 1, L), 1, 0.75).mask));
    const painted = new Uint8Array(L);
    painted[5] = 1;
    expect(Array.from(maskFor({ pattern: 'painted', mask: painted }, GRID))).toEqual(Array.from(painted));
    expect(() => maskFor({ pattern: 'painted', mask: new Uint8Array(3) }, GRID)).toThrow(/3 entries/);
  });

  it('block masks are clumped: masked patches have far more masked neighbours than random ones', () => {
    const neighbourShare = (m: Float32Array) => {
      let same = 0;
      let total = 0;
      for (let r = 0; r < GRID; r++) for (let c = 0; c < GRID; c++) {
        if (!m[r * GRID + c]) continue;
        for (const [dr, dc] of [[0, 1], [1, 0], [0, -1], [-1, 0]]) {
          const rr = r + dr, cc = c + dc;
          if (rr < 0 || cc < 0 || rr >= GRID || cc >= GRID) continue;
          total++;
          if (m[rr * GRID + cc]) same++;
        }
      }
      return same / total;
    };
    const RATIO = 0.4;
    const SEEDS = 20;
    let block = 0, random = 0;
    for (let s = 0; s < SEEDS; s++) {
      block += neighbourShare(masked('block', s, RATIO));
      random += neighbourShare(masked('random', s, RATIO));
    }
    // Random masking gives about RATIO; blocks should sit well above it.
    expect(block / SEEDS).toBeGreaterThan(random / SEEDS + 0.15);
  });
});

describe('planFromMask (explicit masks)', () => {
  it('keeps the unmasked patches in patch order and inverts the shuffle', () => {
    const m = new Uint8Array(L);
    [3, 4, 100, 195].forEach((i) => (m[i] = 1));
    const plan = planFromMask(m, 1);
    expect(plan.lenKeep).toBe(L - 4);
    expect(Array.from(plan.idsShuffle.subarray(plan.lenKeep))).toEqual([3, 4, 100, 195]);
    expect(Array.from(plan.mask)).toEqual(Array.from(m));
    for (let j = 0; j < L; j++) expect(plan.idsRestore[plan.idsShuffle[j]]).toBe(j);
  });
  it('refuses a batch whose samples keep different numbers of patches', () => {
    const m = new Uint8Array(2 * L);
    m[0] = 1;
    expect(() => planFromMask(m, 2)).toThrow(/same number/);
  });
});
