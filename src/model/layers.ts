// Transformer layers on activations `[1, N*T, width]` (N samples of T tokens, rows in sample
// order), so every linear layer is one batch-1 untransposed product: tfjs-backend-wasm sends only
// those to XNNPACK (about 28 GFLOP/s on one thread); batched or transposed products take a
// scalar loop (about 2 GFLOP/s). Weights come arranged for this by weights.ts; kernels.ts says
// why the kernels are called directly.
import * as tf from '@tensorflow/tfjs-core';
import * as k from './kernels';
import { wasmKernels } from './wasmKernels';

/** A linear layer with the weight already transposed to `[in, out]`, as the batch-1 product kernels take it. */
export interface Linear {
  w: tf.Tensor3D; // [1, in, out]
  b: tf.Tensor1D; // [out]
}

/** LayerNorm affine parameters. */
export interface Norm {
  g: tf.Tensor1D; // [D]
  b: tf.Tensor1D; // [D]
}

/**
 * Attention as per-head 2-D products (wasm, cpu): q and v per head, the key for all heads at
 * once, transposed explicitly, so no product is batched or transposed.
 */
export interface HeadsAttention {
  layout: 'heads';
  q: Linear[]; // H x [1, D, hd], norm1 folded in, pre-scaled by hd^-0.5
  k: tf.Tensor3D; // [1, D, D], norm1's gain folded in; no bias: q . (k + c) shifts a score row by a constant, which softmax ignores
  v: Linear[]; // H x [1, D, hd], norm1 folded in
}

/** Attention as one fused qkv product and batched head products (WebGPU, WebGL: fewest dispatches). */
export interface BatchedAttention {
  layout: 'batched';
  qkv: Linear; // [1, D, 3D], columns q | k | v, norm1 folded in, q pre-scaled by hd^-0.5
}

/** How a model's attention weights are laid out; fixed when the weights are uploaded. */
export type AttentionLayout = (HeadsAttention | BatchedAttention)['layout'];

/**
 * Which attention layout is fastest where: batched products on WebGPU and WebGL (fewest
 * dispatches); one qkv product and the fused attention kernel on wasm where the project's wasm
 * kernels run (wasmKernels); else per-head 2-D products (wasm without them, cpu: XNNPACK takes only
 * untransposed batch-1 products).
 */
export function attentionLayoutFor(backend: string): AttentionLayout {
  if (backend === 'webgl' || backend === 'webgpu') return 'batched';
  return backend === 'wasm' && wasmKernels() ? 'batched' : 'heads';
}

/**
 * One pre-norm transformer block (timm `Block`) with both LayerNorms' gain and bias folded into
 * the products that follow them, and the MLP's hidden layer scaled by 1/sqrt 2 (see `block`).
 */
export interface BlockWeights {
  attn: HeadsAttention | BatchedAttention;
  proj: Linear; // [1, D, D]
  fc1: Linear; // [1, D, hidden], norm2 folded in, scaled by 1/sqrt 2
  fc2: Linear; // [1, hidden, D], weight scaled by 1/sqrt 2
}

/** How the rows of a `[1, N*T, D]` activation split into samples, and the LayerNorm epsilon. */
export interface Tokens {
  n: number; // samples
  t: number; // tokens per sample
  eps: tf.Scalar; // LayerNorm epsilon, a tensor so no call uploads it again
}

/** `x @ w + b` on `[1, rows, in]`. Call inside tidy. */
export function linear(x: tf.Tensor3D, l: Linear): tf.Tensor3D {
  return k.linear(x, l.w, l.b);
}

/** LayerNorm over the last axis without its affine part (biased variance, as torch). Call inside tidy. */
export function normalize<R extends tf.Tensor>(x: R, eps: tf.Scalar): R {
  const fused = wasmKernels()?.normalize(x, eps);
  if (fused) return fused;
  const mean = k.meanLast(x);
  const centred = k.sub(x, mean); // [..., D]
  drop(mean);
  const sq = k.square(centred);
  const variance = k.meanLast(sq);
  drop(sq);
  const ve = k.add(variance, eps);
  drop(variance);
  const r = k.rsqrt(ve);
  drop(ve);
  const out = k.mul(centred, r);
  drop(centred, r);
  return out;
}

/** LayerNorm over the last axis with its gain and bias. Call inside tidy. */
export function layerNorm<R extends tf.Tensor>(x: R, n: Norm, eps: tf.Scalar): R {
  return k.add(k.mul(normalize(x, eps), n.g), n.b);
}

/**
 * Frees intermediates as soon as they are used (the enclosing tidy would keep them to its end), so
 * each allocation reuses memory still in cache and a forward holds one block's activations at most.
 */
const drop = (...ts: tf.Tensor[]) => { for (const t of ts) t.dispose(); };

/** Rows `[from, from + count)` of a `[1, rows, cols]` activation. */
const rows = (x: tf.Tensor3D, from: number, count: number) => k.slice(x, [0, from, 0], [1, count, x.shape[2]]);

