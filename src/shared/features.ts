// Patch features as pictures (pure: no tf, no DOM): a PCA of the encoder's patch features mapped
// to RGB, and the cosine similarity of one patch to all. Features are `[n, dim]` row-major
// (e.g. the latent without its cls row).
import { mulberry32 } from './prng';

/** Below this standard deviation a feature dimension is constant: it is left out, not divided by ~0. */
const MIN_FEATURE_STD = 1e-8;
/** Principal components mapped to the red, green and blue channels. */
const RGB_COMPONENTS = 3;
/** Extra vectors iterated alongside the wanted ones: convergence goes as (lambda_{k+extra+1} / lambda_k)^iter. */
const SUBSPACE_OVERSAMPLE = 5;
/** Relative change of the top eigenvalues below which subspace iteration stops. */
const EIGEN_REL_TOL = 1e-10;
/** Iteration cap of subspace iteration. */
const MAX_SUBSPACE_ITERS = 500;
/** Sweeps cap of the Jacobi eigensolver for the small projected matrix (it converges quadratically: ~10). */
const MAX_JACOBI_SWEEPS = 100;
/** Jacobi stops when the off-diagonal norm is below this fraction of the whole matrix's norm. */
const JACOBI_REL_TOL = 1e-15;
/** Seed of the start vectors, so the same features give the same picture. */
const START_SEED = 0x5eed;
/** Largest 8-bit value. */
const MAX_8BIT = 255;

function checkFeatures(x: ArrayLike<number>, n: number, dim: number): void {
  if (!Number.isInteger(n) || !Number.isInteger(dim) || n <= 0 || dim <= 0 || x.length !== n * dim) {
    throw new RangeError(`features have ${x.length} values, expected ${n} x ${dim}`);
  }
}

/**
 * Standardises each feature dimension over the n rows (mean 0, population std 1); constant
 * dimensions become 0. MAE features have a few very high-variance dimensions that would otherwise
 * decide every component and every similarity alone. Returns `[n, dim]` float64.
 */
export function standardizeFeatures(x: ArrayLike<number>, n: number, dim: number): Float64Array {
  checkFeatures(x, n, dim);
  const out = new Float64Array(n * dim);
  for (let d = 0; d < dim; d++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i * dim + d];
    const mean = s / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (x[i * dim + d] - mean) ** 2;
    const std = Math.sqrt(v / n);
    for (let i = 0; i < n; i++) out[i * dim + d] = std < MIN_FEATURE_STD ? 0 : (x[i * dim + d] - mean) / std;
  }
  return out;
}

/** Eigenvalues (descending) and eigenvectors (columns of `[m, m]`) of a small symmetric matrix, by cyclic Jacobi. */
export function symmetricEigen(a: ArrayLike<number>, m: number): { values: Float64Array; vectors: Float64Array } {
  const s = Float64Array.from(a);
  const v = new Float64Array(m * m);
  for (let i = 0; i < m; i++) v[i * m + i] = 1;
  let total = 0;
  for (let i = 0; i < m * m; i++) total += s[i] ** 2;
  for (let sweep = 0; sweep < MAX_JACOBI_SWEEPS; sweep++) {
    let off = 0;
    for (let p = 0; p < m; p++) for (let q = p + 1; q < m; q++) off += s[p * m + q] ** 2;
    if (!(off > JACOBI_REL_TOL ** 2 * total)) break; // converged, or not finite
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = s[p * m + q];
        if (apq === 0) continue;
        const theta = (s[q * m + q] - s[p * m + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const sn = t * c;
        for (let k = 0; k < m; k++) { // rotate columns p, q
          const akp = s[k * m + p];
          const akq = s[k * m + q];
          s[k * m + p] = c * akp - sn * akq;
          s[k * m + q] = sn * akp + c * akq;
        }
        for (let k = 0; k < m; k++) { // rotate rows p, q
          const apk = s[p * m + k];
          const aqk = s[q * m + k];
          s[p * m + k] = c * apk - sn * aqk;
          s[q * m + k] = sn * apk + c * aqk;
        }
        for (let k = 0; k < m; k++) {
          const vkp = v[k * m + p];
          const vkq = v[k * m + q];
          v[k * m + p] = c * vkp - sn * vkq;
          v[k * m + q] = sn * vkp + c * vkq;
        }
      }
    }
  }
  const order = [...Array(m).keys()].sort((i, j) => s[j * m + j] - s[i * m + i]);
  const values = Float64Array.from(order, (i) => s[i * m + i]);
  const vectors = new Float64Array(m * m);
  order.forEach((src, dst) => { for (let k = 0; k < m; k++) vectors[k * m + dst] = v[k * m + src]; });
  return { values, vectors };
}

