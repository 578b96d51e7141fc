import * as tf from '@tensorflow/tfjs-core';
import type { MaeConfig } from './config';
import { numPatches, validateConfig } from './config';
import { batchGather, block, layerNorm, linear } from './layers';
import type { MaskPlan } from '../shared/masking';
import { planFromMask, planFromNoise } from '../shared/masking';
import { patchify, unpatchify, maskToPixels } from './patchify';
import type { HostParams, MaeWeights } from './weights';
import { checkParams, countParams, uploadWeights, weightTensors } from './weights';

/** Epsilon of the reference's norm_pix_loss target normalisation (`(var + 1e-6) ** 0.5`). */
export const NORM_PIX_EPS = 1e-6;

/** Output of `randomMasking`; the caller owns the tensors. */
export interface Masked {
  xMasked: tf.Tensor3D; // [N, len_keep, E]
  mask: tf.Tensor2D; // [N, L], 0 kept, 1 masked
  idsRestore: tf.Tensor2D; // [N, L] int32
}

/**
 * Reference `random_masking`: keeps the `trunc(L * (1 - maskRatio))` patches of `x` `[N, L, E]`
 * with the smallest noise (`[N, L]`, host floats). Instead of noise, an explicit mask (`{ mask }`,
 * truthy = masked, `[N, L]`) or a ready plan may be given. Caller owns the result.
 */
export function randomMasking(x: tf.Tensor3D, noise: Float32Array | { mask: ArrayLike<number | boolean> } | MaskPlan,
  maskRatio?: number): Masked {
  const [n, l] = x.shape;
  let plan: MaskPlan;
  if (noise instanceof Float32Array) {
    if (maskRatio === undefined) throw new RangeError('randomMasking with noise needs a mask ratio');
    plan = planFromNoise(noise, n, maskRatio);
  } else if ('idsShuffle' in noise) plan = noise;
  else plan = planFromMask(noise.mask, n);
  if (n !== plan.n || l !== plan.numPatches) {
    throw new RangeError(`mask plan is for [${plan.n}, ${plan.numPatches}], tokens are [${n}, ${l}]`);
  }
  return tf.tidy(() => {
    // ids_keep built on the host: no int32 slice on the device.
    const keep = new Int32Array(n * plan.lenKeep);
    for (let b = 0; b < n; b++) keep.set(plan.idsShuffle.subarray(b * l, b * l + plan.lenKeep), b * plan.lenKeep);
    const idsKeep = tf.tensor2d(keep, [n, plan.lenKeep], 'int32'); // [N, len_keep]
    return {
      xMasked: batchGather(x, idsKeep),
      mask: tf.tensor2d(plan.mask, [n, l]),
      idsRestore: tf.tensor2d(plan.idsRestore, [n, l], 'int32'),
    };
  });
}

/** The reference MaskedAutoencoderViT forward pass on TF.js, weights resident on the active backend. */
export class Mae {
  readonly config: MaeConfig;
  readonly weights: MaeWeights;
  /** What was assumed while building (e.g. sin-cos position embeddings computed). */
  readonly notes: string[];

  private constructor(config: MaeConfig, weights: MaeWeights, notes: string[]) {
    this.config = config;
    this.weights = weights;
    this.notes = notes;
  }

  /** Validates config and params, then uploads the weights; dispose() frees them. */
  static create(config: MaeConfig, params: HostParams): Mae {
    validateConfig(config);
    const notes = checkParams(config, params);
    return new Mae(config, uploadWeights(config, params), notes);
  }

  /** Number of patches L. */
  get numPatches(): number {
    return numPatches(this.config);
  }

  /** Scalar parameter count. */
  get parameterCount(): number {
    return countParams(this.weights);
  }

  /** Frees every weight tensor. */
  dispose(): void {
    tf.dispose(weightTensors(this.weights));
  }

  /**
   * Reference `forward_encoder`: imgs `[N, 3, H, W]` (ImageNet-normalised) -> latent
   * `[N, 1 + len_keep, E]` (cls first, after the final norm), running the blocks on the visible
   * tokens only. Caller owns the result.
   */
  forwardEncoder(imgs: tf.Tensor4D, plan: MaskPlan): Masked & { latent: tf.Tensor3D } {
    const c = this.config;
    const w = this.weights;
    return tf.tidy(() => {
      const patches = patchify(imgs, c.patchSize); // [N, L, p*p*3]
      let x = linear(patches, w.patchEmbed) as tf.Tensor3D; // [N, L, E]
      x = tf.add(x, tf.slice(w.posEmbed, [0, 1, 0], [1, -1, -1])) as tf.Tensor3D;
      const masked = randomMasking(x, plan);
      const n = imgs.shape[0];
      const cls = tf.add(w.clsToken, tf.slice(w.posEmbed, [0, 0, 0], [1, 1, -1])); // [1, 1, E]
      let h = tf.concat([tf.tile(cls, [n, 1, 1]), masked.xMasked], 1) as tf.Tensor3D; // [N, 1+keep, E]
      for (const b of w.blocks) h = block(h, b, c.numHeads, c.layerNormEps);
      const latent = layerNorm(h, w.norm, c.layerNormEps) as tf.Tensor3D;
      return { ...masked, latent };
    });
  }

