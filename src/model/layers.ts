import * as tf from '@tensorflow/tfjs-core';

/** A linear layer with the weight already transposed to `[in, out]`. */
export interface Linear {
  w: tf.Tensor2D; // [in, out]
  b: tf.Tensor1D; // [out]
}

/** LayerNorm affine parameters. */
export interface Norm {
  g: tf.Tensor1D; // [D]
  b: tf.Tensor1D; // [D]
}

/** One pre-norm transformer block (timm `Block`). */
export interface BlockWeights {
  norm1: Norm;
  qkv: Linear; // [D, 3D], output columns q | k | v
  proj: Linear; // [D, D]
  norm2: Norm;
  fc1: Linear; // [D, hidden]
  fc2: Linear; // [hidden, D]
}

/** `x @ w + b` over the last axis: `[..., in]` -> `[..., out]`. Call inside tidy. */
export function linear(x: tf.Tensor, l: Linear): tf.Tensor {
  const inDim = l.w.shape[0];
  const outDim = l.w.shape[1];
  const lead = x.shape.slice(0, -1);
  const flat = tf.reshape(x, [-1, inDim]); // [rows, in]
  const y = tf.add(tf.matMul(flat, l.w), l.b); // [rows, out]
  return tf.reshape(y, [...lead, outDim]);
}

/** LayerNorm over the last axis with biased variance, as torch. Call inside tidy. */
export function layerNorm(x: tf.Tensor, n: Norm, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(normed, n.g), n.b);
}

/** Exact GELU, `0.5 x (1 + erf(x / sqrt 2))` (torch `nn.GELU()` default). Call inside tidy. */
export function geluExact(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

/** timm multi-head self-attention on `[N, T, D]` with fused qkv. Call inside tidy. */
export function attention(x: tf.Tensor3D, w: BlockWeights, numHeads: number): tf.Tensor3D {
  const [n, t, d] = x.shape;
  const hd = d / numHeads;
  const qkv = linear(x, w.qkv); // [N, T, 3D]
  const [q, k, v] = tf.split(qkv, 3, 2).map(
    (part) => tf.transpose(tf.reshape(part, [n, t, numHeads, hd]), [0, 2, 1, 3]), // [N, H, T, hd]
  );
  const scale = hd ** -0.5;
  const scores = tf.mul(tf.matMul(q, k, false, true), scale); // [N, H, T, T]
  const attn = tf.softmax(scores, -1);
  const out = tf.matMul(attn, v); // [N, H, T, hd]
  const merged = tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [n, t, d]); // [N, T, D]
  return linear(merged, w.proj) as tf.Tensor3D;
}

/** Pre-norm block: `x + attn(norm1(x))`, then `x + mlp(norm2(x))`. Call inside tidy. */
export function block(x: tf.Tensor3D, w: BlockWeights, numHeads: number, eps: number): tf.Tensor3D {
  const a = tf.add(x, attention(layerNorm(x, w.norm1, eps) as tf.Tensor3D, w, numHeads)) as tf.Tensor3D;
  const h = geluExact(linear(layerNorm(a, w.norm2, eps), w.fc1));
  return tf.add(a, linear(h, w.fc2)) as tf.Tensor3D;
}

/**
 * Per-sample gather along axis 1: x `[N, L, D]`, ids `[N, K]` int32 -> `[N, K, D]`.
 * Written as one flat axis-0 gather because tfjs-backend-wasm 4.22's gather with batchDims=1
 * returns wrong rows for N > 1 (tests/unit/model/gather.test.ts). Call inside tidy.
 */
export function batchGather(x: tf.Tensor3D, ids: tf.Tensor2D): tf.Tensor3D {
  const [n, l, d] = x.shape;
  const k = ids.shape[1];
  const offsets = tf.reshape(tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(l, 'int32')), [n, 1]); // [N, 1]
  const flatIds = tf.reshape(tf.add(ids, offsets), [n * k]); // [N*K]
  return tf.reshape(tf.gather(tf.reshape(x, [n * l, d]), flatIds, 0), [n, k, d]);
}
