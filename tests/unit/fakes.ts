// Test doubles for the UI layer: a controllable ModelClient and decoders.
import type { BackendName, CheckpointSource, ModelInfo, ResizeMode, Rgba, TrainAction } from '../../src/protocol/messages';
import type { ClientEvent, Inspection, InspectParams, ModelClient, ReconstructParams, Reconstruction, TrainDone, TrainedFiles, TrainEvent, TrainParams } from '../../src/worker-client/types';
import type { DecodeResult, ImageDecoder } from '../../src/store/types';
import { DEFAULT_PATCH_SIZE, fitSize } from '../../src/shared/inputSize';

export const TINY_INFO: ModelInfo = {
  imgSize: 32, patchSize: 8, embedDim: 16, depth: 1, numHeads: 2, decoderEmbedDim: 8, decoderDepth: 1,
  decoderNumHeads: 2, normPixLoss: false, parameters: 12345,
};

/** A training run asked of the fake: the test drives it with `emit` and ends it with `finish` or `fail`. */
export interface TrainCall {
  id: number;
  params: TrainParams;
  /** Reports an event of the run to the page (trainDone also ends it). */
  emit(e: TrainEvent): void;
  /** Rejects the run as the worker does when it cannot start. */
  fail(message: string): void;
  controls: TrainAction[];
}

export interface ReconstructCall {
  params: ReconstructParams;
  lane: string;
  id: number;
  /** Settles the call (only a call in the worker can be answered: see `answer`). */
  resolve(r: Reconstruction | null): void;
  reject(e: Error): void;
  /**
   * Answers with a plausible reconstruction of the mask asked for, as the worker would: only a call
   * in the worker can be answered (a waiting one throws), and one whose image was never set fails.
   */
  answer(): Reconstruction | null;
  settled: boolean;
  /** Replaced while waiting by a newer call of its lane (it resolved null, never reached the worker). */
  superseded: boolean;
  /** Whether the call has reached the worker (was in flight at some point). */
  sent: boolean;
  /** The pixels the worker held for the call's image when it was sent (undefined: none were set). */
  image: Rgba | undefined;
}

/**
 * A fake worker client following the ModelClient contract: per lane at most one call is in the
 * worker and one waits; a newer call replaces the waiting one (which resolves null); the one in
 * the worker resolves with its own answer. Every call made is recorded in `calls`; `auto` answers
 * each call as soon as it reaches the worker.
 */
export class FakeClient implements ModelClient {
  /** The page's own reconstruction requests. */
  calls: ReconstructCall[] = [];
  /** Lookahead requests (params.lookahead), kept apart so `calls` reads as what the visitor asked for. */
  lookaheadCalls: ReconstructCall[] = [];
  /** The pixels set per image key (what the worker would hold). */
  images = new Map<string, Rgba>();
  setImageCalls: string[] = [];
  forgetImageCalls: string[] = [];
  loads: CheckpointSource[] = [];
  listeners = new Set<(e: ClientEvent) => void>();
  failUrlLoad = false;
  failAllLoads = false;
  /** The worker's own time a reconstruction reports, in ms (the page looks ahead only for quick models). */
  reconstructMs = 12;
  startedWith: BackendName | undefined | 'never' = 'never';
  /** The architecture of the checkpoint the worker runs now (answers are shaped by it). */
  running: ModelInfo;
  private nextId = 1;
  /** While the worker restarts nothing is sent to it. */
  private restarting = false;
  private lanes = new Map<string, { inFlight: ReconstructCall | null; waiting: ReconstructCall | null }>();

  constructor(public info: ModelInfo = TINY_INFO, public auto = true) {
    this.running = info;
  }

  async start(preferred?: BackendName): Promise<BackendName> {
    this.startedWith = preferred;
    return preferred ?? 'cpu';
  }

  async loadCheckpoint(source: CheckpointSource) {
    this.loads.push(source);
    if (this.failAllLoads || (this.failUrlLoad && source.kind === 'url')) throw new Error('HTTP 404 for config.json');
    this.running = this.info;
    return { label: source.label, info: this.info, notes: [] };
  }

  setImage(imageKey: string, image: Rgba): void {
    this.images.set(imageKey, image);
    this.setImageCalls.push(imageKey);
  }

  forgetImage(imageKey: string): void {
    this.images.delete(imageKey);
    this.forgetImageCalls.push(imageKey);
    for (const lane of this.lanes.values()) {
      if (lane.waiting?.params.imageKey === imageKey) {
        const w = lane.waiting;
        lane.waiting = null;
        w.superseded = true;
        w.resolve(null);
      }
    }
  }

