// interpolatePosEmbed's own properties; its numbers against torch are in tests/parity/inspect.test.ts.
import { describe, expect, it } from 'vitest';
import { interpolatePosEmbed } from '../../../src/model/posembed';
import { mulberry32 } from '../../../src/shared/prng';

/** float32 storage of sums of 16 weighted values of order 1. */
const F32_TOL = 1e-6;

describe('interpolatePosEmbed', () => {
  const dim = 3;
  const next = mulberry32(1);
  const from = { rows: 4, cols: 4 };
  const table = Float32Array.from({ length: (1 + 16) * dim }, () => next() - 0.5);

  it('keeps the cls row and returns a copy on the same grid', () => {
    const same = interpolatePosEmbed(table, dim, from, from);
    expect(Array.from(same)).toEqual(Array.from(table));
    expect(same).not.toBe(table);
    const out = interpolatePosEmbed(table, dim, from, { rows: 6, cols: 3 });
    expect(out).toHaveLength((1 + 18) * dim);
    expect(Array.from(out.subarray(0, dim))).toEqual(Array.from(table.subarray(0, dim)));
  });

  it('keeps a constant table constant (the bicubic weights sum to 1, edges clamped)', () => {
    const flat = new Float32Array((1 + 16) * dim).fill(0.25);
    const out = interpolatePosEmbed(flat, dim, from, { rows: 7, cols: 5 });
    for (const v of out) expect(Math.abs(v - 0.25)).toBeLessThan(F32_TOL);
  });

  it('resizes rows and columns independently: a table varying only along columns keeps its rows equal', () => {
    const byCol = Float32Array.from({ length: (1 + 16) * dim }, (_, i) => (i < dim ? 0 : Math.sin(Math.floor(i / dim - 1) % 4)));
    const to = { rows: 9, cols: 6 };
    const out = interpolatePosEmbed(byCol, dim, from, to);
    for (let r = 1; r < to.rows; r++) for (let c = 0; c < to.cols; c++) {
      expect(Math.abs(out[(1 + r * to.cols + c) * dim] - out[(1 + c) * dim])).toBeLessThan(F32_TOL);
    }
  });

  it('refuses a table of the wrong length', () => {
    expect(() => interpolatePosEmbed(table.subarray(dim), dim, from, from)).toThrow(/expected \(1 \+ 4x4\) x 3/);
  });
});
