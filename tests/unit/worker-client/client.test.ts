// The worker client against a scripted fake worker: ids, latest-wins, recovery after a crash.
import { describe, expect, it } from 'vitest';
import { createModelClient, type WorkerLike } from '../../../src/worker-client/client';
import { LoadError } from '../../../src/worker-client/errors';
import type { LoadErrorCode, WorkerRequest, WorkerResponse } from '../../../src/protocol/messages';
import type { ClientEvent, ReconstructParams } from '../../../src/worker-client/types';

const INFO = { imgSize: 32, patchSize: 8, embedDim: 16, depth: 1, numHeads: 2, decoderEmbedDim: 8, decoderDepth: 1, decoderNumHeads: 2, normPixLoss: false, parameters: 1 };

/** A worker that records requests; the test answers them by hand (or automatically for init/load). */
class FakeWorker implements WorkerLike {
  onmessage: ((e: MessageEvent<WorkerResponse>) => void) | null = null;
  onerror: ((e: ErrorEvent) => void) | null = null;
  received: WorkerRequest[] = [];
  terminated = false;
  constructor(private autoInit = true) {}
  postMessage(msg: WorkerRequest): void {
    this.received.push(msg);
    if (this.autoInit && msg.type === 'init') queueMicrotask(() => this.reply({ type: 'initialized', id: msg.id, backend: msg.backend ?? 'webgpu', notes: [] }));
    if (this.autoInit && msg.type === 'loadCheckpoint') queueMicrotask(() => this.reply({ type: 'checkpointLoaded', id: msg.id, label: msg.source.label, info: INFO, notes: [] }));
  }
  terminate(): void {
    this.terminated = true;
  }
  reply(msg: WorkerResponse): void {
    this.onmessage?.({ data: msg } as MessageEvent<WorkerResponse>);
  }
  answer(req: Extract<WorkerRequest, { type: 'reconstruct' }>): void {
    const rgba = { width: 32, height: 32, data: new Uint8ClampedArray(32 * 32 * 4) };
    this.reply({ type: 'reconstruction', id: req.id, imageKey: req.imageKey, mask: new Uint8Array(16), reconstruction: rgba, pasted: rgba, errorMap: new Float32Array(32 * 32), metrics: { mse: 1, psnr: 48, maskedCount: 12, loss: 0.1 }, timings: { totalMs: 1, modelMs: 1 } });
  }
  reconstructs() {
    return this.received.filter((m): m is Extract<WorkerRequest, { type: 'reconstruct' }> => m.type === 'reconstruct');
  }
}

const params = (key: string, maskRatio: number): ReconstructParams => ({
  imageKey: key, image: { width: 32, height: 32, data: new Uint8ClampedArray(32 * 32 * 4) }, maskRatio, seed: 0, pattern: 'random', normPixStats: 'visible',
});

