// The UI's handle on the model worker: request ids, latest-wins per image, transfers, and
// recovery when the worker dies or the GPU is lost (a new worker, a fallback backend, the
// checkpoint reloaded and the latest requests sent again).
import type { BackendName, CheckpointSource, WorkerRequest, WorkerResponse } from '../protocol/messages';
import { assertNever } from '../protocol/messages';
import { LoadError } from './errors';
import type { ClientEvent, ModelClient, ReconstructParams, Reconstruction } from './types';

/** What the client needs of a Worker (a fake in tests). */
export interface WorkerLike {
  postMessage(msg: WorkerRequest, transfer?: Transferable[]): void;
  terminate(): void;
  onmessage: ((e: MessageEvent<WorkerResponse>) => void) | null;
  onerror: ((e: ErrorEvent) => void) | null;
}

/** Restarts allowed before the client gives up on the current backend and falls back. */
const RESTARTS_PER_BACKEND = 1;
/** Backend fallback order after a failure. */
const FALLBACK: Record<BackendName, BackendName | null> = { webgpu: 'webgl', webgl: 'wasm', wasm: 'cpu', cpu: null };

type Pending =
  | { kind: 'init'; resolve: (b: BackendName) => void; reject: (e: Error) => void }
  | { kind: 'load'; source: CheckpointSource; resolve: (v: { label: string; info: import('../protocol/messages').ModelInfo; notes: string[] }) => void; reject: (e: Error) => void }
  | { kind: 'reconstruct'; params: ReconstructParams; resolve: (r: Reconstruction | null) => void; reject: (e: Error) => void };

/** Creates the worker from the app's module worker entry. */
export function defaultWorkerFactory(): WorkerLike {
  return new Worker(new URL('../worker/index.ts', import.meta.url), { type: 'module', name: 'mae-model' }) as unknown as WorkerLike;
}

