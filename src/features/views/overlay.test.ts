import { describe, expect, it } from 'vitest';
import type { AttentionMaps } from '../../protocol/messages';
import { attentionRolloutRow } from '../../shared/attention';
import { cosineSimilarity, standardizeFeatures } from '../../shared/features';
import { mulberry32 } from '../../shared/prng';
import { argmax, attentionRow, checksum, defaultQuery, featureSets, heatPicture, isQueryable, similarityTo } from './overlay';

/** A 2 x 2 patch grid. */
const ROWS = 2;
const COLS = 2;
const L = ROWS * COLS;
/** Float32 round-off of sums of a few values. */
const F32_TOL = 1e-6;

/** Softmax rows from a seeded generator: `[layers, T, T]`. */
function maps(stack: 'encoder' | 'decoder', layers: number, tokens: number, seed = 1): AttentionMaps {
  const next = mulberry32(seed);
  const data = new Float32Array(layers * tokens * tokens);
  for (let r = 0; r < layers * tokens; r++) {
    const row = Array.from({ length: tokens }, () => Math.exp(3 * next()));
    const s = row.reduce((a, v) => a + v, 0);
    row.forEach((v, j) => { data[r * tokens + j] = v / s; });
  }
  return { stack, head: 'mean', layers, heads: 2, tokens, data };
}

describe('attention rows on the patch grid', () => {
  const idsKeep = Int32Array.from([3, 1]); // encoder order: patch 3 then patch 1
  const enc = maps('encoder', 2, 1 + idsKeep.length);
  const dec = maps('decoder', 2, 1 + L, 2);

  it('place the encoder row of a token on its patch, NaN on masked patches, cls apart', () => {
    const r = attentionRow(enc, idsKeep, L, 1, null);
    const t = enc.tokens;
    const row = enc.data.slice(t * t, t * t + t); // layer 1, token 0 (cls)
    expect(r.cls).toBe(row[0]);
    expect(r.values[3]).toBe(row[1]);
    expect(r.values[1]).toBe(row[2]);
    expect(Number.isNaN(r.values[0]) && Number.isNaN(r.values[2])).toBe(true);
    // From patch 1 (token 2).
    const from1 = attentionRow(enc, idsKeep, L, 0, 1);
    expect(from1.values[3]).toBe(enc.data[2 * t + 1]);
    expect(() => attentionRow(enc, idsKeep, L, 0, 0)).toThrow(/patch 0 is masked/);
    expect(() => attentionRow(enc, idsKeep, L, 2, null)).toThrow(/layer 2/);
  });

  it('give the decoder row of any patch over every patch, and the rollout row', () => {
    const r = attentionRow(dec, idsKeep, L, 0, 2);
    const t = dec.tokens;
    expect(Array.from(r.values)).toEqual(Array.from(dec.data.slice(3 * t + 1, 3 * t + t)));
    expect(r.cls + r.values.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
    const roll = attentionRow(dec, idsKeep, L, 'rollout', 2);
    const want = attentionRolloutRow(dec.data, { layers: 2, heads: 1, tokens: t }, 3);
    expect(Array.from(roll.values)).toEqual(Array.from(want.slice(1)));
    expect(Math.abs(roll.cls + roll.values.reduce((a, v) => a + v, 0) - 1)).toBeLessThan(F32_TOL);
  });

  it('start from cls in the encoder and from the first masked patch in the decoder', () => {
    expect(defaultQuery('encoder', [1, 0, 1, 0])).toBeNull();
    expect(defaultQuery('decoder', [0, 0, 1, 1])).toBe(2);
    expect(defaultQuery('decoder', [0, 0, 0, 0])).toBeNull();
    expect(isQueryable(enc, idsKeep, 1, L)).toBe(true);
    expect(isQueryable(enc, idsKeep, 0, L)).toBe(false);
    expect(isQueryable(dec, idsKeep, 0, L)).toBe(true);
    expect(isQueryable(dec, idsKeep, L, L)).toBe(false);
  });

  it('change their argmax and checksum with the query', () => {
    const a = attentionRow(dec, idsKeep, L, 1, 0).values;
    const b = attentionRow(dec, idsKeep, L, 1, 3).values;
    expect(checksum(a)).not.toBe(checksum(b));
    expect(checksum(a)).toBe(checksum(Float32Array.from(a)));
    expect(argmax([Number.NaN, 0.2, 0.5, 0.1])).toBe(2);
    expect(argmax([Number.NaN])).toBe(-1);
  });
});

describe('heat pictures', () => {
  it('are transparent where there is no value or the least, opaque-most at the top', () => {
    const p = heatPicture([Number.NaN, 0, 0.5, 1], ROWS, COLS, 0, 1);
    expect(Array.from(p.slice(0, 4))).toEqual([0, 0, 0, 0]);
    expect(p[7]).toBeLessThan(p[11]);
    expect(p[11]).toBeLessThan(p[15]);
    expect(() => heatPicture([1], ROWS, COLS, 0, 1)).toThrow(/1 values for a 2x2 grid/);
  });
});

describe('feature sets', () => {
  const dim = 3;
  const next = mulberry32(7);
  const latentAll = Float32Array.from({ length: (1 + L) * dim }, () => next());
  const idsKeep = Int32Array.from([2, 0]);
  const latent = Float32Array.from({ length: (1 + idsKeep.length) * dim }, () => next());

  it('colour the visible patches only, and every patch of the whole picture', () => {
    const { visible, whole } = featureSets({ dim, latent, latentAll }, idsKeep, ROWS, COLS);
    const alpha = (pic: Uint8ClampedArray) => [0, 1, 2, 3].map((p) => pic[p * 4 + 3]);
    expect(alpha(visible.picture)).toEqual([255, 0, 255, 0]);
    expect(alpha(whole.picture)).toEqual([255, 255, 255, 255]);
  });

  it('give the cosine similarity of standardised features, 1 at the clicked patch, NaN outside the set', () => {
    const { visible, whole } = featureSets({ dim, latent, latentAll }, idsKeep, ROWS, COLS);
    const s = similarityTo(whole, 1, L)!;
    const want = cosineSimilarity(standardizeFeatures(latentAll.subarray(dim), L, dim), L, dim, 1);
    expect(Array.from(s)).toEqual(Array.from(want));
    expect(Math.abs(s[1] - 1)).toBeLessThan(F32_TOL);
    const v = similarityTo(visible, 0, L)!;
    expect(Number.isNaN(v[1]) && Number.isNaN(v[3])).toBe(true);
    expect(Math.abs(v[0] - 1)).toBeLessThan(F32_TOL);
    expect(similarityTo(visible, 1, L)).toBeNull();
  });
});
