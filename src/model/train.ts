// Fine-tuning an MAE: the reference training step (training/train.py, models_mae.forward_loss)
// in pure TF.js, no DOM. The forward pass is InspectModel's plain-ops one on a batch
// (forwardBatch), its weights wrapped in tf.variables in InspectModel's layout; gradients come
// from tf.variableGrads and the update is torch.optim.AdamW's (decoupled weight decay, bias
// correction), with train.py's parameter groups and warm-up + cosine learning rate.
//
// tfjs-core registers no gradients by itself, and its registration module is ESM that Node cannot
// load, so the caller registers them once: in a bundle (the page's worker, vitest)
// `import '@tensorflow/tfjs-core/dist/register_all_gradients'`, in Node `import '@tensorflow/tfjs'`
// (its CommonJS build registers the same gradients). Trainer.create checks.
import * as tf from '@tensorflow/tfjs-core';
import type { MaeConfig } from './config';
import { numPatches } from './config';
import { InspectModel, type ProductLayout } from './inspect';
import { NORM_PIX_EPS } from './mae';
import { rgbaToNormalizedChw } from './pixels';
import type { HostParam, HostParams } from './weights';
import { lenKeepFor, planFromNoise } from '../shared/masking';
import { augmentImage, drawNoise, type RgbaImage } from '../shared/augment';
import { DEFAULT_TRAIN_BATCH, DEFAULT_TRAIN_STEPS, NO_DECODER_TO_TRAIN } from '../shared/training';

/** Everything one fine-tuning run is set by. */
export interface TrainSettings {
  /** Images per step. */
  batchSize: number;
  /** Length of the learning-rate schedule, in steps. */
  steps: number;
  /** Peak learning rate (after warm-up). */
  baseLr: number;
  /** Learning rate the cosine decays to at `steps`. */
  minLr: number;
  /** Steps of linear warm-up. */
  warmupSteps: number;
  /** AdamW decoupled weight decay, on weights only (not biases, norms, tokens). */
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Share of patches hidden in each training image. */
  maskRatio: number;
  /** Seeds the crops, flips and masks (mulberry32). */
  seed: number;
}

/**
 * Defaults for a few photos and the bundled model: a visible change in under a minute where a step
 * takes about a second. train.py pre-trains with lr = 1.5e-4 * batch / 256 over 150 000 images;
 * fitting a handful of photos in 50 steps wants a higher rate. Measured with `mae finetune` on two
 * samples (batch 8, seed 0): 50 steps at 2e-4 raised their masked-patch PSNR by +0.51 and +0.25 dB
 * (a held-out photo -0.36 dB); 20 steps at 5e-4 lowered all three.
 */
export const DEFAULT_TRAIN_SETTINGS: Readonly<TrainSettings> = {
  batchSize: DEFAULT_TRAIN_BATCH, // the page's default (src/shared/training.ts)
  steps: DEFAULT_TRAIN_STEPS,
  baseLr: 2e-4,
  minLr: 1e-5,
  warmupSteps: 5,
  weightDecay: 0.05, // train.py
  beta1: 0.9, // train.py
  beta2: 0.95, // train.py
  eps: 1e-8, // torch.optim.AdamW's default
  maskRatio: 0.75, // the paper's
  seed: 0,
};

/** Names the reference keeps out of weight decay although they are not 1-D (train.py's param groups). */
const NO_DECAY_TOKENS = new Set(['cls_token', 'mask_token']);
/** The fixed sin-cos position tables (requires_grad=False in the reference): never trained. */
const FROZEN = new Set(['pos_embed', 'decoder_pos_embed']);

/** A training problem the visitor can act on (no decoder, bad settings, a loss that is not finite). */
export class TrainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainError';
  }
}

/** Kernels the training step differentiates through: one missing means no gradients were registered. */
const NEEDED_GRADIENTS = ['Erf', 'Softmax', 'BatchMatMul', 'Mean', 'SquaredDifference', 'Rsqrt'];

/** Throws when tfjs-core's gradients are not registered (see the header). */
export function checkGradientsRegistered(): void {
  const missing = NEEDED_GRADIENTS.filter((k) => !tf.getGradient(k));
  if (missing.length > 0) {
    throw new Error(`no gradient registered for ${missing.join(', ')}: import '@tensorflow/tfjs-core/dist/register_all_gradients' (bundles) or '@tensorflow/tfjs' (Node) first`);
  }
}