/** A ModelClient over a worker factory (tests pass a fake). */
export function createModelClient(factory: () => WorkerLike = defaultWorkerFactory): ModelClient {
  let worker: WorkerLike | null = null;
  let nextId = 1;
  let backend: BackendName | null = null;
  let forced: BackendName | undefined;
  let lastSource: CheckpointSource | null = null;
  let restarts = 0;
  let restarting: Promise<void> | null = null;
  const pending = new Map<number, Pending>();
  const latestByKey = new Map<string, number>();
  const listeners = new Set<(e: ClientEvent) => void>();
  let loadId: number | null = null;

  const emit = (e: ClientEvent) => listeners.forEach((l) => l(e));

  function send(msg: WorkerRequest): void {
    // The image is copied, not transferred: the UI keeps its pixels for the next request.
    worker!.postMessage(msg);
  }

  function onMessage(msg: WorkerResponse): void {
    const p = pending.get(msg.id);
    switch (msg.type) {
      case 'initialized':
        if (p?.kind === 'init') {
          pending.delete(msg.id);
          backend = msg.backend;
          emit({ type: 'backend', backend: msg.backend, notes: msg.notes });
          p.resolve(msg.backend);
        }
        return;
      case 'progress':
        emit({ type: 'progress', loaded: msg.loaded, total: msg.total, stage: msg.stage });
        return;
      case 'checkpointLoaded':
        if (p?.kind === 'load') {
          pending.delete(msg.id);
          if (loadId === msg.id) loadId = null;
          lastSource = p.source;
          p.resolve({ label: msg.label, info: msg.info, notes: msg.notes });
        }
        return;
      case 'reconstruction':
        if (p?.kind === 'reconstruct') {
          pending.delete(msg.id);
          // Only the newest request for an image is ever drawn.
          if (latestByKey.get(msg.imageKey) === msg.id) {
            latestByKey.delete(msg.imageKey);
            p.resolve(msg);
          } else p.resolve(null);
        }
        return;
      case 'cancelled':
        if (p) {
          pending.delete(msg.id);
          if (p.kind === 'reconstruct') p.resolve(null);
          else if (p.kind === 'load') p.reject(new LoadError('cancelled', 'cancelled'));
          else p.reject(new Error('cancelled'));
          if (loadId === msg.id) loadId = null;
        }
        return;
      case 'error':
        if (msg.fatal) {
          void recover(msg.message);
          return;
        }
        if (p) {
          pending.delete(msg.id);
          if (loadId === msg.id) loadId = null;
          p.reject(p.kind === 'load' ? new LoadError(msg.message, msg.code, msg.status) : new Error(msg.message));
        }
        return;
      default:
        assertNever(msg);
    }
  }

  function spawn(): void {
    worker = factory();
    worker.onmessage = (e) => onMessage(e.data);
    worker.onerror = (e) => {
      e.preventDefault?.();
      void recover(`the model worker crashed${e.message ? `: ${e.message}` : ''}`);
    };
  }

  function init(preferred?: BackendName): Promise<BackendName> {
    const id = nextId++;
    return new Promise<BackendName>((resolve, reject) => {
      pending.set(id, { kind: 'init', resolve, reject });
      send({ type: 'init', id, backend: preferred });
    });
  }

  /** Replaces a dead worker, falling back a backend after repeated failures, and replays the work. */
  async function recover(reason: string): Promise<void> {
    if (restarting) return restarting;
    restarting = (async () => {
      worker?.terminate();
      worker = null;
      restarts++;
      let next: BackendName | null = backend;
      if (restarts > RESTARTS_PER_BACKEND && backend) {
        next = FALLBACK[backend];
        restarts = 0;
      }
      if (/GPU device lost/.test(reason) && backend && FALLBACK[backend]) next = FALLBACK[backend];
      emit({ type: 'restarting', reason, backend: next ?? 'cpu' });
      const replay = [...pending.entries()];
      pending.clear();
      spawn();
      try {
        await init(next ?? undefined);
        if (lastSource) await loadCheckpoint(lastSource);
      } catch (e) {
        replay.forEach(([, p]) => p.reject(e as Error));
        return;
      }
      for (const [oldId, p] of replay) {
        if (p.kind === 'reconstruct') {
          if (latestByKey.get(p.params.imageKey) === oldId) {
            // Superseded ones resolve null; the latest is sent again under a fresh id.
            const again = reconstruct(p.params);
            again.then(p.resolve, p.reject);
          } else p.resolve(null);
        } else if (p.kind === 'load' && p.source !== lastSource) {
          loadCheckpoint(p.source).then(p.resolve, p.reject);
        } else if (p.kind === 'load') {
          p.reject(new LoadError('the model worker restarted during the load'));
        }
      }
    })().finally(() => {
      restarting = null;
    });
    return restarting;
  }

  function loadCheckpoint(source: CheckpointSource): Promise<{ label: string; info: import('../protocol/messages').ModelInfo; notes: string[] }> {
    const id = nextId++;
    // Relative URLs are the page's: the worker's own location is the bundle's assets folder.
    if (source.kind === 'url' && typeof document !== 'undefined') {
      source = { ...source, baseUrl: new URL(source.baseUrl, document.baseURI).href };
    }
    loadId = id;
    return new Promise((resolve, reject) => {
      pending.set(id, { kind: 'load', source, resolve, reject });
      send({ type: 'loadCheckpoint', id, source });
    });
  }

  function reconstruct(params: ReconstructParams): Promise<Reconstruction | null> {
    const id = nextId++;
    latestByKey.set(params.imageKey, id);
    return new Promise((resolve, reject) => {
      pending.set(id, { kind: 'reconstruct', params, resolve, reject });
      const msg: WorkerRequest = { type: 'reconstruct', id, ...params };
      // During a restart, sent once the new worker is up (if still wanted).
      if (restarting) void restarting.then(() => pending.has(id) && worker && send(msg));
      else send(msg);
    });
  }

  return {
    async start(preferred?: BackendName): Promise<BackendName> {
      forced = preferred;
      if (!worker) spawn();
      return init(forced);
    },
    loadCheckpoint,
    reconstruct,
    cancelLoad(): void {
      if (loadId !== null && worker) send({ type: 'cancel', id: nextId++, target: loadId });
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose(): void {
      worker?.terminate();
      worker = null;
      pending.clear();
    },
  };
}