  /**
   * Reference `forward_decoder`: latent `[N, 1 + len_keep, E]` and idsRestore `[N, L]` ->
   * pred `[N, L, p*p*3]` (cls dropped). Caller owns the result.
   */
  forwardDecoder(latent: tf.Tensor3D, idsRestore: tf.Tensor2D): tf.Tensor3D {
    const c = this.config;
    const w = this.weights;
    return tf.tidy(() => {
      const [n, t] = latent.shape;
      const l = idsRestore.shape[1];
      const x = linear(latent, w.decoderEmbed) as tf.Tensor3D; // [N, 1+keep, D]
      const d = x.shape[2];
      const maskTokens = tf.tile(w.maskToken, [n, l + 1 - t, 1]); // [N, L-keep, D]
      const tokens = tf.concat([tf.slice(x, [0, 1, 0], [-1, -1, -1]), maskTokens], 1); // [N, L, D]
      const unshuffled = batchGather(tokens as tf.Tensor3D, idsRestore); // [N, L, D]
      let h = tf.concat([tf.slice(x, [0, 0, 0], [-1, 1, d]), unshuffled], 1) as tf.Tensor3D; // [N, 1+L, D]
      h = tf.add(h, w.decoderPosEmbed) as tf.Tensor3D;
      for (const b of w.decoderBlocks) h = block(h, b, c.decoderNumHeads, c.layerNormEps);
      h = layerNorm(h, w.decoderNorm, c.layerNormEps) as tf.Tensor3D;
      const pred = linear(h, w.decoderPred) as tf.Tensor3D; // [N, 1+L, p*p*3]
      return tf.slice(pred, [0, 1, 0], [-1, -1, -1]);
    });
  }

  /**
   * Reference `forward_loss`: mean squared error per patch, averaged over masked patches
   * (targets normalised per patch when norm_pix_loss). Returns null when no patch is masked,
   * where the reference divides by zero. Caller owns the result.
   */
  forwardLoss(imgs: tf.Tensor4D, pred: tf.Tensor3D, mask: tf.Tensor2D, maskedCount: number): tf.Scalar | null {
    if (maskedCount === 0) return null;
    return tf.tidy(() => {
      let target = patchify(imgs, this.config.patchSize); // [N, L, p*p*3]
      if (this.config.normPixLoss) target = normalizePatches(target).normed;
      const perPatch = tf.mean(tf.squaredDifference(pred, target), -1); // [N, L]
      return tf.div(tf.sum(tf.mul(perPatch, mask)), tf.sum(mask)) as tf.Scalar;
    });
  }

  /** The whole reference forward pass plus `recon` and `paste`. Caller owns every tensor. */
  forward(imgs: tf.Tensor4D, plan: MaskPlan): ForwardOutput {
    // tidy's container type has no room for interfaces: cast in and out.
    return tf.tidy(() => {
      const { latent, mask, idsRestore, xMasked } = this.forwardEncoder(imgs, plan);
      tf.dispose(xMasked);
      const pred = this.forwardDecoder(latent, idsRestore);
      const maskedCount = plan.n * (plan.numPatches - plan.lenKeep);
      const loss = this.forwardLoss(imgs, pred, mask, maskedCount);
      const recon = unpatchify(pred, this.config.patchSize); // [N, 3, H, W]
      const paste = pasteVisible(imgs, recon, mask, this.config.patchSize);
      const out: ForwardOutput = { latent, mask, idsRestore, pred, loss, recon, paste };
      return out as unknown as tf.TensorContainer;
    }) as unknown as ForwardOutput;
  }
}

/** Every output of `Mae.forward`. */
export interface ForwardOutput {
  latent: tf.Tensor3D; // [N, 1+len_keep, E]
  mask: tf.Tensor2D; // [N, L]
  idsRestore: tf.Tensor2D; // [N, L] int32
  pred: tf.Tensor3D; // [N, L, p*p*3]
  loss: tf.Scalar | null;
  recon: tf.Tensor4D; // [N, 3, H, W]
  paste: tf.Tensor4D; // [N, 3, H, W]
}

/**
 * Per-patch normalisation as the reference's norm_pix_loss target: mean and unbiased variance
 * over each patch's p*p*3 values. Caller owns the result.
 */
export function normalizePatches(patches: tf.Tensor3D): { normed: tf.Tensor3D; mean: tf.Tensor3D; std: tf.Tensor3D } {
  return tf.tidy(() => {
    const k = patches.shape[2];
    const { mean, variance } = tf.moments(patches, -1, true); // [N, L, 1]
    const unbiased = tf.mul(variance, k / (k - 1)); // torch .var() default is unbiased
    const std = tf.sqrt(tf.add(unbiased, NORM_PIX_EPS)) as tf.Tensor3D;
    return { normed: tf.div(tf.sub(patches, mean), std) as tf.Tensor3D, mean: mean as tf.Tensor3D, std };
  });
}

/** Visible patches from `imgs`, masked ones from `recon` (both `[N, 3, H, W]`). Caller owns the result. */
export function pasteVisible(imgs: tf.Tensor4D, recon: tf.Tensor4D, mask: tf.Tensor2D, p: number): tf.Tensor4D {
  return tf.tidy(() => {
    const m = maskToPixels(mask, p); // [N, 1, H, W]
    return tf.add(tf.mul(imgs, tf.sub(1, m)), tf.mul(recon, m)) as tf.Tensor4D;
  });
}