/** Plain 2-D products on wasm (XNNPACK runs only those fast), batched attention elsewhere (fewest dispatches). */
function productLayout(): ProductLayout {
  return tf.getBackend() === 'wasm' ? 'plain' : 'batched';
}

/** train.py's `lr_at`: linear warm-up to baseLr over warmupSteps, then cosine to minLr at `steps`. */
export function lrAt(step: number, s: Pick<TrainSettings, 'steps' | 'warmupSteps' | 'baseLr' | 'minLr'>): number {
  if (step < s.warmupSteps) return (s.baseLr * (step + 1)) / s.warmupSteps;
  const t = (step - s.warmupSteps) / Math.max(1, s.steps - s.warmupSteps);
  return s.minLr + (s.baseLr - s.minLr) * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, t)));
}

/** Checks settings; throws TrainError naming the first bad one. */
export function validateTrainSettings(s: TrainSettings, c: MaeConfig): TrainSettings {
  const int = (name: keyof TrainSettings, min: number) => {
    const v = s[name];
    if (!Number.isInteger(v) || v < min) throw new TrainError(`${name} must be an integer of at least ${min}, got ${v}`);
  };
  int('batchSize', 1);
  int('steps', 1);
  int('warmupSteps', 0);
  for (const name of ['baseLr', 'minLr', 'weightDecay', 'eps'] as const) {
    if (!(Number.isFinite(s[name]) && s[name] >= 0)) throw new TrainError(`${name} must be a finite number >= 0, got ${s[name]}`);
  }
  for (const name of ['beta1', 'beta2'] as const) {
    if (!(s[name] >= 0 && s[name] < 1)) throw new TrainError(`${name} must be within [0, 1), got ${s[name]}`);
  }
  if (!(s.maskRatio > 0 && s.maskRatio < 1)) throw new TrainError(`maskRatio must be within (0, 1), got ${s.maskRatio}`);
  const L = numPatches(c);
  if (lenKeepFor(L, s.maskRatio) >= L) throw new TrainError(`maskRatio ${s.maskRatio} masks no patch of ${L}`);
  return s;
}

/**
 * Reference `patchify` on the host: images `[N, 3, S, S]` -> `[N*L, p*p*3]`, patches row-major,
 * each patch's pixels in (row, column, channel) order.
 */
export function patchifyHost(batch: Float32Array, n: number, size: number, p: number): Float32Array {
  const g = size / p;
  const hw = size * size;
  if (batch.length !== n * 3 * hw) throw new RangeError(`expected ${n * 3 * hw} values for [${n}, 3, ${size}, ${size}], got ${batch.length}`);
  const out = new Float32Array(batch.length);
  let o = 0;
  for (let b = 0; b < n; b++) {
    const base = b * 3 * hw;
    for (let gr = 0; gr < g; gr++) for (let gc = 0; gc < g; gc++) {
      for (let r = 0; r < p; r++) for (let cc = 0; cc < p; cc++) {
        const pix = (gr * p + r) * size + gc * p + cc;
        for (let ch = 0; ch < 3; ch++) out[o++] = batch[base + ch * hw + pix];
      }
    }
  }
  return out;
}

/** One training batch: ImageNet-normalised images `[N, 3, S, S]` and masking noise `[N, L]`. */
export interface TrainBatch {
  batch: Float32Array;
  noise: Float32Array;
}

/**
 * Draws a batch from the visitor's pictures with a running seeded generator (e.g. mulberry32(seed)):
 * each sample a random picture, randomly cropped, resized to `size` and flipped, then the noise.
 */
export function sampleBatch(images: readonly RgbaImage[], n: number, size: number, numPatchesL: number, rng: () => number): TrainBatch {
  if (images.length === 0) throw new TrainError('add at least one picture to train on');
  const per = 3 * size * size;
  const batch = new Float32Array(n * per);
  for (let i = 0; i < n; i++) {
    const img = images[Math.min(images.length - 1, Math.floor(rng() * images.length))];
    batch.set(rgbaToNormalizedChw(augmentImage(img, size, rng), size, size), i * per);
  }
  return { batch, noise: drawNoise(rng, n, numPatchesL) };
}

