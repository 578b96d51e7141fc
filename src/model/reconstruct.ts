// One image through the model, with what a viewer needs: the reconstruction and the
// composite as pixels, a per-pixel error map and error figures over the masked patches.
import * as tf from '@tensorflow/tfjs-core';
import { gridSize } from './config';
import type { Mae } from './mae';
import { planFor, type MaskSpec } from '../shared/masking';
import { chwToRgba, denormalizeChw, rgbaToNormalizedChw } from './pixels';
import { NORM_PIX_EPS } from './mae';

/** Largest 8-bit value, the PSNR peak. */
const PEAK_8BIT = 255;
/** Spread, in patches, of the Gaussian that weighs visible patches when estimating a masked patch's statistics. */
const STATS_SIGMA_PATCHES = 1.5;

export type { MaskSpec };

/** Options of one reconstruction. */
export interface ReconstructOptions {
  mask: MaskSpec;
  /** norm_pix_loss checkpoints: estimate masked patches' mean/std from visible patches, or use the hidden truth. */
  normPixStats?: 'visible' | 'true';
}

/** A reconstruction ready to show: RGBA pixels at the model's size and error figures. */
export interface ImageReconstruction {
  size: number;
  /** 1 = masked, per patch in patch order. */
  mask: Uint8Array;
  reconstruction: Uint8ClampedArray; // [S, S, 4]
  pasted: Uint8ClampedArray; // [S, S, 4]
  /** Squared error per pixel, mean over channels, 0-255 space. */
  errorMap: Float32Array; // [S, S]
  /** MSE over masked-patch pixels, 0-255 space; null when nothing is masked. */
  mse: number | null;
  psnr: number | null;
  maskedCount: number;
  /** The reference loss; null when nothing is masked. */
  loss: number | null;
  modelMs: number;
}

/** `[3, S, S]` -> `[L, p*p*3]` in patchify order (row, column, channel). */
export function chwToPatches(chw: Float32Array, size: number, p: number): Float32Array {
  const g = size / p;
  const hw = size * size;
  const k = p * p * 3;
  const out = new Float32Array(g * g * k);
  for (let gr = 0; gr < g; gr++) for (let gc = 0; gc < g; gc++) {
    const o = (gr * g + gc) * k;
    for (let r = 0; r < p; r++) for (let c = 0; c < p; c++) for (let ch = 0; ch < 3; ch++) {
      out[o + (r * p + c) * 3 + ch] = chw[ch * hw + (gr * p + r) * size + gc * p + c];
    }
  }
  return out;
}

/** `[L, p*p*3]` -> `[3, S, S]`, the inverse of chwToPatches. */
export function patchesToChw(patches: Float32Array, size: number, p: number): Float32Array {
  const g = size / p;
  const hw = size * size;
  const k = p * p * 3;
  const out = new Float32Array(3 * hw);
  for (let gr = 0; gr < g; gr++) for (let gc = 0; gc < g; gc++) {
    const o = (gr * g + gc) * k;
    for (let r = 0; r < p; r++) for (let c = 0; c < p; c++) for (let ch = 0; ch < 3; ch++) {
      out[ch * hw + (gr * p + r) * size + gc * p + c] = patches[o + (r * p + c) * 3 + ch];
    }
  }
  return out;
}

/** Per-patch mean and std (unbiased variance + eps, as norm_pix_loss). */
function patchStats(patches: Float32Array, L: number, k: number): { mean: Float64Array; std: Float64Array } {
  const mean = new Float64Array(L);
  const std = new Float64Array(L);
  for (let i = 0; i < L; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += patches[i * k + j];
    const m = s / k;
    let v = 0;
    for (let j = 0; j < k; j++) v += (patches[i * k + j] - m) ** 2;
    mean[i] = m;
    std[i] = Math.sqrt(v / (k - 1) + NORM_PIX_EPS);
  }
  return { mean, std };
}

/**
 * Un-normalises norm_pix predictions `[L, k]` in place: visible patches and (with 'true') masked
 * ones use their own statistics; with 'visible', masked ones use a Gaussian-weighted average of
 * the visible patches' statistics, so nothing hidden is used.
 */
