// The fast path's own kernels on tfjs-backend-wasm (wasm-kernels/kernels.c, built by
// tools/build-kernels.sh): fused attention, LayerNorm and the MLP's GELU, run in the backend's
// memory on tensors it allocated, each one call instead of many tfjs kernels. Used only where they
// instantiate (the wasm backend, SIMD) and the shapes suit them (widths a multiple of 4); the
// layers fall back to tfjs kernels otherwise, and useWasmKernels(false) turns them off (tests
// compare both paths; the benchmark measures both).
import * as tf from '@tensorflow/tfjs-core';
import { PLAIN_WASM, SHARED_WASM } from './wasm-kernels/binaries';

/** SIMD lanes of a 128-bit vector of float32: the kernels' widths must be multiples of it. */
const LANES = 4;

/** What the kernels need of tfjs-backend-wasm (its Emscripten module and tensor table). */
interface WasmBackendLike {
  wasm: { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory }; _malloc(bytes: number): number; _free(ptr: number): void };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

interface Exports {
  layer_norm(x: number, out: number, rows: number, d: number, eps: number): void;
  gelu_u(x: number, out: number, n: number): void;
  attention(qkv: number, out: number, scratch: number, n: number, t: number, d: number, heads: number): void;
}

/** The kernels, bound to one wasm backend. Results belong to the enclosing tidy. */
export interface WasmKernels {
  /** LayerNorm over the last axis without its affine part; null when the width does not suit. */
  normalize<R extends tf.Tensor>(x: R, eps: tf.Scalar): R | null;
  /** `u + u erf(u)` elementwise; null when the size does not suit. */
  geluU<R extends tf.Tensor>(u: R): R | null;
  /**
   * Self-attention of `[1, N*T, 3D]` (q | k | v per row, q pre-scaled) -> `[1, N*T, D]`, heads side
   * by side; null when the head width does not suit.
   */
  attention(qkv: tf.Tensor3D, n: number, t: number, heads: number): tf.Tensor3D | null;
}

let enabled = true;
let bound: { backend: tf.KernelBackend; kernels: WasmKernels | null } | null = null;

/** Turns the kernels on or off (on by default); off, the layers use tfjs kernels only. */
export function useWasmKernels(on: boolean): void {
  enabled = on;
}

const decode = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

function instantiate(backend: WasmBackendLike): WasmKernels | null {
  const memory = backend.wasm?.wasmMemory ?? backend.wasm?.asm?.memory;
  if (!memory || typeof WebAssembly === 'undefined') return null;
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const module = new WebAssembly.Module(decode(shared ? SHARED_WASM : PLAIN_WASM));
  const fn = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Exports;
  const ptr = (t: tf.TensorInfo) => {
    const d = backend.dataIdMap.get(t.dataId);
    if (!d) throw new Error('a tensor is not on the wasm backend');
    return d.memoryOffset;
  };
  const wrap = <R extends tf.Tensor>(info: tf.TensorInfo) => tf.engine().makeTensorFromTensorInfo(info) as R;
  const epsValues = new WeakMap<tf.Scalar, number>();
  const epsOf = (eps: tf.Scalar) => {
    let v = epsValues.get(eps);
    if (v === undefined) epsValues.set(eps, (v = (eps.dataSync() as Float32Array)[0]));
    return v;
  };
  return {
    normalize<R extends tf.Tensor>(x: R, eps: tf.Scalar) {
      const d = x.shape[x.rank - 1];
      if (d % LANES !== 0 || x.dtype !== 'float32') return null;
      const out = backend.makeOutput(x.shape, 'float32');
      fn.layer_norm(ptr(x), ptr(out), x.size / d, d, epsOf(eps));
      return wrap<R>(out);
    },
    geluU<R extends tf.Tensor>(u: R) {
      if (u.size % LANES !== 0 || u.dtype !== 'float32') return null;
      const out = backend.makeOutput(u.shape, 'float32');
      fn.gelu_u(ptr(u), ptr(out), u.size);
      return wrap<R>(out);
    },
    attention(qkv, n, t, heads) {
      const d = qkv.shape[2] / 3;
      const hd = d / heads;
      if (!Number.isInteger(hd) || hd % LANES !== 0 || qkv.shape[1] !== n * t) return null;
      const t4 = Math.ceil(t / LANES) * LANES;
      const scratch = backend.wasm._malloc(((hd + LANES) * t4 + t4) * Float32Array.BYTES_PER_ELEMENT);
      if (!scratch) throw new Error('out of wasm memory for attention scratch');
      const out = backend.makeOutput([1, n * t, d], 'float32');
      try {
        fn.attention(ptr(qkv), ptr(out), scratch, n, t, d, heads);
      } finally {
        backend.wasm._free(scratch);
      }
      return wrap<tf.Tensor3D>(out);
    },
  };
}

/** The kernels for the active backend, or null (not wasm, turned off, or they did not instantiate). */
export function wasmKernels(): WasmKernels | null {
  if (!enabled || tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend();
  if (bound?.backend !== backend) {
    let kernels: WasmKernels | null = null;
    try {
      kernels = instantiate(backend as unknown as WasmBackendLike);
    } catch {
      kernels = null; // an engine without SIMD, or a backend of another shape: tfjs kernels do the work
    }
    bound = { backend, kernels };
  }
  return bound.kernels;
}
