// One image through the model, with what a viewer needs: the reconstruction and the
// composite as pixels, a per-pixel error map and error figures over the masked patches. All of it
// is computed on the backend and read back once; the host only lays the pixels out as RGBA.
import * as tf from '@tensorflow/tfjs-core';
import type { Mae } from './mae';
import { planFor, type MaskPlan, type MaskSpec } from '../shared/masking';
import { IMAGENET_MEAN, IMAGENET_STD, MAX_8BIT, RGB, rgbaToNormalizedPatches } from './pixels';
import { NORM_PIX_EPS } from './mae';

/** The PSNR peak: the largest 8-bit value. */
const PEAK_8BIT = MAX_8BIT;
/** Spread, in patches, of the Gaussian that weighs visible patches when estimating a masked patch's statistics. */
const STATS_SIGMA_PATCHES = 1.5;
/** A Gaussian weight sum below Number.MIN_VALUE times this counts as underflowed (unitless). */
const UNDERFLOW_MARGIN = 1e10;

export type { MaskSpec };

/** Options of one reconstruction. */
export interface ReconstructOptions {
  mask: MaskSpec;
  /** norm_pix_loss checkpoints: estimate masked patches' mean/std from visible patches, or use the hidden truth. */
  normPixStats?: 'visible' | 'true';
}