describe('worker client', () => {
  it('gives every request its own id and resolves superseded reconstructions to null', async () => {
    const workers: FakeWorker[] = [];
    const client = createModelClient(() => { const w = new FakeWorker(); workers.push(w); return w; });
    await client.start();
    const a = client.reconstruct(params('img1', 0.1));
    const b = client.reconstruct(params('img1', 0.2));
    const other = client.reconstruct(params('img2', 0.3));
    const c = client.reconstruct(params('img1', 0.3));
    const sent = workers[0].reconstructs();
    expect(new Set(sent.map((m) => m.id)).size).toBe(4);
    // The worker answers out of order; only the newest request per image is drawn.
    sent.slice().reverse().forEach((m) => workers[0].answer(m));
    expect(await a).toBeNull();
    expect(await b).toBeNull();
    expect((await c)?.id).toBe(sent[3].id);
    expect((await other)?.imageKey).toBe('img2');
  });

  it('a cancelled (replaced in the queue) request resolves to null', async () => {
    const workers: FakeWorker[] = [];
    const client = createModelClient(() => { const w = new FakeWorker(); workers.push(w); return w; });
    await client.start();
    const a = client.reconstruct(params('k', 0.5));
    workers[0].reply({ type: 'cancelled', id: workers[0].reconstructs()[0].id });
    expect(await a).toBeNull();
  });

  it('after a crash: a new worker, the checkpoint reloaded, the latest request replayed, nothing lost', async () => {
    const workers: FakeWorker[] = [];
    const events: ClientEvent[] = [];
    const client = createModelClient(() => { const w = new FakeWorker(); workers.push(w); return w; });
    client.on((e) => events.push(e));
    await client.start();
    await client.loadCheckpoint({ kind: 'url', baseUrl: './checkpoints/x/', label: 'x' });
    const stale = client.reconstruct(params('k', 0.4));
    const latest = client.reconstruct(params('k', 0.5));
    workers[0].onerror?.({ message: 'boom', preventDefault() {} } as ErrorEvent);
    await new Promise((r) => setTimeout(r, 10));
    expect(workers[0].terminated).toBe(true);
    expect(workers).toHaveLength(2);
    expect(events.some((e) => e.type === 'restarting' && /crashed: boom/.test(e.reason))).toBe(true);
    const w2 = workers[1];
    expect(w2.received.map((m) => m.type)).toEqual(['init', 'loadCheckpoint', 'reconstruct']);
    const replayed = w2.reconstructs()[0];
    expect(replayed.maskRatio).toBe(0.5);
    w2.answer(replayed);
    expect(await stale).toBeNull();
    expect((await latest)?.imageKey).toBe('k');
  });

  it('a lost GPU device falls back to the next backend', async () => {
    const workers: FakeWorker[] = [];
    const client = createModelClient(() => { const w = new FakeWorker(); workers.push(w); return w; });
    expect(await client.start()).toBe('webgpu');
    workers[0].reply({ type: 'error', id: 1, message: 'GPU device lost: destroyed', fatal: true });
    await new Promise((r) => setTimeout(r, 10));
    const init = workers[1].received.find((m) => m.type === 'init');
    expect(init).toMatchObject({ type: 'init', backend: 'webgl' });
  });

  it('a failed load rejects with the worker\'s message and keeps the client usable', async () => {
    const workers: FakeWorker[] = [];
    const client = createModelClient(() => { const w = new FakeWorker(false); workers.push(w); return w; });
    const started = client.start('wasm');
    workers[0].reply({ type: 'initialized', id: 1, backend: 'wasm', notes: [] });
    await started;
    const load = client.loadCheckpoint({ kind: 'files', files: [], label: 'bad' });
    const req = workers[0].received.find((m) => m.type === 'loadCheckpoint')!;
    workers[0].reply({ type: 'error', id: req.id, message: 'not a checkpoint: expected a .safetensors or PyTorch .pth/.bin file', fatal: false });
    await expect(load).rejects.toThrow(/not a checkpoint/);
    const r = client.reconstruct(params('k', 0.75));
    workers[0].answer(workers[0].reconstructs()[0]);
    expect(await r).not.toBeNull();
  });

  it('a failed load rejects with a LoadError carrying the worker\'s code and status; a cancelled one with code cancelled', async () => {
    const workers: FakeWorker[] = [];
    const client = createModelClient(() => { const w = new FakeWorker(false); workers.push(w); return w; });
    const started = client.start('wasm');
    workers[0].reply({ type: 'initialized', id: 1, backend: 'wasm', notes: [] });
    await started;
    const hubSource = { kind: 'hub' as const, repo: 'org/x', revision: 'main', endpoint: 'https://hub.example', label: 'org/x' };
    const cases: { reply: { code?: LoadErrorCode; status?: number }; code: LoadErrorCode; status?: number }[] = [
      { reply: { code: 'server', status: 503 }, code: 'server', status: 503 },
      { reply: { code: 'encoder-only' }, code: 'encoder-only' },
      { reply: { code: 'out-of-memory' }, code: 'out-of-memory' },
      // An older worker without codes: 'other', so the page falls back to the words.
      { reply: {}, code: 'other' },
    ];
    for (const c of cases) {
      const load = client.loadCheckpoint(hubSource);
      const req = workers[0].received.filter((m) => m.type === 'loadCheckpoint').at(-1)!;
      workers[0].reply({ type: 'error', id: req.id, message: 'it failed', fatal: false, ...c.reply });
      const e = await load.then(() => null, (err: unknown) => err);
      expect(e).toBeInstanceOf(LoadError);
      expect(e).toMatchObject({ message: 'it failed', code: c.code, status: c.status });
    }
    const load = client.loadCheckpoint(hubSource);
    client.cancelLoad();
    const cancel = workers[0].received.at(-1) as Extract<WorkerRequest, { type: 'cancel' }>;
    workers[0].reply({ type: 'cancelled', id: cancel.target });
    const e = await load.then(() => null, (err: unknown) => err);
    expect(e).toBeInstanceOf(LoadError);
    expect(e).toMatchObject({ message: 'cancelled', code: 'cancelled' });
  });
});
