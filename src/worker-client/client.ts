// The UI's handle on a model worker: request ids, the page's one latest-wins point (per lane, one
// request in the worker and one waiting), images sent once and transferred, and recovery when the
// worker dies or the GPU is lost (a new worker, a fallback backend, the checkpoint reloaded, the
// images and the latest requests sent again).
import type { BackendName, CheckpointSource, Rgba, WorkerRequest, WorkerResponse } from '../protocol/messages';
import { assertNever } from '../protocol/messages';
import { LoadError } from './errors';
import type { ClientEvent, Inspection, LoadedCheckpoint, ModelClient, Reconstruction, TrainDone, TrainedFiles, TrainEvent } from './types';

/** What the client needs of a Worker (a fake in tests). */
export interface WorkerLike {
  postMessage(msg: WorkerRequest, transfer?: Transferable[]): void;
  terminate(): void;
  onmessage: ((e: MessageEvent<WorkerResponse>) => void) | null;
  onerror: ((e: ErrorEvent) => void) | null;
}

/** Restarts allowed before the client gives up on the current backend and falls back. */
const RESTARTS_PER_BACKEND = 1;
/** Inspections of a picture go in their own lane (this prefix + its key): the slider's reconstructions never queue behind them. */
export const INSPECT_LANE_PREFIX = 'inspect:';
/** Backend fallback order after a failure. */
const FALLBACK: Record<BackendName, BackendName | null> = { webgpu: 'webgl', webgl: 'wasm', wasm: 'cpu', cpu: null };

/** A lane's request (a reconstruction or an inspection): its picture, its message and its promise's ends. */
interface Job {
  imageKey: string;
  /** The request's message under a fresh id. */
  message: (id: number) => WorkerRequest;
  resolve: (r: Reconstruction | Inspection | null) => void;
  reject: (e: Error) => void;
}

/** One lane: the request in the worker (with its id) and the newest one waiting behind it. */
interface Lane {
  inFlight: (Job & { id: number }) | null;
  waiting: Job | null;
}

type Pending =
  | { kind: 'init'; resolve: (b: BackendName) => void; reject: (e: Error) => void }
  | { kind: 'load'; source: CheckpointSource; resolve: (v: LoadedCheckpoint) => void; reject: (e: Error) => void }
  | { kind: 'lane'; lane: string }
  | { kind: 'train'; onEvent: (e: TrainEvent) => void; resolve: (d: TrainDone) => void; reject: (e: Error) => void }
  | { kind: 'save'; resolve: (f: TrainedFiles) => void; reject: (e: Error) => void };

/** What a training run or a save in a worker that died rejects with. */
const RESTARTED_DURING_TRAINING = 'the model worker restarted, so the training run and its weights were lost';

/** Creates the worker from the app's module worker entry. */
export function defaultWorkerFactory(): WorkerLike {
  return new Worker(new URL('../worker/index.ts', import.meta.url), { type: 'module', name: 'mae-model' }) as unknown as WorkerLike;
}

