// Messages between the UI thread and the model worker. No DOM, no tf: plain data only.
// One union per direction; every request carries an id, every response echoes it.
import type { LoadErrorCode } from '../shared/errors';

/** TF.js backends the worker can run on, best first. */
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

import type { MaskPattern } from '../shared/masking';

/** How patches are chosen for masking (decided on the UI side; the worker only receives masks). */
export type { MaskPattern };

import type { FitMode } from '../shared/inputSize';

/** How an image is fitted to the model's input: a square (crop, squash) or the photo's own aspect (whole). */
export type ResizeMode = FitMode;

/** For norm_pix_loss checkpoints: where the masked patches' mean/std come from. */
export type NormPixStats = 'visible' | 'true';

/** Architecture summary the UI shows (mirrors the model config, in plain data). */
export interface ModelInfo {
  imgSize: number;
  patchSize: number;
  embedDim: number;
  depth: number;
  numHeads: number;
  decoderEmbedDim: number;
  decoderDepth: number;
  decoderNumHeads: number;
  normPixLoss: boolean;
  /** Number of parameters. */
  parameters: number;
}

/** Where a checkpoint comes from. */
export type CheckpointSource =
  | { kind: 'url'; /** folder URL holding config.json + model.safetensors */ baseUrl: string; label: string }
  /** Files from the visitor's disk, as Blobs: posting one copies no bytes, the worker reads slices. */
  | {
      kind: 'files'; files: { name: string; blob: Blob }[]; label: string;
      /** Set when the files are a fine-tuned checkpoint kept in this browser (its id there), so a link can name it. */
      savedId?: string;
    }
  | { kind: 'hub'; repo: string; revision: string; endpoint: string; label: string }
  | { kind: 'random'; label: string; /** architecture of the random model; a tiny one when absent */ arch?: Partial<ModelInfo> };

/**
 * RGBA pixels at the model's input, row-major, 4 bytes a pixel: the checkpoint's size, or any other
 * whole number of patches each way (the worker runs the checkpoint on that grid).
 */
