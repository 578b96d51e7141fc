// Fine-tuning (src/model/train.ts) against PyTorch: from the golden tiny checkpoint, its batch and
// its noise, torch.optim.AdamW steps with train.py's parameter groups (tests/fixtures/train, made by
// tools/fixtures/make_train_fixture.py) give the same loss, gradients and updated weights, on the
// cpu and wasm backends; plus the schedule, memory, learning and augmentation checks.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers no gradients by itself; the page's worker imports them the same way.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../src/checkpoints/npy';
import { loadCheckpoint } from '../../src/checkpoints/load';
import { readSafetensors } from '../../src/checkpoints/safetensors';
import { bytesSource } from '../../src/checkpoints/source';
import { toFloat32 } from '../../src/checkpoints/dtypes';
import type { HostParams, MaeConfig } from '../../src/model';
import { randomParams } from '../../src/model/random';
import { IMAGENET_MEAN, IMAGENET_STD } from '../../src/model/pixels';
import { mulberry32 } from '../../src/shared/prng';
import { augmentImage, cropResize, sampleCrop, CROP_RATIO_MAX, CROP_RATIO_MIN, CROP_SCALE_MAX, CROP_SCALE_MIN, type RgbaImage } from '../../src/shared/augment';
import { DEFAULT_TRAIN_SETTINGS, lrAt, sampleBatch, Trainer, TrainError, type TrainSettings } from '../../src/model/train';
import { useBackend } from '../helpers/tf';

/**
 * Loss: one float32 forward pass through the same ops in another order; the golden forward passes
 * agree within 1e-4 absolute on every activation (GOLDEN_ABS_TOL), the loss (a mean of ~10^5
 * squares) much closer. Relative.
 */
const TRAIN_LOSS_TOL = 1e-5;
/**
 * Gradients: float32 backward passes reassociate sums of ~10^4 terms differently from torch's;
 * measured max error ~1e-6 of each tensor's largest gradient. Relative to that largest gradient.
 */
const TRAIN_GRAD_TOL = 1e-4;
/**
 * Updated weights, absolute, as a share of the learning rate: AdamW moves each weight by about
 * lr * m / sqrt(v), so an error of 1e-6 relative in a gradient moves the weight by ~1e-6 lr;
 * measured ~1e-4 lr on the rest. Applies to entries whose gradient stands above the noise floor.
 */
const TRAIN_WEIGHT_TOL_LR = 1e-3;
/**
 * Adam divides by sqrt(v) ~ |g| + eps, so where a gradient is tiny a tiny gradient error becomes a
 * large step error: d(g / (|g| + eps)) / dg = eps / (|g| + eps)^2. Each entry's tolerance adds that
 * sensitivity times the gradient tolerance (TRAIN_GRAD_TOL of the tensor's largest), per step,
 * capped at what two AdamW steps can differ by: one step moves a weight by at most ~1.1 lr
 * (|m_hat| / sqrt(v_hat) over two steps), so NOISE_STEP_TOL_LR = 2.5 lr a step covers both sides.
 * Some gradients are zero in exact arithmetic (a key bias adds the same score to every key, which
 * the softmax cancels): both sides hold float32 noise there, and only the cap holds them.
 */
const NOISE_STEP_TOL_LR = 2.5;
/** Entries held only by the cap must stay a small share of all, or the weight check would say little. */
const MAX_CAPPED_SHARE = 0.01;
/** lrAt against train.py's lr_at (float64 both sides, the same formula): relative. */
const LR_TOL = 1e-12;
/** A crop's area and aspect after rounding its sides to whole pixels: relative slack on the bounds. */
const CROP_ROUNDING = 0.05;
/** float32 round-off of a normalised value. */
const NORM_ROUNDING = 1e-5;
/** A trainer's steps on the tiny model for the memory check. */
const LEAK_STEPS = 100;
/** Steps on one fixed batch over which the loss must fall. */
const FIT_STEPS = 30;
/** Peak learning rate for fitting from random weights (std 0.02): far from trained, it takes big steps. */
const FIT_LR = 5e-3;
/** Warm-up steps of that fit. */
const FIT_WARMUP = 3;
/** The loss after FIT_STEPS must be below this share of the first. */
const FIT_LOSS_SHARE = 0.8;

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const GOLDEN = path.join(FIXTURES, 'golden');
const TRAIN = path.join(FIXTURES, 'train');

