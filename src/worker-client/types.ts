import type { BackendName, CheckpointSource, InspectCapture, ModelInfo, NormPixStats, Rgba, TrainAction, TrainOptions, WorkerResponse } from '../protocol/messages';

/** A finished reconstruction as the UI receives it. */
export type Reconstruction = Extract<WorkerResponse, { type: 'reconstruction' }>;
/** What the model computed for a view (attention maps, features). */
export type Inspection = Extract<WorkerResponse, { type: 'inspection' }>;

/** What a view asks to inspect: an image set earlier, under a mask, and what to capture. */
export interface InspectParams {
  imageKey: string;
  /** 1 = masked, per patch in patch order. */
  mask: Uint8Array;
  capture: InspectCapture;
}

/** What the UI asks to reconstruct: an image set earlier, under a mask the UI decided. */
export interface ReconstructParams {
  imageKey: string;
  /** 1 = masked, per patch in patch order. */
  mask: Uint8Array;
  normPixStats: NormPixStats;
  /** A guess ahead of the visitor (the worker runs it after everything else waiting). */
  lookahead?: boolean;
}

/** A checkpoint the worker now runs. */
export interface LoadedCheckpoint {
  label: string;
  info: ModelInfo;
  notes: string[];
}

/** What a training run reports as it goes (trainDone last). */
export type TrainEvent = Extract<WorkerResponse, { type: 'trainStarted' | 'trainProgress' | 'trainViews' | 'trainPaused' | 'trainDone' }>;
export type TrainDone = Extract<WorkerResponse, { type: 'trainDone' }>;

/** A training run asked for: images sent earlier with setImage, one of them perhaps held out. */
export interface TrainParams {
  options: TrainOptions;
  imageKeys: string[];
  holdoutKey: string | null;
}

/** A fine-tuned checkpoint in Hugging Face layout. */
export interface TrainedFiles {
  configJson: string;
  safetensors: Uint8Array;
}

/** Worker lifecycle events the page shows. */
export type ClientEvent =
  | { type: 'backend'; backend: BackendName; notes: string[] }
  | { type: 'restarting'; reason: string; backend: BackendName }
  | { type: 'progress'; loaded: number; total: number | null; stage: string };

/** The UI's handle on one model worker. */
export interface ModelClient {
  /** Starts the worker on the best backend (or `preferred`), resolves with the one in use. */
  start(preferred?: BackendName): Promise<BackendName>;
  /** Loads a checkpoint; the previous one keeps working if this fails (the promise rejects with a LoadError). */
  loadCheckpoint(source: CheckpointSource): Promise<LoadedCheckpoint>;
  /**
   * Gives the worker an image's pixels (fitted to the model's size), once: they are copied once and
   * transferred; the client keeps a reference to `image` (not a copy) to replay after a crash.
   */
  setImage(imageKey: string, image: Rgba): void;
  /** Drops an image from the worker. */
  forgetImage(imageKey: string): void;
  /**
   * Reconstructs an image under a mask. The one latest-wins point of the page: per `lane` (default the
   * image key) at most one request is in the worker and one waits; a newer call replaces the waiting
   * one, which resolves to null and is never drawn.
   */
  reconstruct(params: ReconstructParams, lane?: string): Promise<Reconstruction | null>;
  /**
   * Fine-tunes the running checkpoint; `onEvent` hears every report of the run. `done` resolves with
   * trainDone, rejects when the run cannot start (no images, no decoder) or the worker restarts.
   */
  train(params: TrainParams, onEvent: (e: TrainEvent) => void): { id: number; done: Promise<TrainDone> };
  /** Pauses, resumes or stops training run `id`. */
  controlTraining(id: number, action: TrainAction): void;
  /** The newest run's weights as Hugging Face files. */
  saveTraining(): Promise<TrainedFiles>;
  /**
   * Inspects an image under a mask for a view, latest wins per `lane` (default: the picture's own
   * inspect lane, apart from its reconstructions, so the slider never waits behind a view).
   */
  inspect(params: InspectParams, lane?: string): Promise<Inspection | null>;
  /** Every view is closed: the worker frees its inspecting model. */
  closeInspect(): void;
  /** Cancels the checkpoint download in flight, if any. */
  cancelLoad(): void;
  /** Subscribes to lifecycle events; returns the unsubscribe function. */
  on(listener: (e: ClientEvent) => void): () => void;
  /** Terminates the worker. */
  dispose(): void;
}
