import * as tf from '@tensorflow/tfjs-core';
import type { MaeConfig } from './config';
import { numPatches, validateConfig } from './config';
import * as k from './kernels';
import type { AttentionLayout, Tokens } from './layers';
import { attentionLayoutFor, batchGather, block, layerNorm, linear, normalize } from './layers';
import type { MaskPlan } from '../shared/masking';
import { planFromMask, planFromNoise } from '../shared/masking';
import { patchify, unpatchify, maskToPixels } from './patchify';
import type { HostParam, HostParams, MaeWeights, UploadedGroup } from './weights';
import { checkParams, countParams, WeightAssembler, weightTensors } from './weights';
import { canReleasePackedSources, releasePackedSources } from './packed';

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

/** Options of `Mae.create`. */
export interface MaeOptions {
  /** Attention weight layout; by default the one that suits the active backend (attentionLayoutFor). */
  attention?: AttentionLayout;
  /**
   * On wasm, free each weight's own bytes once its XNNPACK operator holds a packed copy (packed.ts),
   * so the weights are held once, not twice. Default true; the bench turns it off to compare.
   */
  releasePacked?: boolean;
}

/** Builds a Mae from parameters handed over one at a time; see `Mae.builder`. */
export interface MaeBuilder {
  /** Takes one reference parameter (uploading its group when complete); throws ParamError on a bad name or shape. */
  add(name: string, param: HostParam): void;
  /** The model; throws ParamError when a parameter is missing. The caller owns the model. */
  finish(): Mae;
  /** Frees what was uploaded, for an abandoned build. */
  dispose(): void;
}

/** Rows of the dummy activation that creates a group's XNNPACK operators before its sources are freed. */
const PACK_ROWS = 2;

/** Encoder input rows with `k` leading patch columns (left zero without `patches`), then the position and cls columns. */
function encoderRows(plan: MaskPlan, k: number, patches: Float32Array | null): Float32Array {
  const { n, numPatches: l, lenKeep } = plan;
  const width = k + l + 1;
  const out = new Float32Array(n * (1 + lenKeep) * width);
  for (let b = 0; b < n; b++) {
    const first = b * (1 + lenKeep);
    out[first * width + k + l] = 1;
    for (let j = 0; j < lenKeep; j++) {
      const id = plan.idsShuffle[b * l + j];
      const row = (first + 1 + j) * width;
      if (patches) out.set(patches.subarray((b * l + id) * k, (b * l + id + 1) * k), row);
      out[row + k + id] = 1;
    }
  }
  return out;
}

/**
 * Encoder input rows `[N*(1+len_keep), p*p*3 + L + 1]` on the host, for `MaeWeights.encoderInput`:
 * per sample a cls row `[0 | 0 | 1]`, then per kept patch (in ids_keep order) `[patch | one-hot of its
 * index | 0]`. patches: normalised `[N, L, p*p*3]` in patchify order.
 */
export function encoderInputRows(patches: Float32Array, plan: MaskPlan): Float32Array {
  return encoderRows(plan, patches.length / (plan.n * plan.numPatches), patches);
}

/**
 * The decoder's unshuffle as a one-hot matrix `[N*(1+L), N*(1+len_keep) + 1]` on the host: row
 * (sample b, token i) picks b's cls row, b's kept token `ids_restore` points to, or the shared mask
 * token (last column). A product with it is exact and, on wasm, far faster than a gather.
 */
export function unshuffleRows(plan: MaskPlan): Float32Array {
  const { n, numPatches: l, lenKeep } = plan;
  const cols = n * (1 + lenKeep) + 1;
  const out = new Float32Array(n * (1 + l) * cols);
  for (let b = 0; b < n; b++) {
    const first = b * (1 + lenKeep);
    out[b * (1 + l) * cols + first] = 1;
    for (let i = 0; i < l; i++) {
      const r = plan.idsRestore[b * l + i];
      out[(b * (1 + l) + 1 + i) * cols + (r < lenKeep ? first + 1 + r : cols - 1)] = 1;
    }
  }
  return out;
}

/** The reference MaskedAutoencoderViT forward pass on TF.js, weights resident on the active backend. */
export class Mae {
  readonly config: MaeConfig;
  readonly weights: MaeWeights;
  /** What was assumed while building (e.g. sin-cos position embeddings computed). */
  readonly notes: string[];
  /** Scalar parameter count of the reference model. */
  readonly parameterCount: number;
  /** LayerNorm epsilon as a tensor, so no call uploads it again. */
  private readonly eps: tf.Scalar;
  /** Weight bytes freed on wasm because XNNPACK holds them packed (packed.ts); 0 elsewhere. */
  releasedBytes = 0;

  private constructor(config: MaeConfig, weights: MaeWeights, notes: string[], eps: tf.Scalar) {
    this.config = config;
    this.weights = weights;
    this.notes = notes;
    this.parameterCount = countParams(config);
    this.eps = eps;
  }

