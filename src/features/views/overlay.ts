// What the views draw, as per-patch values and small RGBA pictures (one pixel a patch, scaled up
// by CSS): one attention row on the patch grid, the heat ramp over it, PCA colours and feature
// similarity. Pure: no DOM, no React.
import type { AttentionMaps, PatchFeatures } from '../../protocol/messages';
import { attentionRolloutRow, encoderTokensToPatches } from '../../shared/attention';
import { cosineSimilarity, pcaToRgb, standardizeFeatures } from '../../shared/features';
import { heatAlpha, rampColour } from '../panels/heatmap';

/** Bytes per RGBA pixel. */
const RGBA = 4;
/** Opaque alpha. */
const OPAQUE = 255;
/** Values are rounded to this step before the checksum (float noise must not change it). */
const CHECKSUM_STEP = 1e-4;
/** FNV-1a 32-bit offset basis and prime. */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** A layer of a stack (0-based), or the rollout through all of them. */
export type LayerChoice = number | 'rollout';

/** One attention row placed on the patch grid. */
export interface AttentionRow {
  /** `[L]` weight the query gives each patch's token; NaN where a patch has no token (masked, in the encoder). */
  values: Float32Array;
  /** Weight the query gives the cls token. */
  cls: number;
  /** The query: a patch index, or null for the cls token. */
  query: number | null;
}

/**
 * Where a stack's query starts: the encoder looks from its cls token, the decoder from the first
 * masked patch (what the decoder paints), or its cls token when nothing is masked.
 */
export function defaultQuery(stack: AttentionMaps['stack'], mask: ArrayLike<number>): number | null {
  if (stack === 'encoder') return null;
  for (let i = 0; i < mask.length; i++) if (mask[i]) return i;
  return null;
}

/** Whether patch `p` is a query the stack has a token for (the encoder's are the visible patches). */
export function isQueryable(maps: Pick<AttentionMaps, 'stack'>, idsKeep: ArrayLike<number>, p: number, numPatches: number): boolean {
  if (!Number.isInteger(p) || p < 0 || p >= numPatches) return false;
  return maps.stack === 'decoder' || Array.prototype.indexOf.call(idsKeep, p) >= 0;
}

/**
 * The attention row of `query` (a patch, or null for cls) at `layer` (or the rollout through every
 * layer), on the patch grid. Encoder tokens are cls then `idsKeep`; decoder tokens cls then every patch.
 */
export function attentionRow(maps: AttentionMaps, idsKeep: ArrayLike<number>, numPatches: number, layer: LayerChoice, query: number | null): AttentionRow {
  const t = maps.tokens;
  const tokenOf = (p: number | null): number => {
    if (p === null) return 0;
    if (maps.stack === 'decoder') return 1 + p;
    const i = Array.prototype.indexOf.call(idsKeep, p);
    if (i < 0) throw new RangeError(`patch ${p} is masked: the encoder has no token for it`);
    return 1 + i;
  };
  const q = tokenOf(query);
  if (q >= t) throw new RangeError(`token ${q} is not one of ${t}`);
  let row: Float32Array; // [T]
  if (layer === 'rollout') row = attentionRolloutRow(maps.data, { layers: maps.layers, heads: 1, tokens: t }, q);
  else {
    if (!Number.isInteger(layer) || layer < 0 || layer >= maps.layers) throw new RangeError(`layer ${layer} is not one of ${maps.layers}`);
    row = maps.data.slice((layer * t + q) * t, (layer * t + q + 1) * t);
  }
  const values = maps.stack === 'encoder' ? encoderTokensToPatches(row, idsKeep, numPatches) : row.slice(1, 1 + numPatches);
  return { values, cls: row[0], query };
}

/** Index of the largest finite value (-1 when none). */
export function argmax(values: ArrayLike<number>): number {
  let best = -1;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]) && (best < 0 || values[i] > values[best])) best = i;
  return best;
}