export interface Rgba {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** Requests from the UI to the worker. */
export type WorkerRequest =
  | { type: 'init'; id: number; backend?: BackendName }
  | { type: 'loadCheckpoint'; id: number; source: CheckpointSource }
  /** The pixels of one image, fitted to the model's input size; sent once per image (transferred), not per request. */
  | { type: 'setImage'; id: number; imageKey: string; image: Rgba }
  | { type: 'forgetImage'; id: number; imageKey: string }
  | {
      type: 'reconstruct';
      id: number;
      /** An image sent earlier with setImage. */
      imageKey: string;
      /** 1 = masked, one entry per patch in patch order (decided by the UI). */
      mask: Uint8Array;
      normPixStats: NormPixStats;
      /**
       * A guess at a mask the visitor may ask for next (the slider's neighbouring ratios): run only
       * when no other reconstruction or inspection waits.
       */
      lookahead?: boolean;
    }
  | { type: 'cancel'; id: number; /** the request to cancel */ target: number }
  /**
   * Fine-tunes the loaded checkpoint on images sent earlier with setImage; training steps run in the
   * job queue between reconstructions. Answered by trainStarted, trainProgress, trainViews, then trainDone.
   */
  | { type: 'trainStart'; id: number; options: TrainOptions; imageKeys: string[]; /** shown, never trained on */ holdoutKey: string | null }
  | { type: 'trainControl'; id: number; /** the trainStart request */ target: number; action: TrainAction }
  /** The weights of the newest training run, in Hugging Face layout (answered by trainSaved). */
  | { type: 'trainSave'; id: number }
  /**
   * What the model computes for an image under a mask, for the page's views (attention, features).
   * Sent only while a view is open; the worker builds its inspecting model on the first one.
   */
  | { type: 'inspect'; id: number; imageKey: string; /** 1 = masked, patch order */ mask: Uint8Array; capture: InspectCapture }
  /** Every view is closed: the worker frees its inspecting model and what it kept of the last inspection. */
  | { type: 'closeInspect'; id: number };

/** What the visitor sets for a training run (the rest of the recipe is the worker's defaults). */
export interface TrainOptions {
  batchSize: number;
  steps: number;
  /** Seeds the crops, flips and masks of the run. */
  seed: number;
}

export type TrainAction = 'pause' | 'resume' | 'stop';

/** Why a training run ended: all steps done, the visitor stopped it, the device ran out of memory, another failure. */
export type TrainEndReason = 'finished' | 'stopped' | 'out-of-memory' | 'failed';

/** One image reconstructed under the run's fixed mask, to compare before and after training. */
export interface TrainView {
  imageKey: string;
  /** The reconstruction with the visible patches pasted back. */
  pasted: Rgba;
  /** Masked-patch MSE and PSNR, 0-255 space. */
  mse: number | null;
  psnr: number | null;
  /** The model's loss on it under the fixed mask (the training loss's definition, one fixed picture and mask). */
  loss: number | null;
}


/** Which attention a view shows: the encoder's (cls and visible patches) or the decoder's (cls and every patch). */
export type AttentionStack = 'encoder' | 'decoder';

/** What an inspect request asks for. */
export interface InspectCapture {
  /** Every layer's attention of one stack, for one head (0-based) or the mean over heads; null: none. */
  attention: { stack: AttentionStack; head: number | 'mean' } | null;
  /** The encoder's patch features under the mask, and of the whole picture at 0 % masking. */
  features: boolean;
}

/** Attention maps of every layer of one stack, for one head or the mean. */
export interface AttentionMaps {
  stack: AttentionStack;
  head: number | 'mean';
  layers: number;
  /** Heads the model's stack has (the maps are of one head, or their mean). */
  heads: number;
  /** Tokens: 1 + visible patches (encoder, in `idsKeep` order) or 1 + every patch (decoder, patch order); token 0 = cls. */
  tokens: number;
  /** `[layers, tokens, tokens]` softmax weights, rows = queries. */
  data: Float32Array;
}

/** Encoder outputs (after its final norm) for the features view. */
export interface PatchFeatures {
  /** Feature width E. */
  dim: number;
  /** `[1+keep, E]` under the request's mask: cls, then the visible patches in `idsKeep` order. */
  latent: Float32Array;
  /** `[1+L, E]` of the whole picture (nothing masked): cls, then every patch in patch order. */
  latentAll: Float32Array;
}

/** Timings of one reconstruction, in milliseconds. */
export interface Timings {
  totalMs: number;
  modelMs: number;
}

/** Error figures over the masked patches, in 0-255 pixel space. */
export interface Metrics {
  /** Mean squared error over masked-patch pixels (0-255 space), null when nothing is masked. */
  mse: number | null;
  /** PSNR in dB against a 255 peak, null when nothing is masked. */
  psnr: number | null;
  maskedCount: number;
  /** Model loss as the reference defines it, null when nothing is masked. */
  loss: number | null;
}

/** What kind of failure a load error is (defined with the error itself, in src/shared/errors.ts). */
export type { LoadErrorCode } from '../shared/errors';

/** Responses from the worker to the UI. */
export type WorkerResponse =
  | { type: 'initialized'; id: number; backend: BackendName; notes: string[] }
  | { type: 'progress'; id: number; loaded: number; total: number | null; stage: string }
  | { type: 'checkpointLoaded'; id: number; label: string; info: ModelInfo; notes: string[] }
  | {
      type: 'reconstruction';
      id: number;
      imageKey: string;
      reconstruction: Rgba;
      pasted: Rgba;
      /** Per-pixel squared error (0-255 space, mean over channels), width*height of the input. */
      errorMap: Float32Array;
      metrics: Metrics;
      timings: Timings;
    }
  | {
      type: 'inspection';
      id: number;
      imageKey: string;
      /** Patch grid of the picture inspected (row-major patches). */
      grid: { rows: number; cols: number };
      /** `[keep]` patch index of each visible token, in the encoder's order. */
      idsKeep: Int32Array;
      attention: AttentionMaps | null;
      features: PatchFeatures | null;
      timings: Timings;
    }
  | { type: 'cancelled'; id: number }
  /** Training began: the fixed mask (1 = masked, patch order) and the views before the first step. */
  | { type: 'trainStarted'; id: number; steps: number; batchSize: number; mask: Uint8Array; train: TrainView | null; holdout: TrainView | null }
  | {
      type: 'trainProgress';
      id: number;
      /** Steps done. */
      step: number;
      loss: number;
      lr: number;
      /** Over the run's steps so far (pauses excluded). */
      stepsPerSec: number;
      /** Bumped each time the reconstructions start showing newer trained weights. */
      weightsVersion: number;
    }
  /** The fixed-mask views with the weights of `step`. */
  | {
      type: 'trainViews'; id: number; step: number; train: TrainView; holdout: TrainView | null;
      /** What reading the trained weights back and rebuilding the fast model took, in ms (views excluded). */
      rebuildMs: number;
    }
  | { type: 'trainPaused'; id: number; paused: boolean }
  | { type: 'trainDone'; id: number; reason: TrainEndReason; step: number; /** for out-of-memory and failed */ message: string | null; weightsVersion: number }
  /** Hugging Face files of the trained weights (the bytes transferred). */
  | { type: 'trainSaved'; id: number; configJson: string; safetensors: Uint8Array }
  | {
      type: 'error';
      id: number;
      message: string;
      /** the worker can no longer run */
      fatal: boolean;
      /** Failed loads only: what kind of failure, and the HTTP status for code 'server'. */
      code?: LoadErrorCode;
      status?: number;
    };

/** Cache Storage bucket holding hub downloads, keyed by file URL (read by the page to list and delete them). */
export const HUB_CACHE = 'mae-hub-v1';

/** Compile-time exhaustiveness check for switches over the unions above. */
export function assertNever(x: never): never {
  throw new Error(`unhandled message ${JSON.stringify(x)}`);
}
