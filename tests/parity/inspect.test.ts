// The inspect forward pass (src/model/inspect.ts) against the reference's attention maps, latent
// and prediction (tests/fixtures/golden/tiny-p16/inspect, made by tools/fixtures/make_inspect_fixtures.py),
// at the checkpoint's size and at an interpolated size, on the cpu and wasm backends.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers no gradients by itself; a training feature imports them the same way.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../src/checkpoints/npy';
import { loadCheckpoint } from '../../src/checkpoints/load';
import { InspectModel, Mae, paramsAtImageSize, planFor, planFromNoise, type InspectResult } from '../../src/model';
import { GOLDEN_ABS_TOL, maxAbsDiff, type CaseJson } from '../../tools/lib/golden';
import { useBackend } from '../helpers/tf';

/** torch computes its bicubic sums in float32, this port in float64: they differ by float32 round-off. */
const POS_TABLE_TOL = 1e-5;
/** Relative agreement of an autodiff directional derivative with a central finite difference in float32. */
const GRAD_REL_TOL = 2e-2;
/** A larger square size the model runs at with interpolated tables, in pixels (20 x 20 patches; 448 takes half a minute on the cpu backend). */
const FAST_PATH_SIZE = 320;
/** The gradient check's image, in pixels (4 x 3 patches). */
const GRAD_IMAGE_W = 64;
const GRAD_IMAGE_H = 48;
/** Finite-difference step, in normalised pixel units. */
const FD_STEP = 1e-2;

const GOLDEN = path.join(__dirname, '..', 'fixtures', 'golden', 'tiny-p16');
const INSPECT = path.join(GOLDEN, 'inspect');

interface InspectCase {
  width: number;
  height: number;
  mask_ratio: number;
  from_case?: { folder: string; item: number; arrays: string[] };
  arrays: Record<string, { shape: number[]; dtype: string }>;
}
interface InspectIndex {
  cases: Record<string, InspectCase>;
  pos: { sizes: { width: number; height: number }[] };
}

const index = JSON.parse(readFileSync(path.join(INSPECT, 'inspect.json'), 'utf8')) as InspectIndex;
const caseJson = JSON.parse(readFileSync(path.join(GOLDEN, 'case.json'), 'utf8')) as CaseJson;
const npy = (file: string) => readNpy(new Uint8Array(readFileSync(file)));

/** A case's array: its own file, or batch item `item` of the golden case's. */
function caseArray(name: string, c: InspectCase, arrayName: string): Float32Array | Int32Array {
  const dir = path.join(INSPECT, name);
  if (c.from_case?.arrays.includes(arrayName)) {
    const a = npy(path.join(dir, c.from_case.folder, `${arrayName}.npy`));
    const per = a.shape.slice(1).reduce((x, y) => x * y, 1);
    return (a.data as Float32Array).slice(c.from_case.item * per, (c.from_case.item + 1) * per);
  }
  return npy(path.join(dir, `${arrayName}.npy`)).data as Float32Array | Int32Array;
}

function loadTiny() {
  // A .pth carries no head count: the case states the architecture it was made with.
  return loadCheckpoint([{ name: 'checkpoint.pth', blob: new Blob([readFileSync(path.join(GOLDEN, 'checkpoint.pth'))]) }], {
    overrides: { numHeads: caseJson.num_heads, decoderNumHeads: caseJson.decoder_num_heads, normPixLoss: caseJson.norm_pix_loss },
  });
}

async function loadModel(): Promise<InspectModel> {
  const ckpt = await loadTiny();
  return InspectModel.create(ckpt.config, ckpt.params);
}

async function runCase(model: InspectModel, name: string): Promise<{ r: InspectResult; c: InspectCase }> {
  const c = index.cases[name];
  const noise = caseArray(name, c, 'noise') as Float32Array;
  const plan = planFromNoise(noise, 1, c.mask_ratio);
  const r = await model.inspect(caseArray(name, c, 'x') as Float32Array, { width: c.width, height: c.height }, plan);
  return { r, c };
}