interface TrainCase {
  lr: number;
  weight_decay: number;
  betas: [number, number];
  eps: number;
  mask_ratio: number;
  norm_pix_loss: boolean;
  losses: number[];
  frozen: string[];
  lr_at?: { step: number; total: number; warmup: number; base_lr: number; min_lr: number; lr: number }[];
}
interface GoldenCase { num_heads: number; decoder_num_heads: number; norm_pix_loss: boolean; batch: number }

const json = <T>(file: string) => JSON.parse(readFileSync(file, 'utf8')) as T;
const npy = (file: string) => readNpy(new Uint8Array(readFileSync(file))).data as Float32Array;

async function safetensors(file: string): Promise<HostParams> {
  const f = await readSafetensors(bytesSource(path.basename(file), new Uint8Array(readFileSync(file))));
  const out: HostParams = new Map();
  for (const [name, e] of f.tensors) out.set(name, { shape: e.shape, data: toFloat32({ dtype: e.dtype, shape: e.shape, bytes: await e.read() }) });
  return out;
}

async function loadGolden(name: string) {
  const g = json<GoldenCase>(path.join(GOLDEN, name, 'case.json'));
  const ckpt = await loadCheckpoint([{ name: 'checkpoint.pth', blob: new Blob([readFileSync(path.join(GOLDEN, name, 'checkpoint.pth'))]) }], {
    overrides: { numHeads: g.num_heads, decoderNumHeads: g.decoder_num_heads, normPixLoss: g.norm_pix_loss },
  });
  return { ...ckpt, x: npy(path.join(GOLDEN, name, 'x.npy')), noise: npy(path.join(GOLDEN, name, 'noise.npy')) };
}

/** The fixture's fixed learning rate through the schedule: warm-up of 0 steps, base = min = lr. */
function fixtureSettings(c: TrainCase): TrainSettings {
  return {
    ...DEFAULT_TRAIN_SETTINGS, baseLr: c.lr, minLr: c.lr, warmupSteps: 0, steps: 10, weightDecay: c.weight_decay,
    beta1: c.betas[0], beta2: c.betas[1], eps: c.eps, maskRatio: c.mask_ratio,
  };
}

