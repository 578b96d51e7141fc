// The worker's inspect requests (src/worker/inspect.ts): the views' model is built from the
// installed checkpoint's weights on the first request only, a head or the mean is cut from the kept
// pass without a second read, features come with the whole picture's, and closing frees it all.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InspectModel, randomParams, rgbaToNormalizedChw, type MaeConfig } from '../../../src/model';
import type { WorkerRequest } from '../../../src/protocol/messages';
import { maskFor } from '../../../src/shared/masking';
import { setCurrentWeights } from '../../../src/worker/current';
import { closeInspect, inspectCount, runInspect } from '../../../src/worker/inspect';
import { maxAbs, useBackend } from '../../helpers/tf';

/** A tiny model: 32 px pictures of 8 px patches (4 x 4), small enough for the cpu backend. */
const CFG: MaeConfig = {
  imgSize: 32, patchSize: 8, inChans: 3, embedDim: 16, depth: 2, numHeads: 2,
  decoderEmbedDim: 8, decoderDepth: 2, decoderNumHeads: 4, mlpRatio: 4, layerNormEps: 1e-6, normPixLoss: false,
};
const GRID = CFG.imgSize / CFG.patchSize;
const L = GRID * GRID;
/** Float32 sums of softmax rows. */
const ROW_SUM_TOL = 1e-5;
/** The worker's answer against the model's own inspect: the same ops, so equal up to float32 summation order. */
const SAME_TOL = 1e-6;

const image = { width: CFG.imgSize, height: CFG.imgSize, data: Uint8ClampedArray.from({ length: CFG.imgSize ** 2 * 4 }, (_, i) => (i * 37) % 256) };
const mask = maskFor({ pattern: 'random', maskRatio: 0.5, seed: 3 }, GRID);
let reads = 0;
const req = (capture: Extract<WorkerRequest, { type: 'inspect' }>['capture'], id = 1): Extract<WorkerRequest, { type: 'inspect' }> =>
  ({ type: 'inspect', id, imageKey: 'a', mask, capture });

beforeAll(async () => {
  await useBackend('cpu');
  setCurrentWeights(CFG, async () => {
    reads++;
    return randomParams(CFG, 0);
  });
});

describe('worker inspect', () => {
  it('answers one head and the mean of every layer, cut from one forward pass, equal to the model\'s own maps', async () => {
    await closeInspect();
    reads = 0;
    const before = inspectCount();
    const mean = (await runInspect(req({ attention: { stack: 'encoder', head: 'mean' }, features: false }), image)).msg;
    const keep = L - mask.reduce((a, v) => a + v, 0);
    expect(mean.attention).toMatchObject({ stack: 'encoder', layers: CFG.depth, heads: CFG.numHeads, tokens: 1 + keep });
    expect(mean.attention!.data.length).toBe(CFG.depth * (1 + keep) ** 2);
    expect(Array.from(mean.idsKeep).every((p) => mask[p] === 0)).toBe(true);
    for (let r = 0; r < CFG.depth * (1 + keep); r++) {
      const row = mean.attention!.data.subarray(r * (1 + keep), (r + 1) * (1 + keep));
      expect(Math.abs(row.reduce((a, v) => a + v, 0) - 1)).toBeLessThan(ROW_SUM_TOL);
    }
    const heads: Float32Array[] = [];
    for (let h = 0; h < CFG.numHeads; h++) heads.push((await runInspect(req({ attention: { stack: 'encoder', head: h }, features: false }), image)).msg.attention!.data);
    const avg = heads[0].map((_, i) => heads.reduce((a, hd) => a + hd[i], 0) / heads.length);
    expect(maxAbs(avg, mean.attention!.data)).toBeLessThan(SAME_TOL);
    // The model's own maps for the same picture and mask.
    const m = InspectModel.create(CFG, randomParams(CFG, 0));
    const ref = await m.inspect(rgbaToNormalizedChw(image.data, image.width, image.height), { width: image.width, height: image.height },
      { pattern: 'painted', mask }, { encoderAttention: 'mean', decoderAttention: 'none' });
    m.dispose();
    expect(maxAbs(ref.encoderAttention!.data, mean.attention!.data)).toBeLessThan(SAME_TOL);
    // Weights read once for all four answers.
    expect(reads).toBe(1);
    expect(inspectCount() - before).toBe(1 + CFG.numHeads);
  });

  it('answers decoder maps over every patch, and features of the visible patches and of the whole picture', async () => {
    const r = (await runInspect(req({ attention: { stack: 'decoder', head: 1 }, features: true }), image)).msg;
    expect(r.attention).toMatchObject({ stack: 'decoder', head: 1, layers: CFG.decoderDepth, heads: CFG.decoderNumHeads, tokens: 1 + L });
    expect(r.grid).toEqual({ rows: GRID, cols: GRID });
    expect(r.features!.dim).toBe(CFG.embedDim);
    expect(r.features!.latent.length).toBe((1 + r.idsKeep.length) * CFG.embedDim);
    expect(r.features!.latentAll.length).toBe((1 + L) * CFG.embedDim);
  });

  it('refuses a head the stack does not have and a mask of another grid, in one line', async () => {
    await expect(runInspect(req({ attention: { stack: 'encoder', head: CFG.numHeads }, features: false }), image)).rejects.toThrow(/head 2 is not one of the encoder's 2/);
    await expect(runInspect({ ...req({ attention: null, features: true }), mask: new Uint8Array(L + 1) }, image)).rejects.toThrow(/the mask has 17 entries, the picture has 16 patches/);
  });

  it('past the size limit, computes the heads\' mean alone and refuses one head, in one line', async () => {
    const all = (await runInspect(req({ attention: { stack: 'decoder', head: 'mean' }, features: false }), image)).msg.attention!;
    // A limit every head's maps exceed but their mean fits: [layers, 1, 1+L, 1+L] float32 plus the rest.
    const limit = CFG.decoderDepth * (1 + L) ** 2 * 4 * 2;
    const other = maskFor({ pattern: 'random', maskRatio: 0.25, seed: 5 }, GRID);
    await expect(runInspect({ ...req({ attention: { stack: 'decoder', head: 0 }, features: false }), mask: other }, image, limit))
      .rejects.toThrow(/one head's maps need every head's, \d+ MiB here \(over \d+ MiB\): choose the mean/);
    // Another mask first, so that the pass under `mask` below is made anew, with the mean alone.
    await runInspect({ ...req({ attention: { stack: 'decoder', head: 'mean' }, features: false }), mask: other }, image, limit);
    const mean = (await runInspect(req({ attention: { stack: 'decoder', head: 'mean' }, features: false }), image, limit)).msg.attention!;
    expect(mean.heads).toBe(CFG.decoderNumHeads);
    expect(maxAbs(mean.data, all.data)).toBeLessThan(SAME_TOL);
  });

  it('frees the views\' model on close: no tensor stays, and the next request reads the weights again', async () => {
    const base = tf.memory().numTensors;
    await runInspect(req({ attention: { stack: 'encoder', head: 'mean' }, features: false }), image);
    await closeInspect();
    // Only the tensors a model holds when built are freed; nothing else of a pass outlives it.
    const after = tf.memory().numTensors;
    reads = 0;
    await runInspect(req({ attention: { stack: 'encoder', head: 'mean' }, features: false }), image);
    expect(reads).toBe(1);
    await closeInspect();
    expect(tf.memory().numTensors).toBe(after);
    expect(after).toBeLessThanOrEqual(base);
  });
});
