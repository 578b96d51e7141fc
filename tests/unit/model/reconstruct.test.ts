// reconstructImage (the page's path: one backend tail, one readback, one pass to RGBA) against the
// reference forward (Mae.forward) and host arithmetic in float64.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  chwToPatches, IMAGENET_MEAN, IMAGENET_STD, Mae, MAX_8BIT, NORM_PIX_EPS, planFor, randomParams, reconstructBatch,
  reconstructImage, rgbaToNormalizedChw, rgbaToNormalizedPatches, type MaeConfig, type MaskPlan,
} from '../../../src/model';
import { countReadbacks } from '../../../tools/lib/golden';
import { expectNoLeak, maxAbs, TINY, useBackend } from '../../helpers/tf';

/** Normalised-space agreement between the page's path and the reference forward (float32 orderings). */
const PATH_TOL = 1e-4;
/** 8-bit levels a shown pixel may differ by: rounding of values within PATH_TOL of a half level. */
const PIXEL_LEVEL_TOL = 1;
/** Relative agreement of error figures (0-255 squared-error space) between the two paths. */
const ERROR_REL_TOL = 1e-3;
/** The Gaussian spread, in patches, reconstruct.ts documents for 'visible' statistics. */
const SIGMA_PATCHES = 1.5;

const S = TINY.imgSize;
const P = TINY.patchSize;
const G = S / P;
const L = G * G;
const K = P * P * 3;
const rgba = Uint8ClampedArray.from({ length: S * S * 4 }, (_, i) => (i * 37 + (i >> 9) * 11) % 256);

/** The reference forward on the image's normalised pixels: pred in patch order, loss. */
async function reference(model: Mae, plan: MaskPlan): Promise<{ pred: Float32Array; loss: number | null }> {
  const imgs = tf.tensor4d(rgbaToNormalizedChw(rgba, S, S), [1, 3, S, S]);
  const out = model.forward(imgs, plan);
  const pred = (await out.pred.data()) as Float32Array;
  const loss = out.loss ? (await out.loss.data())[0] : null;
  tf.dispose([imgs, ...Object.values(out).filter((t): t is tf.Tensor => t !== null)]);
  return { pred, loss };
}

/** Per-patch mean and std (unbiased variance + NORM_PIX_EPS) of the input, float64. */
function patchStats(x: Float32Array): { mean: Float64Array; std: Float64Array } {
  const mean = new Float64Array(L);
  const std = new Float64Array(L);
  for (let i = 0; i < L; i++) {
    let s = 0;
    for (let j = 0; j < K; j++) s += x[i * K + j];
    mean[i] = s / K;
    let v = 0;
    for (let j = 0; j < K; j++) v += (x[i * K + j] - mean[i]) ** 2;
    std[i] = Math.sqrt(v / (K - 1) + NORM_PIX_EPS);
  }
  return { mean, std };
}

/** Masked patches' statistics as Gaussian-weighted averages over the visible patches' (an independent transcription). */
function visibleStats(own: { mean: Float64Array; std: Float64Array }, mask: ArrayLike<number>): { mean: Float64Array; std: Float64Array } {
  const mean = Float64Array.from(own.mean);
  const std = Float64Array.from(own.std);
  for (let i = 0; i < L; i++) {
    if (!mask[i]) continue;
    let w = 0;
    let m = 0;
    let s = 0;
    for (let j = 0; j < L; j++) {
      if (mask[j]) continue;
      const d2 = (Math.floor(i / G) - Math.floor(j / G)) ** 2 + ((i % G) - (j % G)) ** 2;
      const wj = Math.exp(-d2 / (2 * SIGMA_PATCHES ** 2));
      w += wj;
      m += wj * own.mean[j];
      s += wj * own.std[j];
    }
    mean[i] = m / w;
    std[i] = s / w;
  }
  return { mean, std };
}

/** Normalised values (channels innermost) -> 0-255. */
const to255 = (v: number, j: number) => (v * IMAGENET_STD[j % 3] + IMAGENET_MEAN[j % 3]) * MAX_8BIT;

