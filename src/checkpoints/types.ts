import type { MaeConfig } from '../model/config';
import type { LoadErrorCode } from '../protocol/messages';

/** Element types a checkpoint tensor may be stored in. */
export type StoredDType = 'float32' | 'float16' | 'bfloat16';

/** One tensor as read from a file: its bytes stay a view into the file until converted. */
export interface StoredTensor {
  dtype: StoredDType;
  shape: number[];
  /** Little-endian raw bytes, exactly prod(shape) * itemsize long. */
  bytes: Uint8Array;
}

/** A host-side float32 parameter, in the reference (PyTorch) layout. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/**
 * The model's parameters keyed by the reference `models_mae.py` state-dict names
 * (`cls_token`, `pos_embed`, `patch_embed.proj.weight` [E,3,p,p], `blocks.0.attn.qkv.weight` [3E,E], ...).
 * Linear weights are `[out, in]` as in PyTorch.
 */
export type MaeParams = Map<string, HostTensor>;

/** A checkpoint ready for the model: architecture, parameters and what was assumed to get them. */
export interface LoadedCheckpoint {
  config: MaeConfig;
  params: MaeParams;
  /** Human-readable notes, e.g. "num_heads not in the checkpoint: assumed 12 (ViT-Base)". */
  notes: string[];
  /** Which file layout the names came from. */
  layout: 'pth' | 'hf';
}

/**
 * Thrown for a checkpoint that cannot be used; the message says what is wrong in user terms, `code`
 * what kind of failure it is (for the page), `status` the HTTP status behind code 'server'.
 */
export class CheckpointError extends Error {
  constructor(message: string, readonly code: LoadErrorCode = 'other', readonly status?: number) {
    super(message);
    this.name = 'CheckpointError';
  }
}
