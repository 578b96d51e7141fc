import { describe, expect, it } from 'vitest';
import {
  cosineSimilarity, pcaToRgb, principalComponents, standardizeFeatures, symmetricEigen,
} from '../../../src/shared/features';
import { mulberry32 } from '../../../src/shared/prng';

/** Float64 arithmetic on small matrices. */
const F64_TOL = 1e-9;
/** Agreement of eigenvectors from two algorithms (subspace iteration vs. Jacobi on the full covariance). */
const EIGVEC_TOL = 1e-6;
/** float32 storage of values of order 1-10. */
const F32_TOL = 1e-5;

const gauss = (next: () => number) => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());

/** n points in dim dimensions with variances `scales^2` along random orthonormal directions, plus small noise. */
function structured(n: number, dim: number, scales: number[], seed: number): Float64Array {
  const next = mulberry32(seed);
  const dirs = scales.map(() => Float64Array.from({ length: dim }, () => gauss(next)));
  dirs.forEach((u, k) => {
    for (let j = 0; j < k; j++) {
      const dot = u.reduce((s, v, d) => s + v * dirs[j][d], 0);
      for (let d = 0; d < dim; d++) u[d] -= dot * dirs[j][d];
    }
    const norm = Math.hypot(...u);
    for (let d = 0; d < dim; d++) u[d] /= norm;
  });
  const x = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dim; d++) x[i * dim + d] = 0.01 * gauss(next);
    scales.forEach((s, k) => { const g = s * gauss(next); for (let d = 0; d < dim; d++) x[i * dim + d] += g * dirs[k][d]; });
  }
  return x;
}

function covariance(z: Float64Array, n: number, dim: number): Float64Array {
  const c = new Float64Array(dim * dim);
  for (let i = 0; i < n; i++) for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) c[a * dim + b] += (z[i * dim + a] * z[i * dim + b]) / n;
  return c;
}

describe('standardizeFeatures', () => {
  it('gives every dimension mean 0 and std 1, constant dimensions 0', () => {
    const n = 50;
    const dim = 4;
    const next = mulberry32(3);
    const x = Float32Array.from({ length: n * dim }, (_, i) => (i % dim === 2 ? 7 : (i % dim === 3 ? 1e4 : 1) * next()));
    const z = standardizeFeatures(x, n, dim);
    for (let d = 0; d < dim; d++) {
      const col = Array.from({ length: n }, (_, i) => z[i * dim + d]);
      const mean = col.reduce((a, b) => a + b, 0) / n;
      const variance = col.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
      expect(Math.abs(mean)).toBeLessThan(F64_TOL);
      expect(Math.abs(variance - (d === 2 ? 0 : 1))).toBeLessThan(F64_TOL);
    }
    expect(() => standardizeFeatures(x, n, 5)).toThrow(/expected 50 x 5/);
  });
});

describe('symmetricEigen', () => {
  it('returns orthonormal eigenvectors with A v = lambda v, eigenvalues descending', () => {
    const m = 7;
    const next = mulberry32(11);
    const a = new Float64Array(m * m);
    for (let i = 0; i < m; i++) for (let j = i; j < m; j++) a[i * m + j] = a[j * m + i] = next() - 0.5;
    const { values, vectors } = symmetricEigen(a, m);
    for (let k = 1; k < m; k++) expect(values[k]).toBeLessThanOrEqual(values[k - 1]);
    for (let k = 0; k < m; k++) {
      for (let i = 0; i < m; i++) {
        let av = 0;
        for (let j = 0; j < m; j++) av += a[i * m + j] * vectors[j * m + k];
        expect(Math.abs(av - values[k] * vectors[i * m + k])).toBeLessThan(F64_TOL);
      }
      for (let l = 0; l < m; l++) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += vectors[i * m + k] * vectors[i * m + l];
        expect(Math.abs(dot - (k === l ? 1 : 0))).toBeLessThan(F64_TOL);
      }
    }
  });
});

