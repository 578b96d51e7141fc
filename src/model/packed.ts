// On tfjs-backend-wasm every batch-1 untransposed product runs as an XNNPACK fully-connected
// operator, created the first time a weight tensor is the product's right operand and cached (per
// weight, bias and activation) until that tensor is disposed. Creating it packs the weight into
// the operator's own buffer, so every weight of the fast path is held twice in the wasm heap: the
// tensor and its packed copy. After the operator exists nothing reads the tensor's bytes again
// (the cache lookup only compares ids), so the tensor's heap block can be freed while the tensor
// object, its id and its cached operator live on: half the heap for big checkpoints (ViT-L 1.2 GB).
// This reaches into the backend's data map (tfjs-backend-wasm 4.22 `BackendWasm.dataIdMap`,
// `wasm._free`); on anything else it does nothing.
import * as tf from '@tensorflow/tfjs-core';

/** What this module needs of tfjs-backend-wasm's backend object. */
interface WasmInternals {
  wasm: { _free(ptr: number): void };
  dataIdMap: { get(dataId: object): { memoryOffset: number | null } | undefined };
}

/** Bytes of one float32 value. */
const FLOAT32_BYTES = 4;

/** Tensors whose bytes were released: they must never be read (their operators hold the values). */
const released = new WeakSet<tf.Tensor>();

function wasmInternals(): WasmInternals | null {
  if (tf.getBackend() !== 'wasm') return null;
  const b = tf.backend() as unknown as Partial<WasmInternals>;
  return typeof b.wasm?._free === 'function' && typeof b.dataIdMap?.get === 'function' ? (b as WasmInternals) : null;
}

/** Whether the active backend keeps packed copies that `releasePackedSources` can free the sources of. */
export function canReleasePackedSources(): boolean {
  return wasmInternals() !== null;
}

/**
 * Frees the heap bytes of weight tensors whose XNNPACK operators already exist (each must have been
 * the right operand of a batch-1 product, with the bias and activation every later call uses).
 * The tensors stay valid for those products and for dispose(); reading them is an error. Returns
 * the bytes freed (0 on a backend other than wasm).
 */
export function releasePackedSources(tensors: tf.Tensor[]): number {
  const be = wasmInternals();
  if (!be) return 0;
  let bytes = 0;
  for (const t of tensors) {
    const d = be.dataIdMap.get(t.dataId);
    if (!d || !d.memoryOffset || released.has(t)) continue;
    be.wasm._free(d.memoryOffset);
    // dispose() frees memoryOffset again: 0 makes that a no-op (free(NULL)).
    d.memoryOffset = 0;
    released.add(t);
    bytes += t.size * FLOAT32_BYTES;
  }
  return bytes;
}

/** Whether a tensor's bytes were released by releasePackedSources. */
export function isReleased(t: tf.Tensor): boolean {
  return released.has(t);
}
