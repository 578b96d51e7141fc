import type { MaeConfig } from '../model/config';
import type { HostParams } from '../model/weights';

/** Element types a checkpoint tensor may be stored in. */
export type StoredDType = 'float32' | 'float16' | 'bfloat16';

/** One tensor's bytes in hand. */
export interface StoredTensor {
  dtype: StoredDType;
  shape: number[];
  /** Little-endian raw bytes, exactly prod(shape) * itemsize long. */
  bytes: Uint8Array;
}

/** One tensor of a file, not yet read: its bytes come from their own slice of the file when asked. */
export interface TensorEntry {
  dtype: StoredDType;
  shape: number[];
  /** Little-endian raw bytes, prod(shape) * itemsize long, read fresh on each call (the caller owns them). */
  read(): Promise<Uint8Array>;
}

/** A checkpoint ready for the model: architecture, parameters and what was assumed to get them. */
export interface LoadedCheckpoint {
  config: MaeConfig;
  /** Reference state-dict names -> float32 host tensors, linear weights `[out, in]` as in PyTorch. */
  params: HostParams;
  /** Human-readable notes, e.g. "num_heads not in the checkpoint: assumed 12 (ViT-Base)". */
  notes: string[];
  /** Which file layout the names came from. */
  layout: 'pth' | 'hf';
}