describe('principalComponents', () => {
  it('finds the covariance\'s top eigenvectors and eigenvalues, as a full eigendecomposition does', () => {
    const [n, dim] = [300, 24];
    const z = standardizeFeatures(structured(n, dim, [6, 4, 3, 2, 1.5], 21), n, dim);
    const pc = principalComponents(z, n, dim, 3);
    const full = symmetricEigen(covariance(z, n, dim), dim);
    for (let c = 0; c < 3; c++) {
      expect(Math.abs(pc.variances[c] - full.values[c]) / full.values[0]).toBeLessThan(F64_TOL);
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += pc.components[c * dim + d] * full.vectors[d * dim + c];
      expect(Math.abs(Math.abs(dot) - 1)).toBeLessThan(EIGVEC_TOL);
      // Sign convention: the largest-magnitude entry is positive.
      const comp = Array.from(pc.components.subarray(c * dim, (c + 1) * dim));
      const big = comp.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a), 0);
      expect(big).toBeGreaterThan(0);
    }
  });

  it('works when there are fewer rows than dimensions', () => {
    const [n, dim] = [12, 40];
    const z = standardizeFeatures(structured(n, dim, [5, 3, 2], 4), n, dim);
    const pc = principalComponents(z, n, dim, 3);
    const full = symmetricEigen(covariance(z, n, dim), dim);
    for (let c = 0; c < 3; c++) expect(Math.abs(pc.variances[c] - full.values[c]) / full.values[0]).toBeLessThan(F64_TOL);
  });
});

describe('pcaToRgb', () => {
  const [n, dim] = [120, 16];
  const x = Float32Array.from(structured(n, dim, [5, 3, 2, 1], 8));

  it('stretches each component over 0-255 and projects the standardised features', () => {
    const r = pcaToRgb(x, n, dim);
    expect(r.rgb).toHaveLength(n * 3);
    for (let c = 0; c < 3; c++) {
      const ch = Array.from({ length: n }, (_, i) => r.rgb[i * 3 + c]);
      expect(Math.min(...ch)).toBe(0);
      expect(Math.max(...ch)).toBe(255);
    }
    const z = standardizeFeatures(x, n, dim);
    for (let i = 0; i < n; i += 17) for (let c = 0; c < 3; c++) {
      let v = 0;
      for (let d = 0; d < dim; d++) v += z[i * dim + d] * r.components[c * dim + d];
      expect(Math.abs(r.projections[i * 3 + c] - v)).toBeLessThan(F32_TOL);
    }
  });

  it('is unchanged when one dimension is scaled up a million times (features are standardised first)', () => {
    const scaled = Float32Array.from(x, (v, i) => (i % dim === 5 ? v * 1e6 : v));
    const a = pcaToRgb(x, n, dim);
    const b = pcaToRgb(scaled, n, dim);
    let worst = 0;
    for (let i = 0; i < a.projections.length; i++) worst = Math.max(worst, Math.abs(a.projections[i] - b.projections[i]));
    expect(worst).toBeLessThan(1e-3);
  });

  it('gives the same picture for the same features (deterministic start and signs)', () => {
    expect(Array.from(pcaToRgb(x, n, dim).rgb)).toEqual(Array.from(pcaToRgb(x, n, dim).rgb));
  });
});

describe('cosineSimilarity', () => {
  it('is 1 for itself and a scaled copy, -1 for its negation, 0 for an orthogonal or zero row', () => {
    const f = [1, 2, 0, 3, 6, 0, -1, -2, 0, -2, 1, 5, 0, 0, 0];
    const s = cosineSimilarity(f, 5, 3, 0);
    expect(s[0]).toBeCloseTo(1, 6);
    expect(s[1]).toBeCloseTo(1, 6);
    expect(s[2]).toBeCloseTo(-1, 6);
    expect(s[3]).toBeCloseTo(0, 6);
    expect(s[4]).toBe(0);
    expect(() => cosineSimilarity(f, 5, 3, 5)).toThrow(/not one of 5/);
  });
});
