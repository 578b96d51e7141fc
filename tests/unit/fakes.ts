// Test doubles for the UI layer: a controllable ModelClient and decoders.
import type { BackendName, CheckpointSource, ModelInfo, ResizeMode, Rgba } from '../../src/protocol/messages';
import type { ClientEvent, ModelClient, ReconstructParams, Reconstruction } from '../../src/worker-client/types';
import type { DecodeResult, ImageDecoder } from '../../src/store/types';

export const TINY_INFO: ModelInfo = {
  imgSize: 32, patchSize: 8, embedDim: 16, depth: 1, numHeads: 2, decoderEmbedDim: 8, decoderDepth: 1,
  decoderNumHeads: 2, normPixLoss: false, parameters: 12345,
};

export interface ReconstructCall {
  params: ReconstructParams;
  lane: string;
  id: number;
  resolve(r: Reconstruction | null): void;
  reject(e: Error): void;
  /** Answers with a plausible reconstruction of the mask asked for. */
  answer(): Reconstruction;
  settled: boolean;
}

/** A fake worker client. Latest wins per lane (a superseded call resolves null); `auto` answers every call at once. */
export class FakeClient implements ModelClient {
  calls: ReconstructCall[] = [];
  /** The pixels set per image key (what the worker would hold). */
  images = new Map<string, Rgba>();
  setImageCalls: string[] = [];
  loads: CheckpointSource[] = [];
  listeners = new Set<(e: ClientEvent) => void>();
  failUrlLoad = false;
  failAllLoads = false;
  startedWith: BackendName | undefined | 'never' = 'never';
  private nextId = 1;
  private latest = new Map<string, number>();

  constructor(public info: ModelInfo = TINY_INFO, public auto = true) {}

  async start(preferred?: BackendName): Promise<BackendName> {
    this.startedWith = preferred;
    return preferred ?? 'cpu';
  }

  async loadCheckpoint(source: CheckpointSource) {
    this.loads.push(source);
    if (this.failAllLoads || (this.failUrlLoad && source.kind === 'url')) throw new Error('HTTP 404 for config.json');
    return { label: source.label, info: this.info, notes: [] };
  }

  setImage(imageKey: string, image: Rgba): void {
    this.images.set(imageKey, image);
    this.setImageCalls.push(imageKey);
  }

  forgetImage(imageKey: string): void {
    this.images.delete(imageKey);
  }

  reconstruct(params: ReconstructParams, lane = params.imageKey): Promise<Reconstruction | null> {
    const id = this.nextId++;
    this.latest.set(lane, id);
    return new Promise((resolve, reject) => {
      const call: ReconstructCall = {
        params, lane, id, settled: false,
        resolve: (r) => { call.settled = true; resolve(this.latest.get(lane) === id ? r : null); },
        reject: (e) => { call.settled = true; reject(e); },
        answer: () => { const r = fakeReconstruction(params, this.info, id); call.resolve(r); return r; },
      };
      this.calls.push(call);
      if (this.auto) queueMicrotask(() => call.answer());
    });
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

  callsFor(key: string): ReconstructCall[] {
    return this.calls.filter((c) => c.params.imageKey === key);
  }
}

export function fakeReconstruction(p: ReconstructParams, info: ModelInfo, id = 1): Reconstruction {
  const g = info.imgSize / info.patchSize;
  const n = g * g;
  if (p.mask.length !== n) throw new Error(`mask has ${p.mask.length} entries, the model ${n} patches`);
  const mask = p.mask;
  const masked = mask.reduce((a, v) => a + v, 0);
  const size = info.imgSize;
  const px = () => ({ width: size, height: size, data: new Uint8ClampedArray(size * size * 4).fill(100) });
  return {
    type: 'reconstruction', id, imageKey: p.imageKey, reconstruction: px(), pasted: px(),
    errorMap: new Float32Array(size * size).fill(4),
    metrics: masked ? { mse: 4, psnr: 42.1, maskedCount: masked, loss: 0.1 } : { mse: null, psnr: null, maskedCount: 0, loss: null },
    timings: { totalMs: 12, modelMs: 10 },
  };
}

export const solidRgba = (size: number, v = 128): Rgba => ({ width: size, height: size, data: new Uint8ClampedArray(size * size * 4).fill(v) });

/** Decodes any blob whose text does not start with "bad" into a solid square; "bad" ones fail. */
export class FakeDecoder implements ImageDecoder {
  calls: { size: number; mode: ResizeMode }[] = [];
  async decode(blob: Blob, size: number, mode: ResizeMode): Promise<DecodeResult> {
    this.calls.push({ size, mode });
    const text = await blob.text();
    if (text.startsWith('bad')) return { ok: false, message: 'could not be decoded: the file is corrupt or not an image' };
    return { ok: true, image: { rgba: solidRgba(size), sourceWidth: 640, sourceHeight: 480 } };
  }
}

export const file = (name: string, body = 'good'): { name: string; blob: Blob } => ({ name, blob: new Blob([body], { type: 'image/png' }) });

/** Lets queued promise callbacks run. */
export const flush = async (rounds = 5) => {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setTimeout(r, 0));
};
