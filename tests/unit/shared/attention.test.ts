import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  attentionMap, attentionRollout, attentionRolloutRow, encoderTokensToPatches, type AttentionShape,
} from '../../../src/shared/attention';
import { mulberry32 } from '../../../src/shared/prng';

/** float32 storage of sums of a few products. */
const F32_TOL = 1e-6;

/** A random attention stack whose rows are softmax-like (positive, summing to 1). */
function randomStack(s: AttentionShape, seed: number): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(s.layers * s.heads * s.tokens * s.tokens);
  for (let r = 0; r < out.length / s.tokens; r++) {
    let sum = 0;
    for (let j = 0; j < s.tokens; j++) sum += (out[r * s.tokens + j] = Math.exp(3 * next()));
    for (let j = 0; j < s.tokens; j++) out[r * s.tokens + j] /= sum;
  }
  return out;
}

/** Plain [T, T] product a @ b. */
function matMul(a: ArrayLike<number>, b: ArrayLike<number>, t: number): Float64Array {
  const out = new Float64Array(t * t);
  for (let i = 0; i < t; i++) for (let j = 0; j < t; j++) for (let k = 0; k < t; k++) out[i * t + j] += a[i * t + k] * b[k * t + j];
  return out;
}

describe('attentionMap', () => {
  it('returns one head, or the mean of the heads, of one layer', () => {
    const s = { layers: 2, heads: 3, tokens: 4 };
    const a = randomStack(s, 1);
    const tt = 16;
    expect(Array.from(attentionMap(a, s, 1, 2))).toEqual(Array.from(a.subarray((1 * 3 + 2) * tt, (1 * 3 + 3) * tt)));
    const mean = attentionMap(a, s, 0, 'mean');
    for (let i = 0; i < tt; i++) expect(mean[i]).toBeCloseTo((a[i] + a[tt + i] + a[2 * tt + i]) / 3, 6);
    expect(() => attentionMap(a.subarray(1), s, 0, 0)).toThrow(/expected 2x3x4x4/);
  });
});

describe('attentionRollout (Abnar & Zuidema)', () => {
  it('multiplies (A + I)/2 from the last layer down: a two-layer example worked by hand', () => {
    // Layer 1: every token attends token 0; layer 2: every token attends token 1 (one head, T = 2).
    // Â1 = [[1, 0], [.5, .5]], Â2 = [[.5, .5], [0, 1]]; R = Â2 Â1 = [[.75, .25], [.5, .5]] (Â1 Â2 would be [[.5, .5], [.25, .75]]).
    const a = Float32Array.from([1, 0, 1, 0, 0, 1, 0, 1]);
    const r = attentionRollout(a, { layers: 2, heads: 1, tokens: 2 });
    expect(Array.from(r)).toEqual([0.75, 0.25, 0.5, 0.5]);
  });

  it('is the identity when every token attends only itself, and keeps rows summing to 1', () => {
    const t = 5;
    const eye = new Float32Array(3 * 2 * t * t);
    for (let m = 0; m < 6; m++) for (let i = 0; i < t; i++) eye[m * t * t + i * t + i] = 1;
    const r = attentionRollout(eye, { layers: 3, heads: 2, tokens: t });
    for (let i = 0; i < t; i++) for (let j = 0; j < t; j++) expect(r[i * t + j]).toBe(i === j ? 1 : 0);
    const s = { layers: 4, heads: 3, tokens: 7 };
    const rr = attentionRollout(randomStack(s, 9), s);
    for (let i = 0; i < s.tokens; i++) {
      expect(rr.subarray(i * s.tokens, (i + 1) * s.tokens).reduce((x, y) => x + y, 0)).toBeCloseTo(1, 6);
    }
  });

  it('equals the product of the head-averaged residual maps, last layer first', () => {
    const s = { layers: 3, heads: 2, tokens: 6 };
    const a = randomStack(s, 5);
    const t = s.tokens;
    const residual = (l: number) => Float64Array.from(attentionMap(a, s, l, 'mean'), (v, i) => 0.5 * v + (i % (t + 1) === 0 ? 0.5 : 0));
    const want = matMul(residual(2), matMul(residual(1), residual(0), t), t);
    const got = attentionRollout(a, s);
    for (let i = 0; i < t * t; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(F32_TOL);
  });

  it('attentionRolloutRow is that row of the full rollout', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 2, max: 9 }), (seed, layers, heads, tokens) => {
        const s = { layers, heads, tokens };
        const a = randomStack(s, seed);
        const full = attentionRollout(a, s);
        const row = seed % tokens;
        const got = attentionRolloutRow(a, s, row);
        for (let j = 0; j < tokens; j++) expect(Math.abs(got[j] - full[row * tokens + j])).toBeLessThan(F32_TOL);
      }), { numRuns: 50 });
    expect(() => attentionRolloutRow(new Float32Array(4), { layers: 1, heads: 1, tokens: 2 }, 2)).toThrow(/not a token/);
  });
});

describe('encoderTokensToPatches', () => {
  it('puts token i on patch idsKeep[i-1], drops cls, fills masked patches', () => {
    const out = encoderTokensToPatches([9, 1, 2, 3], [4, 0, 2], 6, -1);
    expect(Array.from(out)).toEqual([2, -1, 3, -1, 1, -1]);
    expect(Number.isNaN(encoderTokensToPatches([0, 1], [1], 2)[0])).toBe(true);
    expect(() => encoderTokensToPatches([1, 2], [0, 1], 4)).toThrow(/cls first/);
  });
});
