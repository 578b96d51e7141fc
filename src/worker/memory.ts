// What the active backend can hold, as far as it can be known before allocating: a checkpoint too
// big for it is refused before its first weight is read, and the running one keeps running.
import * as tf from '@tensorflow/tfjs-core';
import { formatBytes, MAX_WASM_HEAP_BYTES, type MemoryBudget } from '../checkpoints/limits';

/** The memory budget of the active backend; undefined where nothing is known (cpu, webgl). */
export function memoryBudget(): MemoryBudget | undefined {
  switch (tf.getBackend()) {
    case 'wasm': {
      // The running model stays in the heap until the new one is built.
      const used = tf.memory().numBytes;
      return {
        device: `the WebAssembly backend (a ${formatBytes(MAX_WASM_HEAP_BYTES)} heap, ${formatBytes(used)} of it in use)`,
        totalBytes: MAX_WASM_HEAP_BYTES - used,
      };
    }
    case 'webgpu': {
      const limits = (tf.backend() as unknown as { device?: { limits?: GPUSupportedLimits } }).device?.limits;
      if (!limits) return undefined;
      return { device: 'this GPU', maxTensorBytes: Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize) };
    }
    default:
      return undefined;
  }
}