function maxAbsOf(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Every expected tensor is there with its shape, and within `tol(name, want)` of it. */
function expectClose(got: HostParams, want: HostParams, tol: (want: Float32Array) => number, what: string): void {
  expect([...got.keys()].sort()).toEqual(expect.arrayContaining([...want.keys()].sort()));
  for (const [name, w] of want) {
    const g = got.get(name)!;
    expect(g.shape, `${what} ${name} shape`).toEqual(w.shape);
    const d = maxDiff(g.data, w.data);
    expect(d, `${what} ${name}: max |diff| ${d}`).toBeLessThanOrEqual(tol(w.data));
  }
}

describe.each(['cpu', 'wasm'] as const)('one AdamW step against PyTorch on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('tiny-p16: loss, every gradient, the weights after steps 1 and 2', async () => {
    const c = json<TrainCase>(path.join(TRAIN, 'tiny-p16', 'case.json'));
    const g = await loadGolden('tiny-p16');
    const trainer = Trainer.create(g.config, g.params, fixtureSettings(c));
    try {
      const r1 = await trainer.step(g.x, g.noise, { grads: true });
      expect(Math.abs(r1.loss - c.losses[0]) / c.losses[0]).toBeLessThanOrEqual(TRAIN_LOSS_TOL);
      expect(r1.lr).toBe(c.lr);
      const grads = await safetensors(path.join(TRAIN, 'tiny-p16', 'grads.safetensors'));
      // The same parameters are trained (position tables frozen, as requires_grad=False).
      expect([...r1.grads!.keys()].sort()).toEqual([...grads.keys()].sort());
      for (const name of c.frozen) expect(r1.grads!.has(name)).toBe(false);
      expectClose(r1.grads!, grads, (w) => TRAIN_GRAD_TOL * maxAbsOf(w), 'gradient');
      // Per entry: tight where the gradient is large, looser where Adam amplifies its error (above).
      let capped = 0;
      let total = 0;
      const expectWeights = (got: HostParams, want: HostParams, steps: number, what: string) => {
        for (const [name, w] of want) {
          const gr = grads.get(name)!.data;
          const gradTol = TRAIN_GRAD_TOL * maxAbsOf(gr);
          const gt = got.get(name)!;
          expect(gt.shape, `${what} ${name} shape`).toEqual(w.shape);
          for (let i = 0; i < w.data.length; i++) {
            const sensitive = TRAIN_WEIGHT_TOL_LR + (steps * c.eps * gradTol) / (Math.abs(gr[i]) + c.eps) ** 2;
            const cap = NOISE_STEP_TOL_LR * steps;
            if (steps === 1) { total++; if (sensitive >= cap) capped++; }
            const tol = Math.min(sensitive, cap) * c.lr;
            const d = Math.abs(gt.data[i] - w.data[i]);
            if (!(d <= tol)) expect.fail(`${what} ${name}[${i}]: |diff| ${d} > ${tol} (gradient ${gr[i]})`);
          }
        }
      };
      expectWeights(await trainer.hostParams(), await safetensors(path.join(TRAIN, 'tiny-p16', 'step1.safetensors')), 1, 'step 1');
      expect(capped / total).toBeLessThanOrEqual(MAX_CAPPED_SHARE);
      const r2 = await trainer.step(g.x, g.noise);
      expect(Math.abs(r2.loss - c.losses[1]) / c.losses[1]).toBeLessThanOrEqual(TRAIN_LOSS_TOL);
      const after = await trainer.hostParams();
      expectWeights(after, await safetensors(path.join(TRAIN, 'tiny-p16', 'step2.safetensors')), 2, 'step 2');
      // Frozen tables come back untouched.
      for (const name of c.frozen) expect(Array.from(after.get(name)!.data)).toEqual(Array.from(g.params.get(name)!.data));
      expect(trainer.stepCount).toBe(2);
    } finally {
      trainer.dispose();
    }
  });

  it('tiny-p16-normpix: loss and every gradient', async () => {
    const c = json<TrainCase>(path.join(TRAIN, 'tiny-p16-normpix', 'case.json'));
    const g = await loadGolden('tiny-p16-normpix');
    expect(g.config.normPixLoss).toBe(true);
    const trainer = Trainer.create(g.config, g.params, fixtureSettings(c));
    try {
      const r = await trainer.step(g.x, g.noise, { grads: true });
      expect(Math.abs(r.loss - c.losses[0]) / c.losses[0]).toBeLessThanOrEqual(TRAIN_LOSS_TOL);
      expectClose(r.grads!, await safetensors(path.join(TRAIN, 'tiny-p16-normpix', 'grads.safetensors')),
        (w) => TRAIN_GRAD_TOL * maxAbsOf(w), 'gradient');
    } finally {
      trainer.dispose();
    }
  });
});

/** A model small enough for a hundred steps in a test: 32 px, 8 px patches (16 patches). */
const MICRO: MaeConfig = {
  imgSize: 32, patchSize: 8, inChans: 3, embedDim: 32, depth: 1, numHeads: 2,
  decoderEmbedDim: 16, decoderDepth: 1, decoderNumHeads: 2, mlpRatio: 2, layerNormEps: 1e-6, normPixLoss: false,
};
/** Images in the micro model's fixed batch. */
const MICRO_BATCH = 2;

/** A picture with some structure (gradients and a disc), for augmentation and fitting. */
function picture(width: number, height: number): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const o = (y * width + x) * 4;
    const disc = (x - width / 3) ** 2 + (y - height / 2) ** 2 < (height / 4) ** 2;
    data[o] = (255 * x) / width;
    data[o + 1] = disc ? 230 : (255 * y) / height;
    data[o + 2] = disc ? 20 : 128;
    data[o + 3] = 255;
  }
  return { data, width, height };
}