  /** Validates config and params, then uploads the weights arranged for the fast path; dispose() frees them. */
  static create(config: MaeConfig, params: HostParams, opts: MaeOptions = {}): Mae {
    validateConfig(config);
    checkParams(config, params);
    const b = Mae.builder(config, opts);
    try {
      for (const [name, p] of params) b.add(name, p);
      return b.finish();
    } catch (e) {
      b.dispose();
      throw e;
    }
  }

  /**
   * A builder that uploads the weights group by group as parameters arrive (a streamed checkpoint
   * is never held whole on the host) and, on wasm, frees each group's source bytes once its
   * products have packed them, so the heap holds the weights once.
   */
  static builder(config: MaeConfig, opts: MaeOptions = {}): MaeBuilder {
    validateConfig(config);
    const eps = tf.scalar(config.layerNormEps);
    const release = (opts.releasePacked ?? true) && canReleasePackedSources();
    let releasedBytes = 0;
    const assembler = new WeightAssembler(config, opts.attention ?? attentionLayoutFor(tf.getBackend()),
      release ? (g) => { releasedBytes += packThenRelease(config, g, eps); } : undefined);
    let done = false;
    return {
      add: (name, param) => assembler.add(name, param),
      finish: () => {
        const weights = assembler.finish();
        done = true;
        const m = new Mae(config, weights, assembler.notes, eps);
        m.releasedBytes = releasedBytes;
        return m;
      },
      dispose: () => {
        if (done) return;
        assembler.dispose();
        eps.dispose();
      },
    };
  }

  /** Number of patches L. */
  get numPatches(): number {
    return numPatches(this.config);
  }

  /** Values per patch, p*p*3. */
  get patchValues(): number {
    return this.config.patchSize ** 2 * this.config.inChans;
  }

  /** The attention layout the weights were uploaded in. */
  get attentionLayout(): AttentionLayout {
    return (this.weights.blocks[0] ?? this.weights.decoderBlocks[0]).attn.layout;
  }

  /** Frees every weight tensor. */
  dispose(): void {
    tf.dispose([...weightTensors(this.weights), this.eps]);
  }

  /** Embedded tokens `[1, N*(1+keep), E]` (cls rows first) -> latent `[1, N*(1+keep), E]`. Call inside tidy. */
  private encodeTokens(h0: tf.Tensor3D, n: number): tf.Tensor3D {
    const tokens: Tokens = { n, t: h0.shape[1] / n, eps: this.eps };
    let h = h0;
    for (const b of this.weights.blocks) h = block(h, b, this.config.numHeads, tokens);
    return layerNorm(h, this.weights.norm, this.eps);
  }

  /**
   * Latent `[1, N*(1+keep), E]` and the unshuffle matrix `[1, N*(1+L), N*(1+keep)+1]` -> pred
   * `[1, N*L, p*p*3]` (cls dropped). Call inside tidy.
   */
  private decodeTokens(latent: tf.Tensor3D, unshuffle: tf.Tensor3D, n: number): tf.Tensor3D {
    const w = this.weights;
    const l = this.numPatches;
    const x = linear(latent, w.decoderEmbed); // [1, N*(1+keep), D]
    const d = x.shape[2];
    const tokens = k.matMul(unshuffle, k.concat([x, w.maskToken], 1)); // [1, N*(1+L), D]
    let h = n === 1 ? k.add(tokens, w.decoderPosEmbed)
      : k.reshape<tf.Tensor3D>(k.add(k.reshape(tokens, [n, 1 + l, d]), w.decoderPosEmbed), [1, n * (1 + l), d]);
    for (const b of w.decoderBlocks) h = block(h, b, this.config.decoderNumHeads, { n, t: 1 + l, eps: this.eps });
    const body = n === 1 ? k.slice(h, [0, 1, 0], [1, l, d])
      : k.reshape<tf.Tensor3D>(k.slice(k.reshape(h, [n, 1 + l, d]), [0, 1, 0], [n, l, d]), [1, n * l, d]); // [1, N*L, D]
    return linear(normalize(body, this.eps), w.decoderPred);
  }

  /**
   * The hot path: normalised patches on the host `[N, L, p*p*3]` and a plan -> pred `[1, N*L, p*p*3]`,
   * with every input built on the host (no gather on the backend). Caller owns the result.
   */
  predict(patches: Float32Array, plan: MaskPlan): tf.Tensor3D {
    const { n, numPatches: l, lenKeep } = plan;
    const pv = this.patchValues;
    if (l !== this.numPatches || patches.length !== n * l * pv) {
      throw new RangeError(`expected ${n}x${this.numPatches}x${pv} patch values for this plan, got ${patches.length}`);
    }
    return tf.tidy(() => {
      const input = tf.tensor3d(encoderInputRows(patches, plan), [1, n * (1 + lenKeep), pv + l + 1]);
      const latent = this.encodeTokens(k.matMul(input, this.weights.encoderInput), n);
      const unshuffle = tf.tensor3d(unshuffleRows(plan), [1, n * (1 + l), n * (1 + lenKeep) + 1]);
      return this.decodeTokens(latent, unshuffle, n);
    });
  }