/** Orthonormalises the k columns of `q` `[dim, k]` in place (modified Gram-Schmidt); a dependent column becomes 0. */
function orthonormalize(q: Float64Array, dim: number, k: number): void {
  for (let j = 0; j < k; j++) {
    for (let i = 0; i < j; i++) {
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += q[d * k + i] * q[d * k + j];
      for (let d = 0; d < dim; d++) q[d * k + j] -= dot * q[d * k + i];
    }
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += q[d * k + j] ** 2;
    norm = Math.sqrt(norm);
    for (let d = 0; d < dim; d++) q[d * k + j] = norm > 0 ? q[d * k + j] / norm : 0;
  }
}

/** `C q` for the covariance `C = z^T z / n` without forming it: z `[n, dim]`, q `[dim, k]` -> `[dim, k]`. */
function covTimes(z: Float64Array, n: number, dim: number, q: Float64Array, k: number): Float64Array {
  const zq = new Float64Array(n * k); // [n, k]
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) {
    const zid = z[i * dim + d];
    if (zid === 0) continue;
    for (let j = 0; j < k; j++) zq[i * k + j] += zid * q[d * k + j];
  }
  const out = new Float64Array(dim * k);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) {
    const zid = z[i * dim + d] / n;
    if (zid === 0) continue;
    for (let j = 0; j < k; j++) out[d * k + j] += zid * zq[i * k + j];
  }
  return out;
}

/** Top principal directions of row features. */
export interface PrincipalComponents {
  /** `[count, dim]` unit vectors, strongest first; each signed so its largest-magnitude entry is positive. */
  components: Float64Array;
  /** `[count]` variances along them (eigenvalues of the covariance), descending. */
  variances: Float64Array;
}

/**
 * The top `count` eigenvectors of the covariance of `z` `[n, dim]` (already centred, e.g.
 * standardizeFeatures), by subspace iteration with Rayleigh-Ritz: never forms the `dim x dim`
 * covariance, so ViT-Huge's 1280 dimensions cost as much as a few products with z.
 */