describe('schedule, memory, learning, bad input (wasm)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it("lrAt is train.py's lr_at (warm-up, cosine, floor after the end)", () => {
    const points = json<TrainCase>(path.join(TRAIN, 'tiny-p16', 'case.json')).lr_at!;
    expect(points.length).toBeGreaterThan(5);
    for (const p of points) {
      const got = lrAt(p.step, { steps: p.total, warmupSteps: p.warmup, baseLr: p.base_lr, minLr: p.min_lr });
      expect(Math.abs(got - p.lr), `step ${p.step} of ${p.total}`).toBeLessThanOrEqual(LR_TOL * p.lr);
    }
  });

  it(`${LEAK_STEPS} steps leave tf.memory().numTensors flat`, async () => {
    const trainer = Trainer.create(MICRO, randomParams(MICRO, 1), { ...DEFAULT_TRAIN_SETTINGS, batchSize: MICRO_BATCH, steps: LEAK_STEPS });
    try {
      const rng = mulberry32(3);
      const images = [picture(40, 30), picture(25, 50)];
      const first = sampleBatch(images, MICRO_BATCH, MICRO.imgSize, 16, rng);
      await trainer.step(first.batch, first.noise); // the first step may create lasting state
      const before = tf.memory().numTensors;
      for (let i = 1; i < LEAK_STEPS; i++) {
        const b = sampleBatch(images, MICRO_BATCH, MICRO.imgSize, 16, rng);
        await trainer.step(b.batch, b.noise);
        expect(tf.memory().numTensors).toBe(before);
      }
      expect(trainer.stepCount).toBe(LEAK_STEPS);
      await trainer.hostParams();
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      trainer.dispose();
    }
  });

  it(`the loss falls over ${FIT_STEPS} steps on one fixed batch, and dispose frees everything`, async () => {
    const base = tf.memory().numTensors;
    const trainer = Trainer.create(MICRO, randomParams(MICRO, 2), {
      ...DEFAULT_TRAIN_SETTINGS, batchSize: MICRO_BATCH, steps: FIT_STEPS, baseLr: FIT_LR, warmupSteps: FIT_WARMUP,
    });
    const { batch, noise } = sampleBatch([picture(48, 48)], MICRO_BATCH, MICRO.imgSize, 16, mulberry32(5));
    const losses: number[] = [];
    for (let i = 0; i < FIT_STEPS; i++) losses.push((await trainer.step(batch, noise)).loss);
    trainer.dispose();
    expect(tf.memory().numTensors).toBe(base);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[FIT_STEPS - 1]).toBeLessThan(FIT_LOSS_SHARE * losses[0]);
  });

  it('a step that fails keeps the weights of the last good step', async () => {
    const trainer = Trainer.create(MICRO, randomParams(MICRO, 4), { ...DEFAULT_TRAIN_SETTINGS, batchSize: 1 });
    try {
      const good = sampleBatch([picture(32, 32)], 1, MICRO.imgSize, 16, mulberry32(6));
      await trainer.step(good.batch, good.noise);
      const before = await trainer.hostParams();
      const count = tf.memory().numTensors;
      const bad = good.batch.slice();
      bad[0] = Number.NaN; // a non-finite loss, as a diverged step gives
      await expect(trainer.step(bad, good.noise)).rejects.toThrow(TrainError);
      await expect(trainer.step(good.batch.subarray(1), good.noise)).rejects.toThrow(RangeError);
      expect(tf.memory().numTensors).toBe(count);
      expect(trainer.stepCount).toBe(1);
      const after = await trainer.hostParams();
      for (const [name, p] of before) expect(Array.from(after.get(name)!.data), name).toEqual(Array.from(p.data));
    } finally {
      trainer.dispose();
    }
  });

  it('an encoder-only checkpoint and bad settings are refused with a TrainError', () => {
    const params = randomParams(MICRO, 0);
    for (const name of [...params.keys()]) if (name.startsWith('decoder') || name === 'mask_token') params.delete(name);
    expect(() => Trainer.create(MICRO, params)).toThrow(/no decoder/);
    expect(() => Trainer.create(MICRO, randomParams(MICRO, 0), { ...DEFAULT_TRAIN_SETTINGS, batchSize: 0 })).toThrow(TrainError);
    expect(() => Trainer.create(MICRO, randomParams(MICRO, 0), { ...DEFAULT_TRAIN_SETTINGS, maskRatio: 0 })).toThrow(TrainError);
    expect(() => sampleBatch([], 1, MICRO.imgSize, 16, mulberry32(0))).toThrow(/add at least one picture/);
  });
});