/** A ModelClient over a worker factory (tests pass a fake). */
export function createModelClient(factory: () => WorkerLike = defaultWorkerFactory): ModelClient {
  let worker: WorkerLike | null = null;
  let nextId = 1;
  let backend: BackendName | null = null;
  /** The backend the page asked for, until one runs. */
  let wanted: BackendName | undefined;
  let lastSource: CheckpointSource | null = null;
  let restarts = 0;
  let restarting: Promise<void> | null = null;
  const pending = new Map<number, Pending>();
  const lanes = new Map<string, Lane>();
  /** The images the worker holds, by reference (the store owns them), for a replay after a crash. */
  const images = new Map<string, Rgba>();
  const listeners = new Set<(e: ClientEvent) => void>();
  let loadId: number | null = null;

  const emit = (e: ClientEvent) => listeners.forEach((l) => l(e));

  function send(msg: WorkerRequest, transfer: Transferable[] = []): void {
    worker!.postMessage(msg, transfer);
  }

  function sendImage(imageKey: string, image: Rgba): void {
    // One copy, transferred: the store keeps its own pixels to draw from.
    const data = image.data.slice();
    send({ type: 'setImage', id: nextId++, imageKey, image: { width: image.width, height: image.height, data } }, [data.buffer]);
  }

  /** Sends the lane's waiting job if nothing of it is in the worker. */
  function pumpLane(name: string): void {
    const lane = lanes.get(name);
    if (!lane || lane.inFlight || !worker || restarting) return;
    if (!lane.waiting) {
      lanes.delete(name);
      return;
    }
    const job = lane.waiting;
    lane.waiting = null;
    const id = nextId++;
    lane.inFlight = { ...job, id };
    pending.set(id, { kind: 'lane', lane: name });
    send(job.message(id));
  }

  /** The lane's request in the worker ended: hand over its outcome and send the next. */
  function settleLane(name: string, id: number, outcome: { result: Reconstruction | Inspection | null } | { error: Error }): void {
    const lane = lanes.get(name);
    const job = lane?.inFlight;
    if (!lane || !job || job.id !== id) return;
    lane.inFlight = null;
    if ('error' in outcome) job.reject(outcome.error);
    else job.resolve(outcome.result);
    pumpLane(name);
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
      case 'inspection':
        if (p?.kind === 'lane') {
          pending.delete(msg.id);
          settleLane(p.lane, msg.id, { result: msg });
        }
        return;
      case 'trainStarted':
      case 'trainProgress':
      case 'trainViews':
      case 'trainPaused':
        if (p?.kind === 'train') p.onEvent(msg);
        return;
      case 'trainDone':
        if (p?.kind === 'train') {
          pending.delete(msg.id);
          p.onEvent(msg);
          p.resolve(msg);
        }
        return;
      case 'trainSaved':
        if (p?.kind === 'save') {
          pending.delete(msg.id);
          p.resolve({ configJson: msg.configJson, safetensors: msg.safetensors });
        }
        return;
      case 'cancelled':
        if (p) {
          pending.delete(msg.id);
          if (p.kind === 'lane') settleLane(p.lane, msg.id, { result: null });
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
          if (p.kind === 'lane') settleLane(p.lane, msg.id, { error: new Error(msg.message) });
          else p.reject(p.kind === 'load' ? new LoadError(msg.message, msg.code, msg.status) : new Error(msg.message));
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
      let next: BackendName | null = backend ?? wanted ?? null;
      if (restarts > RESTARTS_PER_BACKEND && backend) {
        next = FALLBACK[backend];
        restarts = 0;
      }
      if (/GPU device lost/.test(reason) && backend && FALLBACK[backend]) next = FALLBACK[backend];
      emit({ type: 'restarting', reason, backend: next ?? 'cpu' });
      const replay = [...pending.values()];
      pending.clear();
      // Training lived in the dead worker: its run and weights are gone.
      for (const p of replay) if (p.kind === 'train' || p.kind === 'save') p.reject(new Error(RESTARTED_DURING_TRAINING));
      // Requests that were in the dead worker go first again, ahead of anything newer.
      for (const lane of lanes.values()) {
        if (!lane.inFlight) continue;
        const { id: _id, ...job } = lane.inFlight;
        lane.inFlight = null;
        if (lane.waiting) job.resolve(null);
        else lane.waiting = job;
      }
      spawn();
      try {
        const started = await init(next ?? undefined);
        // A start that was waiting on the dead worker gets the new one's backend.
        for (const p of replay) if (p.kind === 'init') p.resolve(started);
        if (lastSource) await loadCheckpoint(lastSource);
      } catch (e) {
        for (const p of replay) if (p.kind === 'init' || p.kind === 'load') p.reject(e as Error);
        for (const [name, lane] of lanes) {
          lane.waiting?.reject(e as Error);
          lanes.delete(name);
        }
        return;
      }
      for (const p of replay) {
        if (p.kind === 'load' && p.source !== lastSource) loadCheckpoint(p.source).then(p.resolve, p.reject);
        else if (p.kind === 'load') p.reject(new LoadError('the model worker restarted during the load'));
      }
    })().finally(() => {
      restarting = null;
      for (const [key, image] of images) if (worker) sendImage(key, image);
      for (const name of [...lanes.keys()]) pumpLane(name);
    });
    return restarting;
  }

  /** Queues a lane's request: only the newest waiting one of a lane is ever sent (the one before resolves to null). */
  function enqueue<R extends Reconstruction | Inspection>(laneName: string, imageKey: string, message: Job['message']): Promise<R | null> {
    return new Promise<R | null>((resolve, reject) => {
      let lane = lanes.get(laneName);
      if (!lane) {
        lane = { inFlight: null, waiting: null };
        lanes.set(laneName, lane);
      }
      lane.waiting?.resolve(null);
      lane.waiting = { imageKey, message, resolve: (r) => resolve(r as R | null), reject };
      pumpLane(laneName);
    });
  }

  function loadCheckpoint(source: CheckpointSource): Promise<LoadedCheckpoint> {
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

  return {
    async start(preferred?: BackendName): Promise<BackendName> {
      wanted = preferred;
      if (!worker) spawn();
      return init(preferred);
    },
    loadCheckpoint,
    setImage(imageKey, image) {
      images.set(imageKey, image);
      if (worker && !restarting) sendImage(imageKey, image);
    },
    forgetImage(imageKey) {
      images.delete(imageKey);
      for (const [name, lane] of lanes) {
        if (lane.waiting?.imageKey === imageKey) {
          lane.waiting.resolve(null);
          lane.waiting = null;
        }
        if (!lane.inFlight && !lane.waiting) lanes.delete(name);
      }
      if (worker && !restarting) send({ type: 'forgetImage', id: nextId++, imageKey });
    },
    reconstruct(params, laneName = params.imageKey) {
      return enqueue<Reconstruction>(laneName, params.imageKey,
        (id) => ({ type: 'reconstruct', id, imageKey: params.imageKey, mask: params.mask, normPixStats: params.normPixStats, lookahead: params.lookahead }));
    },
    inspect(params, laneName = `${INSPECT_LANE_PREFIX}${params.imageKey}`) {
      return enqueue<Inspection>(laneName, params.imageKey,
        (id) => ({ type: 'inspect', id, imageKey: params.imageKey, mask: params.mask, capture: params.capture }));
    },
    closeInspect(): void {
      if (worker && !restarting) send({ type: 'closeInspect', id: nextId++ });
    },
    train(params, onEvent) {
      const id = nextId++;
      const done = new Promise<TrainDone>((resolve, reject) => {
        if (!worker || restarting) {
          reject(new Error('the model is restarting; try again in a moment'));
          return;
        }
        pending.set(id, { kind: 'train', onEvent, resolve, reject });
        send({ type: 'trainStart', id, options: params.options, imageKeys: params.imageKeys, holdoutKey: params.holdoutKey });
      });
      return { id, done };
    },
    controlTraining(target, action) {
      if (worker && !restarting) send({ type: 'trainControl', id: nextId++, target, action });
    },
    saveTraining() {
      const id = nextId++;
      return new Promise<TrainedFiles>((resolve, reject) => {
        if (!worker || restarting) {
          reject(new Error('the model is restarting; the trained weights are not available'));
          return;
        }
        pending.set(id, { kind: 'save', resolve, reject });
        send({ type: 'trainSave', id });
      });
    },
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
      for (const lane of lanes.values()) {
        lane.inFlight?.resolve(null);
        lane.waiting?.resolve(null);
      }
      lanes.clear();
      images.clear();
    },
  };
}