function attentionHeads(xn: tf.Tensor3D, a: HeadsAttention, { n, t }: Tokens): tf.Tensor3D {
  const hd = xn.shape[2] / a.q.length;
  const keys = k.matMul(xn, a.k);
  const kT = k.transpose<tf.Tensor3D>(keys, [0, 2, 1]); // [1, D, N*T]
  drop(keys);
  // Per sample: softmax(q kT) v, every product 2-D and untransposed; operands freed once used.
  const attend = (qb: tf.Tensor3D, kTb: tf.Tensor3D, vb: tf.Tensor3D) => {
    const scores = k.matMul(qb, kTb); // [1, T, T]
    drop(qb, kTb);
    const weights = k.softmaxLast(scores);
    drop(scores);
    const out = k.matMul(weights, vb); // [1, T, hd]
    drop(weights, vb);
    return out;
  };
  const heads = a.q.map((ql, h) => {
    const q = linear(xn, ql); // [1, N*T, hd], pre-scaled
    const v = linear(xn, a.v[h]); // [1, N*T, hd]
    const kTh = k.slice(kT, [0, h * hd, 0], [1, hd, n * t]); // [1, hd, N*T], contiguous rows
    if (n === 1) return attend(q, kTh, v); // [1, T, hd]
    const out = k.concat(Array.from({ length: n }, (_, b) =>
      attend(rows(q, b * t, t), k.slice(kTh, [0, 0, b * t], [1, hd, t]), rows(v, b * t, t))), 1); // [1, N*T, hd]
    drop(q, v, kTh);
    return out;
  });
  drop(kT);
  const merged = k.concat(heads, 2); // [1, N*T, D]
  if (heads.length > 1) drop(...heads);
  return merged;
}

/** The batched layout through the wasm attention kernel where it runs, else batched products. */
function attentionFused(xn: tf.Tensor3D, a: BatchedAttention, numHeads: number, tokens: Tokens): tf.Tensor3D {
  const kernels = wasmKernels();
  if (kernels) {
    const qkv = linear(xn, a.qkv); // [1, N*T, 3D]
    const out = kernels.attention(qkv, tokens.n, tokens.t, numHeads); // [1, N*T, D]
    drop(qkv);
    if (out) return out;
  }
  return attentionBatched(xn, a, numHeads, tokens);
}

function attentionBatched(xn: tf.Tensor3D, a: BatchedAttention, numHeads: number, { n, t }: Tokens): tf.Tensor3D {
  const d = xn.shape[2];
  const hd = d / numHeads;
  const qkv = k.transpose<tf.Tensor>(k.reshape(linear(xn, a.qkv), [n, t, 3, numHeads, hd]), [2, 0, 3, 1, 4]); // [3, N, H, T, hd]
  const part = (i: number) => k.reshape<tf.Tensor3D>(k.slice(qkv, [i, 0, 0, 0, 0], [1, n, numHeads, t, hd]), [n * numHeads, t, hd]);
  const out = k.matMul(k.softmaxLast(k.matMul(part(0), part(1), true)), part(2)); // [N*H, T, hd]
  return k.reshape(k.transpose(k.reshape(out, [n, numHeads, t, hd]), [0, 2, 1, 3]), [1, n * t, d]);
}

/** `u + u erf(u)` with tfjs kernels (see `block`). */
function geluU<R extends tf.Tensor>(u: R): R {
  const e = k.erf(u);
  const ue = k.mul(u, e);
  drop(e);
  const g = k.add(u, ue);
  drop(ue);
  return g;
}

/** timm multi-head self-attention on normalised `[1, N*T, D]`, projection included. Call inside tidy. */
export function attention(xn: tf.Tensor3D, w: BlockWeights, numHeads: number, tokens: Tokens): tf.Tensor3D {
  const merged = w.attn.layout === 'heads' ? attentionHeads(xn, w.attn, tokens) : attentionFused(xn, w.attn, numHeads, tokens);
  const out = linear(merged, w.proj); // [1, N*T, D]
  drop(merged);
  return out;
}

/**
 * Pre-norm block on `[1, N*T, D]`: `x + attn(norm1(x))`, then `x + mlp(norm2(x))` with exact GELU.
 * fc1 yields u = z / sqrt 2 for the pre-activation z, so gelu(z) = 0.5 z (1 + erf(z / sqrt 2))
 * = (u + u erf(u)) / sqrt 2, and that last 1/sqrt 2 sits in fc2's weight. Call inside tidy.
 */
export function block(x: tf.Tensor3D, w: BlockWeights, numHeads: number, tokens: Tokens): tf.Tensor3D {
  return tf.tidy(() => {
    const xn = normalize(x, tokens.eps);
    const att = attention(xn, w, numHeads, tokens);
    drop(xn);
    const a = k.add(x, att);
    drop(att);
    const an = normalize(a, tokens.eps);
    const u = linear(an, w.fc1); // [1, N*T, hidden]
    drop(an);
    const g = wasmKernels()?.geluU(u) ?? geluU(u);
    drop(u);
    const f = linear(g, w.fc2);
    drop(g);
    const out = k.add(a, f);
    drop(a, f);
    return out;
  });
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
