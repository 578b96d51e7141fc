import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  batchGather, chwToPatches, randomMasking, ConfigError, Mae, patchesToChw, patchify, planFromMask, planFromNoise, randomParams,
  reconstructImage, seededNoise, sincosPosEmbed, unpatchify, validateConfig,
} from '../../../src/model';
import { expectNoLeak, maxAbs, TINY, useBackend } from '../../helpers/tf';

/** float32 round-off allowed between two orderings of the same sums. */
const F32_TOL = 1e-5;

describe.each(['cpu', 'wasm'] as const)('model on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('batchGather picks each sample\'s own rows (wasm batchDims regression)', async () => {
    const [n, l, d, k] = [3, 8, 2, 5];
    const x = tf.tensor3d(Float32Array.from({ length: n * l * d }, (_, i) => i), [n, l, d]);
    const idsHost = Int32Array.from({ length: n * k }, (_, i) => (i * 7 + 3) % l);
    const ids = tf.tensor2d(idsHost, [n, k], 'int32');
    const out = await expectNoLeak(() => tf.tidy(() => batchGather(x, ids)));
    const got = await out.data();
    for (let b = 0; b < n; b++) for (let j = 0; j < k; j++) for (let c = 0; c < d; c++) {
      expect(got[(b * k + j) * d + c]).toBe((b * l + idsHost[b * k + j]) * d + c);
    }
    tf.dispose([x, ids, out]);
  });

  it('randomMasking keeps the smallest-noise tokens, or the unmasked ones of an explicit mask', async () => {
    const [n, l, e] = [2, 6, 3];
    const x = tf.tensor3d(Float32Array.from({ length: n * l * e }, (_, i) => i), [n, l, e]);
    const noise = Float32Array.from([0.9, 0.1, 0.5, 0.3, 0.7, 0.2, 0.4, 0.8, 0.6, 0.05, 0.95, 0.15]);
    const m = await expectNoLeak(() => randomMasking(x, noise, 0.5)); // len_keep = 3
    const kept = await m.xMasked.data();
    // Sample 0 keeps patches 1, 5, 3 (ascending noise); sample 1 keeps 3, 5, 0.
    const expectIds = [[1, 5, 3], [3, 5, 0]];
    expectIds.forEach((ids, b) => ids.forEach((id, j) => expect(kept[(b * 3 + j) * e]).toBe((b * l + id) * e)));
    expect(Array.from(await m.mask.data())).toEqual([1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0]);
    const explicit = randomMasking(x, { mask: [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0] });
    expect(explicit.xMasked.shape).toEqual([2, 2, e]);
    expect(() => randomMasking(x, noise)).toThrow(/needs a mask ratio/);
    tf.dispose([x, m.xMasked, m.mask, m.idsRestore, explicit.xMasked, explicit.mask, explicit.idsRestore]);
  });

  it('patchify orders (row, column, channel), unpatchify inverts it, and matches the host version', async () => {
    const S = 32, p = 8;
    const data = Float32Array.from({ length: 2 * 3 * S * S }, (_, i) => Math.sin(i));
    const imgs = tf.tensor4d(data, [2, 3, S, S]);
    const pt = await expectNoLeak(() => patchify(imgs, p));
    expect(pt.shape).toEqual([2, (S / p) ** 2, p * p * 3]);
    const v = await pt.data();
    // Patch (row 1, col 2) of image 1, pixel (3, 5), channel 2.
    const L = (S / p) ** 2, k = p * p * 3;
    expect(v[1 * L * k + (1 * (S / p) + 2) * k + (3 * p + 5) * 3 + 2]).toBe(data[1 * 3 * S * S + 2 * S * S + (1 * p + 3) * S + 2 * p + 5]);
    const back = await expectNoLeak(() => unpatchify(pt, p));
    expect(maxAbs(await back.data(), data)).toBe(0);
    expect(maxAbs(chwToPatches(data.subarray(0, 3 * S * S), S, p), v.subarray(0, L * k))).toBe(0);
    expect(maxAbs(patchesToChw(chwToPatches(data.subarray(0, 3 * S * S), S, p), S, p), data.subarray(0, 3 * S * S))).toBe(0);
    tf.dispose([imgs, pt, back]);
  });

  it('every public call leaves no tensor behind, and dispose frees the weights', async () => {
    const before = tf.memory().numTensors;
    const model = Mae.create(TINY, randomParams(TINY, 1));
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    const imgs = tf.randomNormal([2, 3, 224, 224], 0, 1, 'float32', 3) as tf.Tensor4D;
    const plan = planFromNoise(seededNoise(5, 2, 196), 2, 0.75);
    await expectNoLeak(() => {
      const enc = model.forwardEncoder(imgs, plan);
      expect(enc.latent.shape).toEqual([2, 1 + 49, 64]);
      const pred = model.forwardDecoder(enc.latent, enc.idsRestore);
      expect(pred.shape).toEqual([2, 196, 768]);
      const loss = model.forwardLoss(imgs, pred, enc.mask, 2 * 147);
      tf.dispose([enc.latent, enc.mask, enc.idsRestore, enc.xMasked, pred, loss!]);
    });
    await expectNoLeak(() => {
      const out = model.forward(imgs, plan);
      tf.dispose(Object.values(out).filter((t): t is tf.Tensor => t !== null));
    });
    const rgba = new Uint8ClampedArray(224 * 224 * 4).fill(200);
    await expectNoLeak(() => reconstructImage(model, rgba, { mask: { pattern: 'random', maskRatio: 0.75, seed: 0 } }));
    await expectNoLeak(() => model.predict(new Float32Array(2 * 196 * 768), plan).dispose());
    imgs.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the encoder sees only the visible tokens', async () => {
    const model = Mae.create(TINY, randomParams(TINY, 2));
    const imgs = tf.zeros([1, 3, 224, 224]) as tf.Tensor4D;
    for (const ratio of [0, 0.5, 0.9]) {
      const enc = model.forwardEncoder(imgs, planFromNoise(seededNoise(1, 1, 196), 1, ratio));
      expect(enc.latent.shape[1]).toBe(1 + Math.trunc(196 * (1 - ratio)));
      tf.dispose([enc.latent, enc.mask, enc.idsRestore, enc.xMasked]);
    }
    imgs.dispose();
    model.dispose();
  });

  it('with nothing masked the loss is undefined (null), never NaN, and reconstruct reports no error figures', async () => {
    const model = Mae.create(TINY, randomParams(TINY, 2));
    const r = await reconstructImage(model, new Uint8ClampedArray(224 * 224 * 4).fill(90), { mask: { pattern: 'painted', mask: new Uint8Array(196) } });
    expect(r.loss).toBeNull();
    expect(r.mse).toBeNull();
    expect(r.psnr).toBeNull();
    expect(r.maskedCount).toBe(0);
    const imgs = tf.zeros([1, 3, 224, 224]) as tf.Tensor4D;
    const plan = planFromMask(new Uint8Array(196), 1);
    const out = model.forward(imgs, plan);
    expect(out.loss).toBeNull();
    tf.dispose(Object.values(out).filter((t): t is tf.Tensor => t !== null));
    imgs.dispose();
    model.dispose();
  });

  it('pasted panel equals the original on visible patches', async () => {
    const model = Mae.create(TINY, randomParams(TINY, 4));
    const rgba = Uint8ClampedArray.from({ length: 224 * 224 * 4 }, (_, i) => (i * 37) % 256);
    const r = await reconstructImage(model, rgba, { mask: { pattern: 'grid', maskRatio: 0.75, seed: 1 } });
    for (let y = 0; y < 224; y += 5) for (let x = 0; x < 224; x += 3) {
      const patch = Math.floor(y / 16) * 14 + Math.floor(x / 16);
      const i = (y * 224 + x) * 4;
      if (!r.mask[patch]) expect([r.pasted[i], r.pasted[i + 1], r.pasted[i + 2]]).toEqual([rgba[i], rgba[i + 1], rgba[i + 2]]);
      else expect([r.pasted[i], r.pasted[i + 1], r.pasted[i + 2]]).toEqual([r.reconstruction[i], r.reconstruction[i + 1], r.reconstruction[i + 2]]);
    }
    expect(r.psnr).toBeCloseTo(10 * Math.log10(255 ** 2 / r.mse!), 6);
    model.dispose();
  });
});