  /**
   * Reference `forward_encoder`: imgs `[N, 3, H, W]` (ImageNet-normalised) -> latent
   * `[N, 1 + len_keep, E]` (cls first, after the final norm), running the blocks on the visible
   * tokens only. Caller owns the result.
   */
  forwardEncoder(imgs: tf.Tensor4D, plan: MaskPlan): Masked & { latent: tf.Tensor3D } {
    const n = imgs.shape[0];
    const l = this.numPatches;
    const pv = this.patchValues;
    const keep = plan.lenKeep;
    const e = this.config.embedDim;
    return tf.tidy(() => {
      const patches = patchify(imgs, this.config.patchSize); // [N, L, pv]
      const masked = randomMasking(patches, plan); // xMasked: raw visible patches [N, keep, pv]
      // The rows of encoderInputRows, with the patch columns gathered on the backend.
      const positions = tf.tensor3d(encoderRows(plan, 0, null), [1, n * (1 + keep), l + 1]);
      const patchCols = tf.reshape(tf.concat([tf.zeros([n, 1, pv]), masked.xMasked], 1), [1, n * (1 + keep), pv]);
      const input = tf.concat([patchCols, positions], 2) as tf.Tensor3D; // [1, N*(1+keep), pv+L+1]
      const h0 = k.matMul(input, this.weights.encoderInput); // [1, N*(1+keep), E]
      const latent = this.encodeTokens(h0, n);
      const xMasked = tf.slice(tf.reshape(h0, [n, 1 + keep, e]), [0, 1, 0], [n, keep, e]) as tf.Tensor3D; // embedded, as the reference's x_masked
      return { xMasked, mask: masked.mask, idsRestore: masked.idsRestore, latent: tf.reshape(latent, [n, 1 + keep, e]) as tf.Tensor3D };
    });
  }

  /**
   * Reference `forward_decoder`: latent `[N, 1 + len_keep, E]` and idsRestore `[N, L]` ->
   * pred `[N, L, p*p*3]` (cls dropped). Caller owns the result.
   */
  forwardDecoder(latent: tf.Tensor3D, idsRestore: tf.Tensor2D): tf.Tensor3D {
    const [n, t, e] = latent.shape;
    const l = idsRestore.shape[1];
    const keep = t - 1;
    return tf.tidy(() => {
      // unshuffleRows built on the backend from ids_restore: column of each token's source row.
      const int = (v: number) => tf.scalar(v, 'int32');
      const first = tf.reshape(tf.mul(tf.range(0, n, 1, 'int32'), int(1 + keep)), [n, 1]); // [N, 1]
      const maskCol = tf.fill([n, l], n * (1 + keep), 'int32');
      const body = tf.where(tf.less(idsRestore, int(keep)), tf.add(tf.add(idsRestore, first), int(1)), maskCol); // [N, L]
      const cols = tf.reshape(tf.concat([first, body], 1), [n * (1 + l)]);
      const unshuffle = tf.reshape(tf.cast(tf.oneHot(cols, n * (1 + keep) + 1), 'float32'), [1, n * (1 + l), n * (1 + keep) + 1]) as tf.Tensor3D;
      const pred = this.decodeTokens(tf.reshape(latent, [1, n * t, e]), unshuffle, n);
      return tf.reshape(pred, [n, l, this.patchValues]);
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

/**
 * Runs a just-uploaded group's products once on a dummy activation, through the very calls the
 * forward pass makes (same weight, bias and activation, so the same cached XNNPACK operators),
 * then frees the weights' own bytes (packed.ts). Norms, tokens, tables added elementwise and
 * biases are kept: they are read directly. Returns the bytes freed.
 */
function packThenRelease(c: MaeConfig, g: UploadedGroup, eps: tf.Scalar): number {
  const dummy = (width: number) => tf.zeros([1, PACK_ROWS, width]) as tf.Tensor3D;
  let sources: tf.Tensor[] = [];
  tf.tidy(() => {
    switch (g.kind) {
      case 'block': {
        const w = g.weights;
        const dim = w.proj.w.shape[2];
        block(dummy(dim), w, g.decoder ? c.decoderNumHeads : c.numHeads, { n: 1, t: PACK_ROWS, eps });
        const attn = w.attn.layout === 'heads' ? [...w.attn.q.map((l) => l.w), w.attn.k, ...w.attn.v.map((l) => l.w)] : [w.attn.qkv.w];
        sources = [...attn, w.proj.w, w.fc1.w, w.fc2.w];
        return;
      }
      case 'decoderEmbed':
      case 'decoderPred':
        linear(dummy(g.linear.w.shape[1]), g.linear);
        sources = [g.linear.w];
        return;
      case 'encoderInput': // kept readable: models on other grids are built from its position rows (a few MB)
      case 'other':
        return;
    }
  });
  return releasePackedSources(sources);
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