describe.each(['cpu', 'wasm'] as const)('reconstructImage on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('shows the reference forward: pixels, error map, MSE and loss, with one readback and no tensor left', async () => {
    const model = Mae.create(TINY, randomParams(TINY, 7));
    const mask = { pattern: 'random' as const, maskRatio: 0.75, seed: 3 };
    const plan = planFor(mask, G);
    const ref = await reference(model, plan);
    const { result: r, readbacks } = await countReadbacks(() => expectNoLeak(() => reconstructImage(model, rgba, { mask })));
    expect(readbacks).toBe(1);
    const x = rgbaToNormalizedPatches(rgba, S, P);
    let worstLevel = 0;
    let se = 0;
    let errWorst = 0;
    for (let l = 0; l < L; l++) for (let y = 0; y < P; y++) for (let c = 0; c < P; c++) {
      const px = ((Math.floor(l / G) * P + y) * S + (l % G) * P + c);
      let e = 0;
      for (let ch = 0; ch < 3; ch++) {
        const j = (y * P + c) * 3 + ch;
        const rec = to255(ref.pred[l * K + j], j);
        worstLevel = Math.max(worstLevel, Math.abs(r.reconstruction[px * 4 + ch] - Math.min(MAX_8BIT, Math.max(0, Math.round(rec)))));
        const shownPaste = plan.mask[l] ? r.reconstruction[px * 4 + ch] : rgba[px * 4 + ch];
        expect(r.pasted[px * 4 + ch]).toBe(shownPaste);
        e += (Math.min(MAX_8BIT, Math.max(0, rec)) - rgba[px * 4 + ch]) ** 2;
        expect(x[l * K + j]).toBeCloseTo((rgba[px * 4 + ch] / MAX_8BIT - IMAGENET_MEAN[ch]) / IMAGENET_STD[ch], 5);
      }
      errWorst = Math.max(errWorst, Math.abs(r.errorMap[px] - e / 3) / Math.max(1, e / 3));
      if (plan.mask[l]) se += e / 3;
      expect(r.reconstruction[px * 4 + 3]).toBe(MAX_8BIT);
    }
    expect(worstLevel).toBeLessThanOrEqual(PIXEL_LEVEL_TOL);
    expect(errWorst).toBeLessThanOrEqual(ERROR_REL_TOL);
    const mse = se / (r.maskedCount * P * P);
    expect(Math.abs(r.mse! - mse) / mse).toBeLessThanOrEqual(ERROR_REL_TOL);
    expect(r.psnr).toBeCloseTo(10 * Math.log10(MAX_8BIT ** 2 / r.mse!), 6);
    expect(Math.abs(r.loss! - ref.loss!)).toBeLessThanOrEqual(PATH_TOL);
    expect(Array.from(r.mask)).toEqual(Array.from(plan.mask));
    model.dispose();
  });

  describe.each(['heads', 'batched'] as const)('norm_pix statistics, %s attention', (attention) => {
    const config: MaeConfig = { ...TINY, normPixLoss: true };
    let model: Mae;
    beforeAll(() => {
      model = Mae.create(config, randomParams(config, 5), { attention });
      return () => model.dispose();
    });

    it.each(['visible', 'true'] as const)("'%s': masked patches un-normalised with the chosen statistics", async (stats) => {
      const plan = planFor({ pattern: 'block', maskRatio: 0.6, seed: 2 }, G);
      const ref = await reference(model, plan);
      const x = rgbaToNormalizedPatches(rgba, S, P);
      const own = patchStats(x);
      const used = stats === 'true' ? own : visibleStats(own, plan.mask);
      const r = await reconstructBatch(model, x, plan, stats);
      const expected = Float64Array.from(ref.pred, (v, i) => to255(v * used.std[Math.floor(i / K)] + used.mean[Math.floor(i / K)], i % K));
      // In normalised space: divide the 0-255 difference by the channel's scale.
      const scaled = Float64Array.from(r.recon, (v, i) => (v - expected[i]) / (IMAGENET_STD[i % 3] * MAX_8BIT));
      expect(maxAbs(scaled, new Float64Array(scaled.length))).toBeLessThanOrEqual(PATH_TOL);
    });

    it("'visible' with every patch masked falls back to statistics 0 and 1 (pred as is)", async () => {
      const plan = planFor({ pattern: 'painted', mask: new Uint8Array(L).fill(1) }, G);
      const ref = await reference(model, plan);
      const r = await reconstructBatch(model, rgbaToNormalizedPatches(rgba, S, P), plan, 'visible');
      const scaled = Float64Array.from(r.recon, (v, i) => (v - to255(ref.pred[i], i % K)) / (IMAGENET_STD[i % 3] * MAX_8BIT));
      expect(maxAbs(scaled, new Float64Array(scaled.length))).toBeLessThanOrEqual(PATH_TOL);
      expect(r.lossSums[0] / L).toBeCloseTo(ref.loss!, 4);
    });
  });

  it('a batch of two equals the two images one at a time', async () => {
    const model = Mae.create(TINY, randomParams(TINY, 9));
    const other = Uint8ClampedArray.from(rgba, (v) => 255 - v);
    const plans = [planFor({ pattern: 'random', maskRatio: 0.5, seed: 1 }, G), planFor({ pattern: 'random', maskRatio: 0.5, seed: 2 }, G)];
    const both: MaskPlan = {
      n: 2, numPatches: L, lenKeep: plans[0].lenKeep,
      idsShuffle: Int32Array.from([...plans[0].idsShuffle, ...plans[1].idsShuffle]),
      idsRestore: Int32Array.from([...plans[0].idsRestore, ...plans[1].idsRestore]),
      mask: Float32Array.from([...plans[0].mask, ...plans[1].mask]),
    };
    const xs = [rgba, other].map((im) => chwToPatches(rgbaToNormalizedChw(im, S, S), S, P));
    const batch = await reconstructBatch(model, Float32Array.from([...xs[0], ...xs[1]]), both);
    for (let b = 0; b < 2; b++) {
      const one = await reconstructBatch(model, xs[b], plans[b]);
      const part = batch.recon.subarray(b * L * K, (b + 1) * L * K);
      expect(maxAbs(part, one.recon) / MAX_8BIT).toBeLessThanOrEqual(PATH_TOL);
      expect(Math.abs(batch.lossSums[b] - one.lossSums[0])).toBeLessThanOrEqual(PATH_TOL * L);
    }
    model.dispose();
  });
});
