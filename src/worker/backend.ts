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

/** Why a GPU backend was skipped, or null when it looks like real hardware. */
async function gpuSkipReason(name: 'webgpu' | 'webgl'): Promise<string | null> {
  if (name === 'webgpu') {
    const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
    if (!gpu) return 'WebGPU is not available';
    const adapter = await gpu.requestAdapter();
    if (!adapter) return 'no WebGPU adapter';
    const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
    const desc = info ? `${info.vendor} ${info.architecture} ${info.description}` : '';
    if ((adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter || SOFTWARE_GPU.test(desc)) {
      return `WebGPU adapter is a software fallback (${desc.trim() || 'fallback adapter'})`;
    }
    return null;
  }
  if (typeof OffscreenCanvas === 'undefined') return 'no OffscreenCanvas for WebGL';
  const gl = new OffscreenCanvas(1, 1).getContext('webgl2') as WebGL2RenderingContext | null;
  if (!gl) return 'WebGL2 is not available';
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return SOFTWARE_GPU.test(renderer) ? `WebGL renderer is software (${renderer})` : null;
}

async function register(name: BackendName): Promise<void> {
  if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  if (name === 'webgl') await import('@tensorflow/tfjs-backend-webgl');
  if (name === 'wasm') {
    // Served by Vite from the package, so the app works offline.
    setWasmPaths({
      'tfjs-backend-wasm.wasm': wasmPlain,
      'tfjs-backend-wasm-simd.wasm': wasmSimd,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
    });
    // Threads need cross-origin isolation (SharedArrayBuffer); one thread otherwise.
    if (self.crossOriginIsolated) setThreadsCount(Math.max(1, Math.min(navigator.hardwareConcurrency || 1, 8)));
  }
}

/** Tries backends in order (or only `forced`); checks setBackend's result and getBackend afterwards. */
export async function selectBackend(forced?: BackendName, exclude: BackendName[] = []): Promise<{ backend: BackendName; notes: string[] }> {
  const notes: string[] = [];
  const order = forced ? [forced] : BACKEND_ORDER.filter((b) => !exclude.includes(b));
  for (const name of order) {
    try {
      if (!forced && (name === 'webgpu' || name === 'webgl')) {
        const skip = await gpuSkipReason(name);
        if (skip) {
          notes.push(`${name} skipped: ${skip}`);
          continue;
        }
      }
      await register(name);
      const ok = await tf.setBackend(name);
      await tf.ready();
      if (ok && tf.getBackend() === name) return { backend: name, notes };
      notes.push(`${name} failed to start`);
    } catch (e) {
      notes.push(`${name} failed: ${(e as Error).message}`);
    }
  }
  if (forced) throw new Error(`the ${forced} backend could not start (${notes.join('; ')})`);
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