it('has a case at the checkpoint size and one at another size and aspect', () => {
  const sizes = Object.values(index.cases).map((c) => [c.width, c.height]);
  expect(sizes).toContainEqual([caseJson.img_size, caseJson.img_size]);
  expect(sizes.some(([w, h]) => w !== h && w !== caseJson.img_size)).toBe(true);
});

describe.each(['cpu', 'wasm'] as const)('inspect on %s', (backend) => {
  let model: InspectModel;
  beforeAll(async () => {
    await useBackend(backend);
    model = await loadModel();
  });
  afterAll(() => model.dispose());

  it.each(Object.keys(index.cases))('%s: ids_keep and mask exact, attention, latent and pred within GOLDEN_ABS_TOL, no tensor left', async (name) => {
    const before = tf.memory().numTensors;
    const { r, c } = await runCase(model, name);
    expect(tf.memory().numTensors).toBe(before);
    expect(r.grid).toEqual({ rows: c.height / caseJson.patch_size, cols: c.width / caseJson.patch_size });
    expect(Array.from(r.idsKeep)).toEqual(Array.from(caseArray(name, c, 'ids_keep')));
    expect(Array.from(r.mask)).toEqual(Array.from(caseArray(name, c, 'mask')));
    const outputs = { encoder_attention: r.encoderAttention!, decoder_attention: r.decoderAttention!, latent: r.latent, pred: r.pred };
    for (const [k, got] of Object.entries(outputs)) {
      const shape = c.arrays[k]?.shape ?? (k === 'latent' ? [1 + r.lenKeep, caseJson.embed_dim] : [r.numPatches, caseJson.patch_size ** 2 * 3]);
      expect(got.shape, k).toEqual(shape);
      expect(maxAbsDiff(got.data, caseArray(name, c, k)), k).toBeLessThanOrEqual(GOLDEN_ABS_TOL);
    }
  });

  it.each(index.pos.sizes.map((s) => `${s.width}x${s.height}`))('position tables at %s equal torch\'s bicubic interpolate_pos_embed', (size) => {
    const [w, h] = size.split('x').map(Number);
    const t = model.positionTables(model.gridFor({ width: w, height: h }));
    const ref = (k: string) => npy(path.join(INSPECT, 'pos', `${k}_${size}.npy`)).data as Float32Array;
    expect(maxAbsDiff(t.pos, ref('pos_embed'))).toBeLessThanOrEqual(POS_TABLE_TOL);
    expect(maxAbsDiff(t.dpos, ref('decoder_pos_embed'))).toBeLessThanOrEqual(POS_TABLE_TOL);
  });

  it('"mean" returns the head average, "none" nothing, with the same latent and pred', async () => {
    const name = Object.keys(index.cases)[0];
    const c = index.cases[name];
    const x = caseArray(name, c, 'x') as Float32Array;
    const plan = planFromNoise(caseArray(name, c, 'noise') as Float32Array, 1, c.mask_ratio);
    const size = { width: c.width, height: c.height };
    const full = await model.inspect(x, size, plan);
    const light = await model.inspect(x, size, plan, { encoderAttention: 'mean', decoderAttention: 'none' });
    expect(light.decoderAttention).toBeNull();
    const [layers, heads, t] = full.encoderAttention!.shape;
    expect(light.encoderAttention!.shape).toEqual([layers, 1, t, t]);
    const mean = new Float32Array(layers * t * t);
    for (let l = 0; l < layers; l++) for (let h = 0; h < heads; h++) for (let i = 0; i < t * t; i++) {
      mean[l * t * t + i] += full.encoderAttention!.data[(l * heads + h) * t * t + i] / heads;
    }
    expect(maxAbsDiff(light.encoderAttention!.data, mean)).toBeLessThanOrEqual(GOLDEN_ABS_TOL);
    expect(maxAbsDiff(light.pred.data, full.pred.data)).toBe(0);
  });

  it(`the model at ${FAST_PATH_SIZE} px through paramsAtImageSize agrees with InspectModel at that size`, async () => {
    const ckpt = await loadTiny();
    const resized = paramsAtImageSize(ckpt.config, ckpt.params, FAST_PATH_SIZE);
    const fast = Mae.create(resized.config, resized.params);
    const g = FAST_PATH_SIZE / caseJson.patch_size;
    const plan = planFor({ pattern: 'block', maskRatio: 0.75, seed: 4 }, g);
    const x = tf.tidy(() => tf.randomNormal([3, FAST_PATH_SIZE, FAST_PATH_SIZE], 0, 1, 'float32', 5).dataSync() as Float32Array);
    const imgs = tf.tensor4d(x, [1, 3, FAST_PATH_SIZE, FAST_PATH_SIZE]);
    const out = fast.forward(imgs, plan);
    const [latent, pred] = await Promise.all([out.latent.data(), out.pred.data()]);
    tf.dispose([imgs, ...Object.values(out).filter((t): t is tf.Tensor => t instanceof tf.Tensor)]);
    fast.dispose();
    const r = await model.inspect(x, { width: FAST_PATH_SIZE, height: FAST_PATH_SIZE }, plan, { encoderAttention: 'none', decoderAttention: 'none' });
    expect(maxAbsDiff(latent, r.latent.data)).toBeLessThanOrEqual(GOLDEN_ABS_TOL);
    expect(maxAbsDiff(pred, r.pred.data)).toBeLessThanOrEqual(GOLDEN_ABS_TOL);
  });

  it('refuses a size that is not a multiple of the patch, and a plan for another grid, leaving no tensor', async () => {
    const before = tf.memory().numTensors;
    const x = new Float32Array(3 * 200 * 224);
    await expect(model.inspect(x, { width: 224, height: 200 }, { pattern: 'random', maskRatio: 0.5, seed: 0 }))
      .rejects.toThrow('image height 200 px is not a positive multiple of the patch size 16');
    const plan = planFromNoise(new Float32Array(196), 1, 0.5);
    await expect(model.inspect(new Float32Array(3 * 224 * 336), { width: 224, height: 336 }, plan)).rejects.toThrow(/mask plan is for \[1, 196\]/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('inspect is differentiable (cpu)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('the gradient of a function of pred and the latent matches a central finite difference', async () => {
    const model = await loadModel();
    // A small picture of another aspect (interpolated tables too) keeps the cpu backward pass short.
    const [width, height] = [GRAD_IMAGE_W, GRAD_IMAGE_H];
    const shape: [number, number, number] = [3, height, width];
    const x = tf.tidy(() => tf.randomNormal(shape, 0, 1, 'float32', 4).dataSync() as Float32Array);
    const plan = planFor({ pattern: 'random', maskRatio: 0.5, seed: 1 }, height / caseJson.patch_size, width / caseJson.patch_size);
    const before = tf.memory().numTensors;
    // f(img) = mean(pred * wp) + mean(latent * wl) with fixed random weights.
    const [numbers, dirData] = tf.tidy(() => {
      const img = tf.tensor3d(x, shape);
      const wp = tf.randomNormal([plan.numPatches, caseJson.patch_size ** 2 * 3], 0, 1, 'float32', 1);
      const wl = tf.randomNormal([1 + plan.lenKeep, caseJson.embed_dim], 0, 1, 'float32', 2);
      const dir = tf.randomNormal(shape, 0, 1, 'float32', 3);
      const f = (im: tf.Tensor) => {
        const o = model.forward(im as tf.Tensor3D, plan, { encoderAttention: 'none', decoderAttention: 'none' });
        return tf.add(tf.mean(tf.mul(o.pred, wp)), tf.mean(tf.mul(o.latent, wl))) as tf.Scalar;
      };
      const g = tf.grad(f)(img);
      const analytic = tf.sum(tf.mul(g, dir));
      const numeric = tf.div(tf.sub(f(tf.add(img, tf.mul(dir, FD_STEP))), f(tf.sub(img, tf.mul(dir, FD_STEP)))), 2 * FD_STEP);
      return [tf.stack([analytic, numeric]), dir.dataSync()];
    });
    const [analytic, numeric] = await numbers.data();
    numbers.dispose();
    expect(dirData.length).toBe(3 * height * width);
    expect(Math.abs(analytic)).toBeGreaterThan(0);
    expect(Math.abs(analytic - numeric) / Math.abs(numeric)).toBeLessThan(GRAD_REL_TOL);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
