import type { BackendName, CheckpointSource, ModelInfo, WorkerRequest, WorkerResponse } from '../protocol/messages';

/** A finished reconstruction as the UI receives it. */
export type Reconstruction = Extract<WorkerResponse, { type: 'reconstruction' }>;

/** What the UI asks to reconstruct: the protocol's request without its envelope. */
export type ReconstructParams = Omit<Extract<WorkerRequest, { type: 'reconstruct' }>, 'type' | 'id'>;

/** Worker lifecycle events the page shows. */
export type ClientEvent =
  | { type: 'backend'; backend: BackendName; notes: string[] }
  | { type: 'restarting'; reason: string; backend: BackendName }
  | { type: 'progress'; loaded: number; total: number | null; stage: string };

/** The UI's handle on the model worker. */
export interface ModelClient {
  /** Starts the worker on the best backend (or `preferred`), resolves with the one in use. */
  start(preferred?: BackendName): Promise<BackendName>;
  /** Loads a checkpoint; the previous one keeps working if this fails (the promise rejects with a LoadError). */
  loadCheckpoint(source: CheckpointSource): Promise<{ label: string; info: ModelInfo; notes: string[] }>;
  /**
   * Reconstructs one image. Latest wins per imageKey: a newer call for the same key supersedes
   * this one, which then resolves to null and is never drawn.
   */
  reconstruct(params: ReconstructParams): Promise<Reconstruction | null>;
  /** Cancels the checkpoint download in flight, if any. */
  cancelLoad(): void;
  /** Subscribes to lifecycle events; returns the unsubscribe function. */
  on(listener: (e: ClientEvent) => void): () => void;
  /** Terminates the worker (page unload only: never to cancel a job). */
  dispose(): void;
}
