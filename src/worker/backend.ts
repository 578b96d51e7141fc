// Backend choice inside the worker: WebGPU, then WebGL, then WASM, then CPU, skipping software
// GPUs (SwiftShader, llvmpipe), on which WASM is 20-100x faster.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { BackendName } from '../protocol/messages';

/** Order tried when nothing is forced. */
export const BACKEND_ORDER: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];
const SOFTWARE_GPU = /swiftshader|llvmpipe|softpipe|software|basic render/i;

/** What a GPU backend found: `missing` when it cannot run at all, `software` when it would run on a software GPU. */
interface GpuProbe { missing: string | null; software: string | null }

async function probeGpu(name: 'webgpu' | 'webgl'): Promise<GpuProbe> {
  if (name === 'webgpu') {
    const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
    if (!gpu) return { missing: 'this browser has no WebGPU', software: null };
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { missing: 'no WebGPU adapter', software: null };
    const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
    const desc = info ? `${info.vendor} ${info.architecture} ${info.description}` : '';
    const software = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter || SOFTWARE_GPU.test(desc);
    return { missing: null, software: software ? `WebGPU adapter is a software fallback (${desc.trim() || 'fallback adapter'})` : null };
  }
  if (typeof OffscreenCanvas === 'undefined') return { missing: 'no OffscreenCanvas for WebGL', software: null };
  const gl = new OffscreenCanvas(1, 1).getContext('webgl2') as WebGL2RenderingContext | null;
  if (!gl) return { missing: 'WebGL2 is not available', software: null };
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return { missing: null, software: SOFTWARE_GPU.test(renderer) ? `WebGL renderer is software (${renderer})` : null };
}

const isGpu = (name: BackendName): name is 'webgpu' | 'webgl' => name === 'webgpu' || name === 'webgl';

/** Most WASM threads used (more stop paying off for these model sizes). */
const MAX_WASM_THREADS = 8;

// The WASM binaries are the bundled (hashed) ones in every path, set before anything can start the
// backend: tfjs-core initialises every registered backend by priority when the one asked for
// fails, and without these paths that fetched an unhashed file (the page's HTML, from a static host).
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
});
// Threads need cross-origin isolation (SharedArrayBuffer); one thread otherwise.
if (typeof self !== 'undefined' && self.crossOriginIsolated) {
  setThreadsCount(Math.max(1, Math.min(navigator.hardwareConcurrency || 1, MAX_WASM_THREADS)));
}

async function register(name: BackendName): Promise<void> {
  if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  if (name === 'webgl') await import('@tensorflow/tfjs-backend-webgl');
}

/** Starts one backend; null when it runs (a tiny op included), else why not. */
async function tryBackend(name: BackendName): Promise<string | null> {
  try {
    await register(name);
    // setBackend resolves false when the backend's factory throws (no adapter, no context).
    if (!(await tf.setBackend(name)) || tf.getBackend() !== name) return `${name} failed to start`;
    // A backend can start and still fail its first kernel (a lost or refused device).
    const probe = tf.add(tf.scalar(1), tf.scalar(1));
    try {
      await probe.data();
    } finally {
      probe.dispose();
    }
    return null;
  } catch (e) {
    return `${name} failed: ${(e as Error).message}`;
  }
}

/** How selectBackend treats a forced backend that cannot start. */
export interface SelectOptions {
  /** Backends never tried. */
  exclude?: BackendName[];
  /** Throw instead of falling back (parity runs, which must measure the backend asked for). */
  strict?: boolean;
}

/** Notes' prefix saying a forced backend could not start and another runs instead (the page shows it). */
export const FORCED_FALLBACK_NOTE = 'could not start';

/**
 * Starts `forced` if given, else the first of BACKEND_ORDER that works (software GPUs skipped).
 * A forced backend that cannot start falls back to that order (unless `strict`), with a note saying so.
 */
export async function selectBackend(forced?: BackendName, opts: SelectOptions = {}): Promise<{ backend: BackendName; notes: string[] }> {
  const notes: string[] = [];
  const exclude = opts.exclude ?? [];
  if (forced) {
    // A forced GPU backend may be software (the visitor asked for it), but not missing.
    const missing = isGpu(forced) ? (await probeGpu(forced)).missing : null;
    const failed = missing ?? await tryBackend(forced);
    if (!failed) return { backend: forced, notes };
    if (opts.strict) throw new Error(`the ${forced} backend could not start (${failed})`);
    notes.push(`${forced} was asked for but ${FORCED_FALLBACK_NOTE} (${failed})`);
  }
  for (const name of BACKEND_ORDER.filter((b) => b !== forced && !exclude.includes(b))) {
    if (isGpu(name)) {
      const { missing, software } = await probeGpu(name);
      const skip = missing ?? software;
      if (skip) {
        notes.push(`${name} skipped: ${skip}`);
        continue;
      }
    }
    const failed = await tryBackend(name);
    if (!failed) return { backend: name, notes };
    notes.push(failed);
  }
  throw new Error(`no TF.js backend could start (${notes.join('; ')})`);
}

/** Resolves when the WebGPU device is lost (never on other backends). */
export function deviceLost(): Promise<string> {
  return new Promise((resolve) => {
    if (tf.getBackend() !== 'webgpu') return;
    const backend = tf.backend() as unknown as { device?: GPUDevice };
    backend.device?.lost.then((info) => resolve(info.message || info.reason || 'device lost'));
  });
}