  reconstruct(params: ReconstructParams, lane = params.imageKey): Promise<Reconstruction | null> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const call: ReconstructCall = {
        params, lane, id, settled: false, superseded: false, sent: false, image: undefined,
        resolve: (r) => this.settle(call, () => resolve(r)),
        reject: (e) => this.settle(call, () => reject(e)),
        answer: () => {
          if (call.settled) throw new Error(`call ${id} is already settled`);
          if (this.lanes.get(lane)?.inFlight !== call) throw new Error(`call ${id} is not in the worker (it waits behind lane ${lane}'s call)`);
          if (!call.image) {
            call.reject(new Error(`no image ${params.imageKey} in the worker`));
            return null;
          }
          const r = fakeReconstruction(params, this.running, id, call.image);
          r.timings = { ...r.timings, totalMs: this.reconstructMs };
          call.resolve(r);
          return r;
        },
      };
      (params.lookahead ? this.lookaheadCalls : this.calls).push(call);
      let l = this.lanes.get(lane);
      if (!l) this.lanes.set(lane, (l = { inFlight: null, waiting: null }));
      if (l.waiting) {
        const w = l.waiting;
        l.waiting = null;
        w.superseded = true;
        w.resolve(null);
      }
      l.waiting = call;
      this.pump(lane);
    });
  }

  /**
   * A worker crash as the real client handles it: 'restarting'; the call each lane had in the dead
   * worker waits again (or resolves null when a newer one waits); the new worker is up ('backend');
   * then the images and the waiting calls are sent again.
   */
  crash(reason = 'the model worker crashed', backend: BackendName = 'cpu'): void {
    this.restarting = true;
    this.emit({ type: 'restarting', reason, backend });
    for (const l of this.lanes.values()) {
      const c = l.inFlight;
      if (!c) continue;
      l.inFlight = null;
      if (l.waiting) {
        c.superseded = true;
        c.resolve(null);
      } else {
        l.waiting = c;
      }
    }
    this.emit({ type: 'backend', backend, notes: [] });
    this.restarting = false;
    for (const lane of [...this.lanes.keys()]) this.pump(lane);
  }

  /** The call of a lane now in the worker. */
  inFlight(lane: string): ReconstructCall | null {
    return this.lanes.get(lane)?.inFlight ?? null;
  }

  private settle(call: ReconstructCall, done: () => void): void {
    if (call.settled) return;
    call.settled = true;
    done();
    const l = this.lanes.get(call.lane);
    if (l?.inFlight === call) {
      l.inFlight = null;
      this.pump(call.lane);
    }
  }

  private pump(lane: string): void {
    const l = this.lanes.get(lane);
    if (!l || l.inFlight || !l.waiting || this.restarting) return;
    const call = l.waiting;
    l.waiting = null;
    l.inFlight = call;
    call.sent = true;
    call.image = this.images.get(call.params.imageKey);
    if (this.auto) queueMicrotask(() => { if (!call.settled) call.answer(); });
  }

  trains: TrainCall[] = [];
  /** What saveTraining resolves with (a rejection when null). */
  trained: TrainedFiles | null = { configJson: '{"model_type":"vit_mae"}', safetensors: new Uint8Array([1, 2, 3]) };
  saves = 0;

  train(params: TrainParams, onEvent: (e: TrainEvent) => void): { id: number; done: Promise<TrainDone> } {
    const id = this.nextId++;
    let call!: TrainCall;
    const done = new Promise<TrainDone>((resolve, reject) => {
      call = {
        id, params, controls: [],
        emit: (e) => {
          onEvent(e);
          if (e.type === 'trainDone') resolve(e);
        },
        fail: (message) => reject(new Error(message)),
      };
    });
    this.trains.push(call);
    return { id, done };
  }

  controlTraining(id: number, action: TrainAction): void {
    this.trains.find((t) => t.id === id)?.controls.push(action);
  }

  async saveTraining(): Promise<TrainedFiles> {
    this.saves++;
    if (!this.trained) throw new Error('no training run has weights to save');
    return this.trained;
  }

  /** Inspect calls made (the views'), with their lanes; each answers at once with fakeInspection. */
  inspectCalls: { params: InspectParams; lane: string }[] = [];
  closeInspectCalls = 0;

  async inspect(params: InspectParams, lane = `inspect:${params.imageKey}`): Promise<Inspection | null> {
    this.inspectCalls.push({ params, lane });
    if (!this.images.has(params.imageKey)) throw new Error(`no image ${params.imageKey} in the worker`);
    return fakeInspection(params, this.running, this.inspectCalls.length);
  }

  closeInspect(): void {
    this.closeInspectCalls++;
  }

  cancelLoad(): void {}

  on(listener: (e: ClientEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(e: ClientEvent): void {
    this.listeners.forEach((l) => l(e));
  }

  dispose(): void {}

  /** The calls of one lane: an image's row when given its key (a sweep cell's lane is `sweepKey(key, ratio)`). */
  callsFor(lane: string): ReconstructCall[] {
    return this.calls.filter((c) => c.lane === lane);
  }
}

/** A reconstruction shaped as the worker's: at the image's size when given (any grid), else the checkpoint's. */
export function fakeReconstruction(p: ReconstructParams, info: ModelInfo, id = 1, image?: Rgba): Reconstruction {
  const width = image?.width ?? info.imgSize;
  const height = image?.height ?? info.imgSize;
  const n = (width / info.patchSize) * (height / info.patchSize);
  if (p.mask.length !== n) throw new Error(`mask has ${p.mask.length} entries, the picture ${n} patches`);
  const mask = p.mask;
  const masked = mask.reduce((a, v) => a + v, 0);
  const px = () => ({ width, height, data: new Uint8ClampedArray(width * height * 4).fill(100) });
  return {
    type: 'reconstruction', id, imageKey: p.imageKey, reconstruction: px(), pasted: px(),
    errorMap: new Float32Array(width * height).fill(4),
    metrics: masked ? { mse: 4, psnr: 42.1, maskedCount: masked, loss: 0.1 } : { mse: null, psnr: null, maskedCount: 0, loss: null },
    timings: { totalMs: 12, modelMs: 10 },
  };
}

/** An inspection shaped as the worker's: uniform attention over the tokens, features that vary per patch. */
export function fakeInspection(p: InspectParams, info: ModelInfo, id = 1): Inspection {
  const g = info.imgSize / info.patchSize;
  const L = g * g;
  const ids = [...Array(L).keys()].filter((i) => !p.mask[i]);
  const a = p.capture.attention;
  const layers = a ? (a.stack === 'encoder' ? info.depth : info.decoderDepth) : 0;
  const tokens = a ? (a.stack === 'encoder' ? 1 + ids.length : 1 + L) : 0;
  const feature = (n: number) => Float32Array.from({ length: n * info.embedDim }, (_, k) => Math.sin(k));
  return {
    type: 'inspection', id, imageKey: p.imageKey, grid: { rows: g, cols: g }, idsKeep: Int32Array.from(ids),
    attention: a ? { stack: a.stack, head: a.head, layers, heads: a.stack === 'encoder' ? info.numHeads : info.decoderNumHeads, tokens,
      data: new Float32Array(layers * tokens * tokens).fill(1 / tokens) } : null,
    features: p.capture.features ? { dim: info.embedDim, latent: feature(1 + ids.length), latentAll: feature(1 + L) } : null,
    timings: { totalMs: 3, modelMs: 2 },
  };
}

export const solidRgba = (size: number, v = 128): Rgba => ({ width: size, height: size, data: new Uint8ClampedArray(size * size * 4).fill(v) });

/** The source size of every picture the fake decoder decodes, in px. */
export const FAKE_SOURCE = { width: 640, height: 480 } as const;

/** Decodes any blob whose text does not start with "bad" into a solid picture (fitSize of a 640 x 480 source); "bad" ones fail. */
export class FakeDecoder implements ImageDecoder {
  calls: { size: number; mode: ResizeMode; patch?: number }[] = [];
  async decode(blob: Blob, size: number, mode: ResizeMode, patch?: number): Promise<DecodeResult> {
    this.calls.push({ size, mode, patch });
    const text = await blob.text();
    if (text.startsWith('bad')) return { ok: false, message: 'could not be decoded: the file is corrupt or not an image' };
    const { width, height } = fitSize(mode, size, patch ?? DEFAULT_PATCH_SIZE, FAKE_SOURCE);
    const rgba = { width, height, data: new Uint8ClampedArray(width * height * 4).fill(128) };
    return { ok: true, image: { rgba, sourceWidth: FAKE_SOURCE.width, sourceHeight: FAKE_SOURCE.height } };
  }
}

export const file = (name: string, body = 'good'): { name: string; blob: Blob } => ({ name, blob: new Blob([body], { type: 'image/png' }) });

/** Lets queued promise callbacks run. */
export const flush = async (rounds = 5) => {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setTimeout(r, 0));
};