export function unnormalizePatches(pred: Float32Array, target: Float32Array, mask: Uint8Array, grid: number,
  k: number, source: 'visible' | 'true'): void {
  const L = grid * grid;
  const { mean, std } = patchStats(target, L, k);
  const visible = [...mask.keys()].filter((i) => !mask[i]);
  for (let i = 0; i < L; i++) {
    let m = mean[i];
    let s = std[i];
    if (mask[i] && source === 'visible') {
      if (visible.length === 0) {
        m = 0;
        s = 1;
      } else {
        let wsum = 0;
        m = 0;
        s = 0;
        const r = Math.floor(i / grid);
        const c = i % grid;
        for (const j of visible) {
          const d2 = (Math.floor(j / grid) - r) ** 2 + ((j % grid) - c) ** 2;
          const w = Math.exp(-d2 / (2 * STATS_SIGMA_PATCHES ** 2));
          wsum += w;
          m += w * mean[j];
          s += w * std[j];
        }
        // Far from every visible patch all weights underflow: fall back to the plain average.
        if (wsum < Number.MIN_VALUE * 1e10) {
          m = visible.reduce((a, j) => a + mean[j], 0) / visible.length;
          s = visible.reduce((a, j) => a + std[j], 0) / visible.length;
        } else {
          m /= wsum;
          s /= wsum;
        }
      }
    }
    for (let j = 0; j < k; j++) pred[i * k + j] = pred[i * k + j] * s + m;
  }
}

/**
 * Reconstructs one RGBA image already fitted to the model's size. All tensors are freed before
 * returning; the result is plain arrays.
 */
export async function reconstructImage(model: Mae, rgba: Uint8ClampedArray | Uint8Array,
  opts: ReconstructOptions): Promise<ImageReconstruction> {
  const c = model.config;
  const S = c.imgSize;
  const p = c.patchSize;
  const g = gridSize(c);
  const L = g * g;
  const k = p * p * 3;
  const plan = planFor(opts.mask, g);
  const x = rgbaToNormalizedChw(rgba, S, S); // [3, S, S]
  const t0 = performance.now();
  const imgs = tf.tensor4d(x, [1, 3, S, S]);
  let pred: Float32Array;
  let loss: number | null = null;
  try {
    const enc = model.forwardEncoder(imgs, plan);
    const predT = model.forwardDecoder(enc.latent, enc.idsRestore); // [1, L, k]
    const lossT = model.forwardLoss(imgs, predT, enc.mask, L - plan.lenKeep);
    tf.dispose([enc.latent, enc.xMasked, enc.idsRestore, enc.mask]);
    pred = (await predT.data()) as Float32Array;
    predT.dispose();
    if (lossT) {
      loss = (await lossT.data())[0];
      lossT.dispose();
    }
  } finally {
    imgs.dispose();
  }
  const modelMs = performance.now() - t0;

  const mask = Uint8Array.from(plan.mask);
  // Only norm_pix predictions need the input's own patches (for their statistics).
  if (c.normPixLoss) unnormalizePatches(pred, chwToPatches(x, S, p), mask, g, k, opts.normPixStats ?? 'visible');
  const recon255 = denormalizeChw(patchesToChw(pred, S, p), S, S); // [3, S, S]
  const hw = S * S;
  const pasted255 = new Float32Array(3 * hw);
  const errorMap = new Float32Array(hw);
  let se = 0;
  let n = 0;
  for (let y = 0; y < S; y++) for (let xx = 0; xx < S; xx++) {
    const i = y * S + xx;
    const masked = mask[Math.floor(y / p) * g + Math.floor(xx / p)] === 1;
    let e = 0;
    for (let ch = 0; ch < 3; ch++) {
      const orig = rgba[i * 4 + ch];
      const rec = Math.min(PEAK_8BIT, Math.max(0, recon255[ch * hw + i]));
      const d = rec - orig;
      e += d * d;
      pasted255[ch * hw + i] = masked ? recon255[ch * hw + i] : orig;
    }
    errorMap[i] = e / 3;
    if (masked) {
      se += e;
      n += 3;
    }
  }
  const mse = n > 0 ? se / n : null;
  const psnr = mse === null ? null : mse === 0 ? Infinity : 10 * Math.log10((PEAK_8BIT * PEAK_8BIT) / mse);
  return {
    size: S,
    mask,
    reconstruction: chwToRgba(recon255, S, S),
    pasted: chwToRgba(pasted255, S, S),
    errorMap,
    mse,
    psnr,
    maskedCount: L - plan.lenKeep,
    loss,
    modelMs,
  };
}
