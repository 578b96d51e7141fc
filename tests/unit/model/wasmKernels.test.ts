// The fast path's own wasm kernels (src/model/wasmKernels.ts, wasm-kernels/kernels.c) against
// plain tfjs ops on the same backend: fused attention (any number of samples and tokens, odd ones
// included), LayerNorm without its affine part, and u + u erf(u); and the whole model with the
// kernels against the model without them. They must free what they allocate, and step aside
// (null) where a width does not suit them.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mae, planFromNoise, randomParams, seededNoise, type MaeConfig } from '../../../src/model';
import { useWasmKernels, wasmKernels } from '../../../src/model/wasmKernels';
import { expectNoLeak, maxAbs, TINY, useBackend } from '../../helpers/tf';

/** Kernel vs tfjs ops on one layer, float32 sums in another order (and exp, erf approximations): absolute. */
const KERNEL_VS_OPS_TOL = 2e-5;
/** Whole model with vs without the kernels (pred, ImageNet-normalised pixels): absolute. */
const MODEL_KERNELS_TOL = 1e-4;

const rand = (shape: number[], seed: number, scale = 1) =>
  tf.tensor(Float32Array.from(seededNoise(seed, 1, shape.reduce((a, b) => a * b)), (v) => (v - 0.5) * 2 * scale), shape);

/** Reference attention with tfjs ops: qkv `[1, N*T, 3D]` -> `[1, N*T, D]`. */
function opsAttention(qkv: tf.Tensor3D, n: number, t: number, heads: number): tf.Tensor3D {
  return tf.tidy(() => {
    const d = qkv.shape[2] / 3;
    const hd = d / heads;
    const parts = tf.transpose(tf.reshape(qkv, [n, t, 3, heads, hd]), [2, 0, 3, 1, 4]); // [3, N, H, T, hd]
    const [q, k, v] = tf.unstack(parts) as tf.Tensor4D[];
    const w = tf.softmax(tf.matMul(q, k, false, true)); // [N, H, T, T]
    return tf.reshape(tf.transpose(tf.matMul(w, v), [0, 2, 1, 3]), [1, n * t, d]);
  });
}

describe('wasm kernels', () => {
  beforeAll(async () => {
    await useBackend('wasm');
    useWasmKernels(true);
  });
  afterAll(() => useWasmKernels(true));

  it('instantiate on the wasm backend, in its memory', () => {
    expect(wasmKernels()).not.toBeNull();
  });

  it('attention equals softmax(q k^T) v per sample and head, for odd and even token counts and head widths', async () => {
    const k = wasmKernels()!;
    for (const [n, t, d, heads] of [[1, 50, 192, 3], [1, 197, 128, 4], [2, 7, 24, 2], [3, 17, 48, 4], [1, 1, 16, 4], [1, 33, 36, 3]]) {
      const qkv = rand([1, n * t, 3 * d], n * 1000 + t, 2) as tf.Tensor3D;
      const want = opsAttention(qkv, n, t, heads);
      const got = await expectNoLeak(() => k.attention(qkv, n, t, heads)!);
      expect(got.shape).toEqual([1, n * t, d]);
      expect(maxAbs(await got.data(), await want.data()), `n ${n} t ${t} d ${d} heads ${heads}`).toBeLessThanOrEqual(KERNEL_VS_OPS_TOL);
      tf.dispose([qkv, want, got]);
    }
  });

  it('attention stays finite and exact when scores are large (softmax subtracts the row maximum)', async () => {
    const qkv = rand([1, 20, 3 * 16], 7, 40) as tf.Tensor3D;
    const got = wasmKernels()!.attention(qkv, 1, 20, 2)!;
    const want = opsAttention(qkv, 1, 20, 2);
    const g = await got.data();
    expect(g.every(Number.isFinite)).toBe(true);
    expect(maxAbs(g, await want.data())).toBeLessThanOrEqual(KERNEL_VS_OPS_TOL * 40);
    tf.dispose([qkv, got, want]);
  });

  it('LayerNorm and the MLP activation equal their tfjs forms', async () => {
    const k = wasmKernels()!;
    const eps = tf.scalar(1e-6);
    const x = tf.add(rand([1, 13, 64], 3, 3), 5) as tf.Tensor3D; // a large mean, as residual streams have
    const ln = await expectNoLeak(() => k.normalize(x, eps)!);
    const m = tf.moments(x, -1, true);
    const want = tf.div(tf.sub(x, m.mean), tf.sqrt(tf.add(m.variance, eps)));
    expect(maxAbs(await ln.data(), await want.data())).toBeLessThanOrEqual(KERNEL_VS_OPS_TOL);
    const u = rand([1, 9, 40], 4, 6) as tf.Tensor3D;
    const g = await expectNoLeak(() => k.geluU(u)!);
    const gWant = tf.add(u, tf.mul(u, tf.erf(u)));
    expect(maxAbs(await g.data(), await gWant.data())).toBeLessThanOrEqual(KERNEL_VS_OPS_TOL);
    tf.dispose([eps, x, ln, m.mean, m.variance, want, u, g, gWant]);
  });

  it('step aside where a width is not a multiple of 4', () => {
    const k = wasmKernels()!;
    tf.tidy(() => {
      expect(k.normalize(tf.zeros([1, 3, 6]), tf.scalar(1e-6))).toBeNull();
      expect(k.geluU(tf.zeros([1, 1, 5]))).toBeNull();
      expect(k.attention(tf.zeros([1, 4, 3 * 6]) as tf.Tensor3D, 1, 4, 3)).toBeNull(); // head width 2
    });
  });

  it('give the whole model the same predictions as tfjs kernels, leaking nothing', async () => {
    const config: MaeConfig = { ...TINY, embedDim: 48, numHeads: 3, decoderEmbedDim: 40, decoderNumHeads: 2 };
    useWasmKernels(false);
    const plain = Mae.create(config, randomParams(config, 5));
    useWasmKernels(true);
    const fast = Mae.create(config, randomParams(config, 5));
    expect(plain.attentionLayout).toBe('heads');
    expect(fast.attentionLayout).toBe('batched');
    const L = plain.numPatches;
    const patches = Float32Array.from(seededNoise(11, 1, 2 * L * plain.patchValues), (v) => (v - 0.5) * 4);
    for (const ratio of [0, 0.75]) {
      const plan = planFromNoise(seededNoise(12, 2, L), 2, ratio);
      useWasmKernels(false);
      const a = plain.predict(patches, plan);
      useWasmKernels(true);
      const b = await expectNoLeak(() => fast.predict(patches, plan));
      expect(maxAbs(await a.data(), await b.data()), `ratio ${ratio}`).toBeLessThanOrEqual(MODEL_KERNELS_TOL);
      tf.dispose([a, b]);
    }
    plain.dispose();
    fast.dispose();
  });
});