/** A reconstruction ready to show: RGBA pixels at the model's size and error figures. */
export interface ImageReconstruction {
  /** The width in pixels (the checkpoint's size unless the model runs on another grid). */
  size: number;
  width: number;
  height: number;
  /** 1 = masked, per patch in patch order. */
  mask: Uint8Array;
  reconstruction: Uint8ClampedArray; // [H, W, 4]
  pasted: Uint8ClampedArray; // [H, W, 4]
  /** Squared error per pixel, mean over channels, 0-255 space. */
  errorMap: Float32Array; // [H, W]
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

/**
 * norm_pix_loss checkpoints with 'visible' statistics: row i of `[N, L, L]` weighs the patches
 * whose mean and std stand in for patch i's. A visible patch keeps its own; a masked one takes a
 * Gaussian-weighted average (spread STATS_SIGMA_PATCHES) of the visible patches' (plain average
 * where every weight underflows), so nothing hidden is used. Weights in float64, rows sum to 1.
 * Null when no patch is visible (then statistics 0 and 1: pred as is). `grid`: patches per row (columns).
 */
export function visibleStatsWeights(plan: MaskPlan, grid: number): Float32Array | null {
  const { n, numPatches: l } = plan;
  if (plan.lenKeep === 0) return null;
  const out = new Float32Array(n * l * l);
  const w = new Float64Array(l);
  for (let b = 0; b < n; b++) {
    const mask = plan.mask.subarray(b * l, (b + 1) * l);
    const visible: number[] = [];
    for (let j = 0; j < l; j++) if (!mask[j]) visible.push(j);
    for (let i = 0; i < l; i++) {
      const row = (b * l + i) * l;
      if (!mask[i]) {
        out[row + i] = 1;
        continue;
      }
      const r = Math.floor(i / grid);
      const c = i % grid;
      let sum = 0;
      for (const j of visible) {
        w[j] = Math.exp(-((Math.floor(j / grid) - r) ** 2 + ((j % grid) - c) ** 2) / (2 * STATS_SIGMA_PATCHES ** 2));
        sum += w[j];
      }
      // Far from every visible patch all weights underflow: fall back to the plain average.
      const plain = sum < Number.MIN_VALUE * UNDERFLOW_MARGIN;
      for (const j of visible) out[row + j] = plain ? 1 / visible.length : w[j] / sum;
    }
  }
  return out;
}

/**
 * The one readback of a batch reconstruction, as views into one buffer. Pixel values are in
 * 0-255 space (unclamped, unrounded), in patch order: patch l, pixel (r, c) of it, channel.
 */
export interface ReconstructionReadback {
  n: number;
  recon: Float32Array; // [N, L, p*p*3], norm_pix predictions un-normalised
  pasted: Float32Array; // [N, L, p*p*3], visible patches from the input, masked from recon
  /** Squared error per pixel against the input, mean over channels, recon clamped to 0-255. */
  error: Float32Array; // [N, L, p*p]
  /** Per sample: sum over masked patches of the reference loss's per-patch mean squared error. */
  lossSums: Float32Array; // [N]
  modelMs: number;
}

/**
 * The reference forward (Mae.predict), recon and paste, the error map and the loss, all on the
 * backend, packed into one tensor and read back once with `await data()`.
 * patches: normalised `[N, L, p*p*3]` on the host (rgbaToNormalizedPatches).
 */
export async function reconstructBatch(model: Mae, patches: Float32Array, plan: MaskPlan,
  normPixStats: 'visible' | 'true' = 'visible'): Promise<ReconstructionReadback> {
  const c = model.config;
  const { n, numPatches: l } = plan;
  const k = model.patchValues;
  const pp = c.patchSize * c.patchSize;
  const rows = n * l;
  const ownStats = normPixStats === 'true';
  const mix = c.normPixLoss && !ownStats ? visibleStatsWeights(plan, model.grid.cols) : null;
  const t0 = performance.now();
  const packed = tf.tidy(() => {
    const pred = tf.reshape(model.predict(patches, plan), [rows, k]); // [N*L, k]
    const target = tf.tensor2d(patches, [rows, k]);
    const masked = tf.tensor2d(plan.mask, [rows, 1]); // 1 = masked
    let recon = pred;
    let lossTarget = target;
    if (c.normPixLoss) {
      const mean = tf.mean(target, -1, true); // [N*L, 1]
      const centred = tf.sub(target, mean);
      const unbiased = tf.mul(tf.mean(tf.square(centred), -1, true), k / (k - 1)); // torch .var() is unbiased
      const std = tf.sqrt(tf.add(unbiased, NORM_PIX_EPS)); // [N*L, 1]
      lossTarget = tf.div(centred, std);
      if (ownStats) recon = tf.add(tf.mul(pred, std), mean);
      else if (mix) {
        const stats = tf.matMul(tf.tensor3d(mix, [n, l, l]), tf.reshape(tf.concat([mean, std], 1), [n, l, 2])); // [N, L, 2]
        const [m, sd] = tf.split(tf.reshape(stats, [rows, 2]), 2, 1);
        recon = tf.add(tf.mul(pred, sd), m);
      } // else nothing is visible: statistics 0 and 1, pred as is
    }
    const perPatch = tf.mean(tf.squaredDifference(pred, lossTarget), -1, true); // [N*L, 1]
    const lossSums = tf.sum(tf.reshape(tf.mul(perPatch, masked), [n, l]), 1); // [N]
    // To 0-255: channels are innermost in a patch row.
    const scale = tf.tensor1d(Float32Array.from({ length: k }, (_, j) => MAX_8BIT * IMAGENET_STD[j % RGB]));
    const shift = tf.tensor1d(Float32Array.from({ length: k }, (_, j) => MAX_8BIT * IMAGENET_MEAN[j % RGB]));
    const recon255 = tf.add(tf.mul(recon, scale), shift); // [N*L, k]
    const input255 = tf.add(tf.mul(target, scale), shift);
    // As the reference's paste, imgs (1 - mask) + recon mask: exactly one of the two on every patch.
    const visible = tf.tensor2d(plan.mask.map((m) => 1 - m), [rows, 1]);
    const pasted255 = tf.add(tf.mul(recon255, masked), tf.mul(input255, visible));
    const diff = tf.sub(tf.clipByValue(recon255, 0, MAX_8BIT), input255);
    const error = tf.mean(tf.reshape(tf.square(diff), [rows * pp, RGB]), -1); // [N*L*p*p]
    return tf.concat([tf.reshape(recon255, [-1]), tf.reshape(pasted255, [-1]), error, lossSums]);
  });
  let data: Float32Array;
  try {
    data = (await packed.data()) as Float32Array;
  } finally {
    packed.dispose();
  }
  const px = rows * k;
  const errAt = 2 * px;
  const sumsAt = errAt + rows * pp;
  return {
    n,
    recon: data.subarray(0, px),
    pasted: data.subarray(px, 2 * px),
    error: data.subarray(errAt, sumsAt),
    lossSums: data.subarray(sumsAt, sumsAt + n),
    modelMs: performance.now() - t0,
  };
}

/**
 * Reconstructs one RGBA image already fitted to the model's input (`model.imageSize`: the
 * checkpoint's size, or another grid's from `Mae.atGrid`): the reference forward and everything
 * shown computed on the backend, one readback, then one pass to RGBA. All tensors are freed before
 * returning; the result is plain arrays.
 */
export async function reconstructImage(model: Mae, rgba: Uint8ClampedArray | Uint8Array,
  opts: ReconstructOptions): Promise<ImageReconstruction> {
  const p = model.config.patchSize;
  const { rows, cols } = model.grid;
  const W = cols * p;
  const H = rows * p;
  const L = rows * cols;
  const pp = p * p;
  const plan = planFor(opts.mask, rows, cols);
  const r = await reconstructBatch(model, rgbaToNormalizedPatches(rgba, W, p, H), plan, opts.normPixStats);
  const mask = Uint8Array.from(plan.mask);
  const maskedCount = L - plan.lenKeep;
  const reconstruction = new Uint8ClampedArray(W * H * 4);
  const pasted = new Uint8ClampedArray(W * H * 4);
  const errorMap = new Float32Array(W * H);
  // Patch order in, pixel order out; Uint8ClampedArray clamps and rounds. The masked pixels' error
  // is summed here, in float64, as a float32 sum of tens of thousands of values would drift.
  let s = 0;
  let e = 0;
  let maskedError = 0;
  for (let gr = 0; gr < rows; gr++) for (let gc = 0; gc < cols; gc++) {
    const masked = mask[gr * cols + gc] === 1;
    for (let y = 0; y < p; y++) {
      let px = (gr * p + y) * W + gc * p;
      for (let x = 0; x < p; x++, px++, s += 3, e++) {
        const o = px * 4;
        reconstruction[o] = r.recon[s];
        reconstruction[o + 1] = r.recon[s + 1];
        reconstruction[o + 2] = r.recon[s + 2];
        reconstruction[o + 3] = MAX_8BIT;
        pasted[o] = r.pasted[s];
        pasted[o + 1] = r.pasted[s + 1];
        pasted[o + 2] = r.pasted[s + 2];
        pasted[o + 3] = MAX_8BIT;
        errorMap[px] = r.error[e];
        if (masked) maskedError += r.error[e];
      }
    }
  }
  const mse = maskedCount > 0 ? maskedError / (maskedCount * pp) : null;
  const psnr = mse === null ? null : mse === 0 ? Infinity : 10 * Math.log10((PEAK_8BIT * PEAK_8BIT) / mse);
  return {
    size: W,
    width: W,
    height: H,
    mask,
    reconstruction,
    pasted,
    errorMap,
    mse,
    psnr,
    maskedCount,
    loss: maskedCount > 0 ? r.lossSums[0] / maskedCount : null,
    modelMs: r.modelMs,
  };
}