describe('augmentation', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const img = picture(120, 80);
    const a = augmentImage(img, 32, mulberry32(9));
    expect(Array.from(augmentImage(img, 32, mulberry32(9)))).toEqual(Array.from(a));
    expect(Array.from(augmentImage(img, 32, mulberry32(10)))).not.toEqual(Array.from(a));
  });

  it("crops stay inside the picture within train.py's scale and ratio, and flips mirror", () => {
    const rng = mulberry32(1);
    let flips = 0;
    const draws = 200; // crops drawn
    for (let i = 0; i < draws; i++) {
      const [w, h] = [50 + Math.floor(rng() * 400), 50 + Math.floor(rng() * 400)];
      const b = sampleCrop(w, h, rng);
      if (b.flip) flips++;
      expect(b.x >= 0 && b.y >= 0 && b.x + b.w <= w && b.y + b.h <= h && b.w > 0 && b.h > 0).toBe(true);
      const scale = (b.w * b.h) / (w * h);
      const ratio = b.w / b.h;
      const fallback = scale > CROP_SCALE_MAX * (1 - CROP_ROUNDING) || (b.x === Math.floor((w - b.w) / 2) && b.y === Math.floor((h - b.h) / 2));
      if (!fallback) {
        expect(scale).toBeGreaterThanOrEqual(CROP_SCALE_MIN * (1 - CROP_ROUNDING));
        expect(ratio).toBeGreaterThanOrEqual(CROP_RATIO_MIN * (1 - CROP_ROUNDING));
        expect(ratio).toBeLessThanOrEqual(CROP_RATIO_MAX * (1 + CROP_ROUNDING));
      }
    }
    expect(flips).toBeGreaterThan(draws / 4);
    expect(flips).toBeLessThan((3 * draws) / 4);
    const img = picture(64, 48);
    const box = { x: 5, y: 3, w: 40, h: 40, flip: false };
    const plain = cropResize(img, box, 16);
    const mirrored = cropResize(img, { ...box, flip: true }, 16);
    for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) for (let ch = 0; ch < 4; ch++) {
      expect(mirrored[(y * 16 + 15 - x) * 4 + ch]).toBe(plain[(y * 16 + x) * 4 + ch]);
    }
  });

  it('a flat picture stays flat, and the batch is ImageNet-normalised in range', () => {
    const flat = { width: 37, height: 23, data: new Uint8ClampedArray(37 * 23 * 4).fill(77) };
    expect(new Set(augmentImage(flat, 16, mulberry32(2)))).toEqual(new Set([77]));
    const { batch, noise } = sampleBatch([picture(90, 60)], 3, 16, 4, mulberry32(3));
    expect(batch.length).toBe(3 * 3 * 16 * 16);
    expect(noise.length).toBe(3 * 4);
    for (const v of noise) expect(v >= 0 && v < 1).toBe(true);
    // Channel c of an 8-bit pixel lies within (0 - mean_c) / std_c .. (1 - mean_c) / std_c.
    const per = 16 * 16;
    batch.forEach((v, i) => {
      const ch = Math.floor(i / per) % 3;
      expect(v).toBeGreaterThanOrEqual(-IMAGENET_MEAN[ch] / IMAGENET_STD[ch] - NORM_ROUNDING);
      expect(v).toBeLessThanOrEqual((1 - IMAGENET_MEAN[ch]) / IMAGENET_STD[ch] + NORM_ROUNDING);
    });
  });
});
