// interpolatePosEmbed's own properties; its numbers against torch are in tests/parity/inspect.test.ts.
import { describe, expect, it } from 'vitest';
import { interpolatePosEmbed, paramsAtImageSize, sincosPosEmbed } from '../../../src/model/posembed';
import { randomParams } from '../../../src/model/random';
import { TINY } from '../../helpers/tf';
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

describe('paramsAtImageSize', () => {
  it('sets imgSize, interpolates both tables (sin-cos when absent) and shares every other parameter', () => {
    const params = randomParams(TINY, 2); // no position tables: computed sin-cos
    const r = paramsAtImageSize(TINY, params, 448);
    expect(r.config).toEqual({ ...TINY, imgSize: 448 });
    const g = { rows: 14, cols: 14 };
    const to = { rows: 28, cols: 28 };
    expect(r.params.get('pos_embed')!.shape).toEqual([1, 785, TINY.embedDim]);
    expect(Array.from(r.params.get('pos_embed')!.data)).toEqual(Array.from(interpolatePosEmbed(sincosPosEmbed(TINY.embedDim, 14), TINY.embedDim, g, to)));
    expect(r.params.get('decoder_pos_embed')!.shape).toEqual([1, 785, TINY.decoderEmbedDim]);
    expect(r.params.get('blocks.0.attn.qkv.weight')).toBe(params.get('blocks.0.attn.qkv.weight'));
    expect(params.has('pos_embed')).toBe(false);
    expect(() => paramsAtImageSize(TINY, params, 450)).toThrow(/not a positive multiple of the patch size 16/);
  });
});