/** A short fingerprint of values (rounded, NaN included), for tests to see that an overlay changed. */
export function checksum(values: ArrayLike<number>): string {
  let h = FNV_OFFSET;
  for (let i = 0; i < values.length; i++) {
    const v = Number.isFinite(values[i]) ? Math.round(values[i] / CHECKSUM_STEP) : -1;
    h = Math.imul(h ^ (v & 0xffff), FNV_PRIME);
    h = Math.imul(h ^ ((v >>> 16) & 0xffff), FNV_PRIME);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * A heat picture of per-patch values, `rows x cols` RGBA (one pixel a patch): `lo` transparent to
 * `hi` at full colour through the error heatmap's ramp; NaN (no value) stays transparent.
 */
export function heatPicture(values: ArrayLike<number>, rows: number, cols: number, lo: number, hi: number): Uint8ClampedArray {
  if (values.length !== rows * cols) throw new RangeError(`${values.length} values for a ${rows}x${cols} grid`);
  const out = new Uint8ClampedArray(rows * cols * RGBA);
  const span = hi > lo ? hi - lo : 1;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) continue;
    const v = Math.min(1, Math.max(0, (values[i] - lo) / span));
    const [r, g, b] = rampColour(v);
    out.set([r, g, b, Math.max(heatAlpha(v), 1)], i * RGBA);
  }
  return out;
}

/** Largest finite value (0 when none), the top of an attention overlay's scale. */
export function maxFinite(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]) && values[i] > m) m = values[i];
  return m;
}

/** Features `[n, E]` without the cls row, out of `[1+n, E]`. */
export function patchRows(latent: Float32Array, dim: number): Float32Array {
  return latent.subarray(dim);
}

/** One set of patch features as the features view uses them: standardised, with their PCA colours. */
export interface FeatureSet {
  /** Patch index of each row. */
  patches: Int32Array;
  /** `[n, E]` standardised features (for similarity). */
  standardized: Float64Array;
  /** `rows x cols` RGBA, PCA colours at the set's patches, transparent elsewhere. */
  picture: Uint8ClampedArray;
}

/** PCA picture and standardised features of patches `patches` (rows of `latent` after its cls row). */
export function featureSet(latent: Float32Array, dim: number, patches: Int32Array, rows: number, cols: number): FeatureSet {
  const n = patches.length;
  const x = patchRows(latent, dim);
  const picture = new Uint8ClampedArray(rows * cols * RGBA);
  if (n === 0) return { patches, standardized: new Float64Array(0), picture };
  const { rgb } = pcaToRgb(x, n, dim);
  for (let i = 0; i < n; i++) picture.set([rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2], OPAQUE], patches[i] * RGBA);
  return { patches, standardized: standardizeFeatures(x, n, dim), picture };
}

/** The two feature sets of an inspection: the visible patches under the mask, and every patch at 0 % masking. */
export function featureSets(f: PatchFeatures, idsKeep: Int32Array, rows: number, cols: number): { visible: FeatureSet; whole: FeatureSet } {
  const all = Int32Array.from({ length: rows * cols }, (_, i) => i);
  return { visible: featureSet(f.latent, f.dim, idsKeep, rows, cols), whole: featureSet(f.latentAll, f.dim, all, rows, cols) };
}

/** Cosine similarity `[L]` of patch `p` to every patch of a set (NaN outside it); null when `p` is not in it. */
export function similarityTo(set: FeatureSet, p: number, numPatches: number): Float32Array | null {
  const row = Array.prototype.indexOf.call(set.patches, p);
  if (row < 0) return null;
  const dim = set.standardized.length / set.patches.length;
  const sim = cosineSimilarity(set.standardized, set.patches.length, dim, row);
  const out = new Float32Array(numPatches).fill(Number.NaN);
  set.patches.forEach((q, i) => { out[q] = sim[i]; });
  return out;
}
