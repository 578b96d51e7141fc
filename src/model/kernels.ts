// The model's hot path calls kernels straight through the engine. At these sizes the op wrappers
// cost as much as the kernels: each op opens and closes its own scope, checks and converts its
// arguments, and tf.fused.matMul adds a gradient wrapper and three reshapes (measured on wasm in
// Node: tf.fused.matMul 60-90 us a call against 12-25 us for its kernel; tf.add about 20 us
// against 12 us). Inputs must already be float32 tensors of the rank each kernel expects (the
// products take rank 3, `[1, rows, cols]` for a 2-D product); every result belongs to the
// enclosing tidy.
import * as tf from '@tensorflow/tfjs-core';

type T = tf.Tensor;
const run = <R extends T>(kernel: string, inputs: tf.NamedTensorMap | T[], attrs: tf.NamedAttrMap = {}) =>
  tf.engine().runKernel(kernel, inputs as tf.NamedTensorMap, attrs) as R;

/** Elementwise `a + b` (broadcasting). */
export const add = <R extends T>(a: R, b: T): R => run(tf.Add, { a, b });
/** Elementwise `a - b` (broadcasting). */
export const sub = <R extends T>(a: R, b: T): R => run(tf.Sub, { a, b });
/** Elementwise `a * b` (broadcasting). */
export const mul = <R extends T>(a: R, b: T): R => run(tf.Multiply, { a, b });
/** Elementwise square. */
export const square = <R extends T>(x: R): R => run(tf.Square, { x });
/** Elementwise `1 / sqrt(x)`. */
export const rsqrt = <R extends T>(x: R): R => run(tf.Rsqrt, { x });
/** Elementwise erf. */
export const erf = <R extends T>(x: R): R => run(tf.Erf, { x });
/** Mean over the last axis, kept as size 1. */
export const meanLast = <R extends T>(x: R): R => run(tf.Mean, { x }, { axis: [x.rank - 1], keepDims: true });
/** Softmax over the last axis. */
export const softmaxLast = <R extends T>(x: R): R => run(tf.Softmax, { logits: x }, { dim: x.rank - 1 });
/** Batched product `[B, m, k] @ [B, k, n]` (b transposed: `[B, n, k]`); batch 1 untransposed is XNNPACK's on wasm. */
export const matMul = (a: tf.Tensor3D, b: tf.Tensor3D, transposeB = false): tf.Tensor3D =>
  run(tf.BatchMatMul, { a, b }, { transposeA: false, transposeB });
/** `[1, rows, in] @ [1, in, out] + bias[out]` in one kernel (XNNPACK's fully connected on wasm). */
export const linear = (x: tf.Tensor3D, w: tf.Tensor3D, bias: tf.Tensor1D): tf.Tensor3D =>
  run(tf._FusedMatMul, { a: x, b: w, bias }, { transposeA: false, transposeB: false, activation: 'linear', leakyreluAlpha: 0 });
/** A box of x: `size[i]` elements from `begin[i]` on each axis. */
export const slice = <R extends T>(x: R, begin: number[], size: number[]): R => run(tf.Slice, { x }, { begin, size });
/** Tensors joined along an axis. */
export const concat = <R extends T>(xs: R[], axis: number): R => (xs.length === 1 ? xs[0] : run(tf.Concat, xs, { axis }));
/** Axes permuted. */
export const transpose = <R extends T>(x: T, perm: number[]): R => run(tf.Transpose, { x }, { perm });
/** The same values in another shape (no copy on any backend). */
export const reshape = <R extends T>(x: T, shape: number[]): R => run(tf.Reshape, { x }, { shape });