/** What one step reports; `grads` (reference layout) only when asked for. */
export interface StepResult {
  /** The batch's masked-patch loss before the update. */
  loss: number;
  /** The learning rate the update used. */
  lr: number;
  grads?: HostParams;
}

/** One trained parameter: its variable (InspectModel's layout), its Adam moments and its reference shape. */
interface Slot {
  name: string;
  param: tf.Variable;
  m: tf.Variable;
  v: tf.Variable;
  refShape: number[];
  decay: boolean;
}

/** An InspectModel-layout tensor back in the reference layout, `refShape`. Caller owns the result. */
function toReference(name: string, t: tf.Tensor, refShape: number[]): tf.Tensor {
  return tf.tidy(() => {
    if (name === 'patch_embed.proj.weight') {
      // [p*p*C, E] -> [p, p, C, E] -> [E, C, p, p] (the inverse of InspectModel.create's permutation).
      const [e, ch, p] = refShape;
      return tf.transpose(tf.reshape(t, [p, p, ch, e]), [3, 2, 0, 1]);
    }
    if (t.rank === 2 && name.endsWith('.weight')) return tf.transpose(t); // Linear [in, out] -> [out, in]
    return tf.reshape(t, refShape);
  });
}

/** A fine-tuning session over one model's weights: `step` trains, `hostParams` reads them back, `dispose` frees them. */
export class Trainer {
  readonly config: MaeConfig;
  readonly settings: Readonly<TrainSettings>;
  /** Updates applied so far (the next step's schedule position). */
  stepCount = 0;
  private readonly model: InspectModel;
  private readonly slots: Slot[];
  /** The untrained parameters (fixed position tables), handed back unchanged. */
  private readonly frozen: Map<string, HostParam>;

  private constructor(config: MaeConfig, settings: TrainSettings, model: InspectModel, slots: Slot[], frozen: Map<string, HostParam>) {
    this.config = config;
    this.settings = settings;
    this.model = model;
    this.slots = slots;
    this.frozen = frozen;
  }

  /** Uploads the weights as variables (reference names, InspectModel's layout) with zero Adam moments. */
  static create(config: MaeConfig, params: HostParams, settings: TrainSettings = DEFAULT_TRAIN_SETTINGS): Trainer {
    if (!params.has('decoder_pred.weight')) {
      throw new TrainError(NO_DECODER_TO_TRAIN);
    }
    validateTrainSettings(settings, config);
    checkGradientsRegistered();
    const slots: Slot[] = [];
    let model: InspectModel;
    try {
      model = InspectModel.create(config, params, (name, t) => {
        const param = tf.variable(t, true);
        t.dispose();
        const refShape = params.get(name)!.shape.slice();
        const zero = () => {
          const z = tf.zerosLike(param);
          const moment = tf.variable(z, false);
          z.dispose(); // the variable holds the data now
          return moment;
        };
        slots.push({ name, param, refShape, m: zero(), v: zero(), decay: refShape.length > 1 && !NO_DECAY_TOKENS.has(name) });
        return param;
      });
    } catch (e) {
      // A weight that could not be uploaded (out of memory): free the ones that were.
      for (const s of slots) tf.dispose([s.param, s.m, s.v]);
      throw e;
    }
    const frozen = new Map<string, HostParam>();
    for (const name of FROZEN) {
      const p = params.get(name);
      if (p) frozen.set(name, { shape: p.shape.slice(), data: p.data.slice() });
    }
    return new Trainer(config, { ...settings }, model, slots, frozen);
  }

  /** The masked-patch loss of a batch (models_mae.forward_loss), a scalar. Call inside tidy/variableGrads. */
  private loss(patches: tf.Tensor2D, mask: tf.Tensor1D, plan: ReturnType<typeof planFromNoise>): tf.Scalar {
    const pred = this.model.forwardBatch(patches, plan, productLayout()); // [N*L, K]
    let target: tf.Tensor2D = patches; // [N*L, K]
    if (this.config.normPixLoss) {
      const k = patches.shape[1];
      const { mean, variance } = tf.moments(patches, -1, true); // [N*L, 1], biased
      const unbiased = tf.mul(variance, k / (k - 1)); // torch.var's default
      target = tf.div(tf.sub(patches, mean), tf.sqrt(tf.add(unbiased, NORM_PIX_EPS)));
    }
    const perPatch = tf.mean(tf.squaredDifference(pred, target), -1); // [N*L]
    return tf.div(tf.sum(tf.mul(perPatch, mask)), tf.sum(mask));
  }