export function principalComponents(z: Float64Array, n: number, dim: number, count = RGB_COMPONENTS): PrincipalComponents {
  checkFeatures(z, n, dim);
  const k = Math.min(dim, count + SUBSPACE_OVERSAMPLE);
  const next = mulberry32(START_SEED);
  let q: Float64Array = Float64Array.from({ length: dim * k }, () => next() - 0.5); // [dim, k]
  orthonormalize(q, dim, k);
  let ritz: { values: Float64Array; vectors: Float64Array } = { values: new Float64Array(k), vectors: new Float64Array(k * k) };
  let previous: Float64Array = new Float64Array(k).fill(Number.NaN);
  for (let iter = 0; iter < MAX_SUBSPACE_ITERS; iter++) {
    const cq = covTimes(z, n, dim, q, k); // [dim, k]
    // Rayleigh-Ritz: B = q^T C q (k x k), then rotate q onto B's eigenvectors.
    const b = new Float64Array(k * k);
    for (let d = 0; d < dim; d++) for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) b[i * k + j] += q[d * k + i] * cq[d * k + j];
    ritz = symmetricEigen(b, k);
    const done = [...Array(Math.min(count, k)).keys()].every((i) =>
      Math.abs(ritz.values[i] - previous[i]) <= EIGEN_REL_TOL * Math.max(Math.abs(ritz.values[0]), Number.MIN_VALUE));
    // q and ritz must stay a pair: stop before q moves on.
    if (done || iter === MAX_SUBSPACE_ITERS - 1) break;
    previous = ritz.values;
    q = cq;
    orthonormalize(q, dim, k);
  }
  const m = Math.min(count, k);
  const components = new Float64Array(m * dim);
  for (let c = 0; c < m; c++) {
    let big = 0;
    for (let d = 0; d < dim; d++) {
      let v = 0;
      for (let j = 0; j < k; j++) v += q[d * k + j] * ritz.vectors[j * k + c];
      components[c * dim + d] = v;
      if (Math.abs(v) > Math.abs(big)) big = v;
    }
    if (big < 0) for (let d = 0; d < dim; d++) components[c * dim + d] *= -1;
  }
  return { components, variances: ritz.values.slice(0, m) };
}

/** A PCA picture of patch features. */
export interface FeaturePca extends PrincipalComponents {
  /** `[n, 3]` projections of the standardised features on the top three components. */
  projections: Float32Array;
  /** `[n, 3]` the projections mapped to 0-255 per channel (each component's min to 0, max to 255). */
  rgb: Uint8ClampedArray;
}

/**
 * PCA of patch features to RGB: standardise every dimension, take the top three principal
 * components, project, and stretch each component's range over the n patches to 0-255.
 */
export function pcaToRgb(features: ArrayLike<number>, n: number, dim: number): FeaturePca {
  const z = standardizeFeatures(features, n, dim);
  const pc = principalComponents(z, n, dim, RGB_COMPONENTS);
  const m = pc.variances.length;
  const projections = new Float32Array(n * RGB_COMPONENTS);
  for (let i = 0; i < n; i++) for (let c = 0; c < m; c++) {
    let v = 0;
    for (let d = 0; d < dim; d++) v += z[i * dim + d] * pc.components[c * dim + d];
    projections[i * RGB_COMPONENTS + c] = v;
  }
  const rgb = new Uint8ClampedArray(n * RGB_COMPONENTS);
  for (let c = 0; c < RGB_COMPONENTS; c++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      lo = Math.min(lo, projections[i * RGB_COMPONENTS + c]);
      hi = Math.max(hi, projections[i * RGB_COMPONENTS + c]);
    }
    // A flat component (fewer than three dimensions vary) sits mid-grey.
    for (let i = 0; i < n; i++) {
      rgb[i * RGB_COMPONENTS + c] = hi > lo ? Math.round(((projections[i * RGB_COMPONENTS + c] - lo) / (hi - lo)) * MAX_8BIT) : MAX_8BIT / 2;
    }
  }
  return { ...pc, projections, rgb };
}

/**
 * Cosine similarity of row `index` to every row of `[n, dim]` features, `[n]` in [-1, 1]; a zero
 * row scores 0. Pass standardizeFeatures output to keep a few large dimensions from deciding it.
 */
export function cosineSimilarity(features: ArrayLike<number>, n: number, dim: number, index: number): Float32Array {
  checkFeatures(features, n, dim);
  if (!Number.isInteger(index) || index < 0 || index >= n) throw new RangeError(`row ${index} is not one of ${n}`);
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += features[i * dim + d] ** 2;
    norms[i] = Math.sqrt(s);
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (norms[i] === 0 || norms[index] === 0) continue;
    let dot = 0;
    for (let d = 0; d < dim; d++) dot += features[i * dim + d] * features[index * dim + d];
    out[i] = dot / (norms[i] * norms[index]);
  }
  return out;
}