describe('position embeddings', () => {
  // An independent transcription of the reference: meshgrid(w, h), emb_h from grid[0] (columns),
  // emb_w from grid[1] (rows), each [sin | cos] of pos * 1/10000^(i/(D/4)).
  function reference(dim: number, grid: number): number[][] {
    const rows: number[][] = [new Array(dim).fill(0)];
    const oneD = (d: number, pos: number) => {
      const omega = Array.from({ length: d / 2 }, (_, i) => 1 / 10000 ** (i / (d / 2)));
      return [...omega.map((o) => Math.sin(pos * o)), ...omega.map((o) => Math.cos(pos * o))];
    };
    for (let i = 0; i < grid; i++) for (let j = 0; j < grid; j++) rows.push([...oneD(dim / 2, j), ...oneD(dim / 2, i)]);
    return rows;
  }
  it('match the reference get_2d_sincos_pos_embed with a zero cls row', () => {
    const got = sincosPosEmbed(32, 5);
    expect(maxAbs(got, reference(32, 5).flat())).toBeLessThan(F32_TOL);
  });
  it('are computed only when a checkpoint has none', () => {
    const params = randomParams(TINY, 0);
    expect(params.has('pos_embed')).toBe(false);
    const model = Mae.create(TINY, params);
    expect(model.notes.join(' ')).toMatch(/pos_embed not in the checkpoint/);
    model.dispose();
  });
});

describe('config validation', () => {
  it('names the problem', () => {
    expect(() => validateConfig({ ...TINY, embedDim: 770, numHeads: 12 })).toThrow(new ConfigError('embed_dim 770 is not divisible by 12 heads'));
    expect(() => validateConfig({ ...TINY, imgSize: 225 })).toThrow(/img_size 225 is not divisible by patch_size 16/);
    expect(() => validateConfig({ ...TINY, decoderEmbedDim: 30 })).toThrow(/decoder_embed_dim 30 is not divisible by 4 heads/);
    expect(() => validateConfig({ ...TINY, depth: 0 })).toThrow(/depth must be a positive integer/);
  });
  it('refuses parameters of the wrong shape, naming expected and found', () => {
    const params = randomParams(TINY, 0);
    params.set('blocks.0.attn.qkv.weight', { shape: [64, 64], data: new Float32Array(64 * 64) });
    params.delete('norm.weight');
    expect(() => Mae.create(TINY, params)).toThrow(/missing 1 parameter\(s\): norm.weight.*blocks.0.attn.qkv.weight: expected \[192,64\], found \[64,64\]/);
  });
});