  /**
   * One AdamW step on a batch: images `[N, 3, S, S]` (ImageNet-normalised, S = imgSize) and noise
   * `[N, L]` (kept = smallest, as random_masking). The update is applied only after the loss and
   * every gradient are computed and the loss is finite: on any error the weights stay as they were.
   */
  async step(batch: Float32Array, noise: Float32Array, opts: { grads?: boolean } = {}): Promise<StepResult> {
    const c = this.config;
    const L = numPatches(c);
    const n = noise.length / L;
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`noise has ${noise.length} values, not N x ${L}`);
    const plan = planFromNoise(noise, n, this.settings.maskRatio);
    const K = c.patchSize * c.patchSize * c.inChans;
    const patches = tf.tensor2d(patchifyHost(batch, n, c.imgSize, c.patchSize), [n * L, K]);
    const mask = tf.tensor1d(plan.mask); // [N*L]
    let res: { value: tf.Scalar; grads: tf.NamedTensorMap };
    try {
      res = tf.variableGrads(() => this.loss(patches, mask, plan), this.slots.map((s) => s.param));
    } finally {
      tf.dispose([patches, mask]);
    }
    try {
      const loss = (await res.value.data())[0];
      if (!Number.isFinite(loss)) throw new TrainError(`the loss is ${loss} at step ${this.stepCount + 1}: try a lower learning rate`);
      const lr = lrAt(this.stepCount, this.settings);
      let grads: HostParams | undefined;
      if (opts.grads) {
        grads = new Map();
        for (const s of this.slots) grads.set(s.name, await this.readReference(s.name, res.grads[s.param.name], s.refShape));
      }
      this.applyAdamW(res.grads, lr);
      this.stepCount++;
      return { loss, lr, grads };
    } finally {
      tf.dispose(res.value);
      tf.dispose(Object.values(res.grads));
    }
  }

  /** torch.optim.AdamW's update of every slot: new values are computed first, then assigned together. */
  private applyAdamW(grads: tf.NamedTensorMap, lr: number): void {
    const { beta1, beta2, eps, weightDecay } = this.settings;
    const t = this.stepCount + 1;
    const bc1 = 1 - beta1 ** t;
    const bc2 = 1 - beta2 ** t;
    const next = tf.tidy(() => this.slots.map((s) => {
      const g = grads[s.param.name];
      const p0 = s.decay ? tf.mul(s.param, 1 - lr * weightDecay) : s.param;
      const m = tf.add(tf.mul(s.m, beta1), tf.mul(g, 1 - beta1));
      const v = tf.add(tf.mul(s.v, beta2), tf.mul(tf.square(g), 1 - beta2));
      const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), eps);
      const p = tf.sub(p0, tf.mul(tf.div(m, denom), lr / bc1));
      return [p, m, v];
    }));
    this.slots.forEach((s, i) => {
      s.param.assign(next[i][0]);
      s.m.assign(next[i][1]);
      s.v.assign(next[i][2]);
    });
    tf.dispose(next.flat());
  }

  /** A tensor in InspectModel's layout read back in the reference layout. */
  private async readReference(name: string, t: tf.Tensor, refShape: number[]): Promise<HostParam> {
    const r = toReference(name, t, refShape);
    try {
      return { shape: refShape.slice(), data: (await r.data()) as Float32Array };
    } finally {
      r.dispose();
    }
  }

  /** Every parameter in the reference layout (trained ones and the fixed position tables), as host copies. */
  async hostParams(): Promise<HostParams> {
    const out: HostParams = new Map();
    for (const s of this.slots) out.set(s.name, await this.readReference(s.name, s.param, s.refShape));
    for (const [name, p] of this.frozen) out.set(name, { shape: p.shape.slice(), data: p.data.slice() });
    return out;
  }

  /** Frees the weights and the optimizer's moments. */
  dispose(): void {
    for (const s of this.slots) tf.dispose([s.param, s.m, s.v]);
    this.slots.length = 0;
  }
}
