// The worker client against a scripted fake worker: ids, images sent once, lanes (latest-wins), recovery after a crash.
import { describe, expect, it } from 'vitest';
import { createModelClient, type WorkerLike } from '../../../src/worker-client/client';
import { LoadError } from '../../../src/worker-client/errors';
import type { LoadErrorCode, WorkerRequest, WorkerResponse } from '../../../src/protocol/messages';
import type { ClientEvent, ReconstructParams } from '../../../src/worker-client/types';
import { countMasked, lenKeepFor, maskFor } from '../../../src/shared/masking';

const INFO = { imgSize: 32, patchSize: 8, embedDim: 16, depth: 1, numHeads: 2, decoderEmbedDim: 8, decoderDepth: 1, decoderNumHeads: 2, normPixLoss: false, parameters: 1 };

/** A worker that records requests (and what each transfers); the test answers them by hand (or automatically for init/load). */
class FakeWorker implements WorkerLike {
  onmessage: ((e: MessageEvent<WorkerResponse>) => void) | null = null;
  onerror: ((e: ErrorEvent) => void) | null = null;
  received: WorkerRequest[] = [];
  /** postMessage's transfer list, per message received. */
  transfers: Transferable[][] = [];
  terminated = false;
  constructor(private autoInit = true) {}
  postMessage(msg: WorkerRequest, transfer: Transferable[] = []): void {
    this.received.push(msg);
    this.transfers.push(transfer);
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
    this.reply({ type: 'reconstruction', id: req.id, imageKey: req.imageKey, reconstruction: rgba, pasted: rgba, errorMap: new Float32Array(32 * 32), metrics: { mse: 1, psnr: 48, maskedCount: countMasked(req.mask), loss: 0.1 }, timings: { totalMs: 1, modelMs: 1 } });
  }
  reconstructs() {
    return this.received.filter((m): m is Extract<WorkerRequest, { type: 'reconstruct' }> => m.type === 'reconstruct');
  }
  setImages() {
    return this.received.filter((m): m is Extract<WorkerRequest, { type: 'setImage' }> => m.type === 'setImage');
  }
}

/** INFO's patch grid (4 x 4). */
const GRID = INFO.imgSize / INFO.patchSize;
/** Lets queued promise callbacks run. */
const settle = () => new Promise((r) => setTimeout(r, 10));

/** A request for an image under seed 0's random mask at a ratio. */
const params = (key: string, maskRatio: number): ReconstructParams => ({
  imageKey: key, mask: maskFor({ pattern: 'random', maskRatio, seed: 0 }, GRID), normPixStats: 'visible',
});
const image = (v = 7) => ({ width: 32, height: 32, data: new Uint8ClampedArray(32 * 32 * 4).fill(v) });

/** A started client over fake workers (each restart makes a new one). */
async function started() {
  const workers: FakeWorker[] = [];
  const client = createModelClient(() => { const w = new FakeWorker(); workers.push(w); return w; });
  await client.start();
  return { client, workers };
}

/** Records when each promise settles, and with what. */
function track<T>(p: Promise<T>) {
  const t: { done: boolean; value?: T } = { done: false };
  p.then((v) => { t.done = true; t.value = v; });
  return t;
}

describe('worker client', () => {
  it('gives every request its own id; per lane one request in the worker, and a replaced waiting one resolves to null', async () => {
    const { client, workers } = await started();
    client.setImage('img1', image());
    client.setImage('img2', image());
    const a = client.reconstruct(params('img1', 0.1));
    const b = client.reconstruct(params('img1', 0.2));
    const other = client.reconstruct(params('img2', 0.3));
    const c = client.reconstruct(params('img1', 0.3));
    // img1's first request and img2's are in the worker; img1's 0.3 waits (it replaced 0.2, which never goes).
    let sent = workers[0].reconstructs();
    expect(sent.map((m) => [m.imageKey, countMasked(m.mask)])).toEqual([['img1', 16 - lenKeepFor(16, 0.1)], ['img2', 16 - lenKeepFor(16, 0.3)]]);
    expect(await b).toBeNull();
    // The worker answers out of order: img2 first, then img1's first request, which still resolves with its result.
    workers[0].answer(sent[1]);
    workers[0].answer(sent[0]);
    expect((await other)?.imageKey).toBe('img2');
    expect((await a)?.id).toBe(sent[0].id);
    sent = workers[0].reconstructs();
    expect(sent).toHaveLength(3);
    expect(Array.from(sent[2].mask)).toEqual(Array.from(params('img1', 0.3).mask));
    workers[0].answer(sent[2]);
    expect((await c)?.id).toBe(sent[2].id);
    const ids = workers[0].received.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('sends an image once, as a transferred copy, however many requests use it', async () => {
    const { client, workers } = await started();
    const pixels = image(9);
    client.setImage('k', pixels);
    for (const r of [0.1, 0.2, 0.3, 0.4]) void client.reconstruct(params('k', r));
    void client.reconstruct(params('k', 0.5), 'k#sweep50');
    const sets = workers[0].setImages();
    expect(sets).toHaveLength(1);
    const msg = sets[0];
    const i = workers[0].received.indexOf(msg);
    expect(msg.image.data.buffer).not.toBe(pixels.data.buffer);
    expect(workers[0].transfers[i]).toEqual([msg.image.data.buffer]);
    expect(workers[0].transfers[i][0]).toBe(msg.image.data.buffer);
    expect(Array.from(msg.image.data)).toEqual(Array.from(pixels.data));
    expect([msg.image.width, msg.image.height]).toEqual([32, 32]);
    // The caller's pixels are untouched (still usable to draw from).
    expect(pixels.data.length).toBe(32 * 32 * 4);
    // Requests name the image; they carry only the mask.
    expect(workers[0].reconstructs().every((m) => m.imageKey === 'k' && !('image' in m))).toBe(true);
    expect(workers[0].reconstructs().every((m) => workers[0].received.indexOf(m) > i)).toBe(true);
    // Setting it again (a new fit) sends it again.
    client.setImage('k', image(3));
    expect(workers[0].setImages()).toHaveLength(2);
  });

  it('lanes: a third call replaces the waiting second (null); the first, in the worker, resolves with its result', async () => {
    const { client, workers } = await started();
    client.setImage('k', image());
    const first = track(client.reconstruct(params('k', 0.25)));
    const second = track(client.reconstruct(params('k', 0.5)));
    const sweep = track(client.reconstruct(params('k', 0.9), 'k#sweep90'));
    await settle();
    expect(second.done).toBe(false);
    const third = track(client.reconstruct(params('k', 0.75)));
    await settle();
    expect(second).toEqual({ done: true, value: null });
    expect(first.done).toBe(false);
    // Another lane of the same image is independent: its request is in the worker too.
    let sent = workers[0].reconstructs();
    expect(sent.map((m) => countMasked(m.mask))).toEqual([0.25, 0.9].map((r) => 16 - lenKeepFor(16, r)));
    workers[0].answer(sent[0]);
    await settle();
    expect(first.done).toBe(true);
    expect(first.value?.id).toBe(sent[0].id);
    expect(first.value?.metrics.maskedCount).toBe(16 - lenKeepFor(16, 0.25));
    expect(third.done).toBe(false);
    sent = workers[0].reconstructs();
    expect(sent).toHaveLength(3);
    expect(Array.from(sent[2].mask)).toEqual(Array.from(params('k', 0.75).mask));
    workers[0].answer(sent[2]);
    workers[0].answer(sent[1]);
    await settle();
    expect(third.value?.id).toBe(sent[2].id);
    expect(sweep.value?.id).toBe(sent[1].id);
    // The replaced request never reached the worker.
    expect(workers[0].reconstructs()).toHaveLength(3);
  });

  it('a cancelled request resolves to null and the lane goes on', async () => {
    const { client, workers } = await started();
    const a = client.reconstruct(params('k', 0.5));
    const b = client.reconstruct(params('k', 0.6));
    workers[0].reply({ type: 'cancelled', id: workers[0].reconstructs()[0].id });
    expect(await a).toBeNull();
    const next = workers[0].reconstructs()[1];
    expect(Array.from(next.mask)).toEqual(Array.from(params('k', 0.6).mask));
    workers[0].answer(next);
    expect((await b)?.id).toBe(next.id);
  });

  it('a failed request rejects with the worker\'s words; the lane\'s next request is sent', async () => {
    const { client, workers } = await started();
    const a = client.reconstruct(params('k', 0.5));
    const b = client.reconstruct(params('k', 0.6));
    workers[0].reply({ type: 'error', id: workers[0].reconstructs()[0].id, message: 'no image “k” was set', fatal: false });
    await expect(a).rejects.toThrow(/no image/);
    workers[0].answer(workers[0].reconstructs()[1]);
    expect(await b).not.toBeNull();
  });

  it('forgetting an image tells the worker and drops its waiting requests (null)', async () => {
    const { client, workers } = await started();
    client.setImage('k', image());
    void client.reconstruct(params('k', 0.5));
    const waiting = client.reconstruct(params('k', 0.6));
    client.forgetImage('k');
    expect(await waiting).toBeNull();
    expect(workers[0].received.at(-1)).toMatchObject({ type: 'forgetImage', imageKey: 'k' });
    expect(workers[0].reconstructs()).toHaveLength(1);
  });

  it('after a crash: a new worker, the checkpoint reloaded, the images sent again, then the requests of every lane', async () => {
    const { client, workers } = await started();
    const events: ClientEvent[] = [];
    client.on((e) => events.push(e));
    await client.loadCheckpoint({ kind: 'url', baseUrl: './checkpoints/x/', label: 'x' });
    const pixels = image(5);
    client.setImage('k', pixels);
    client.setImage('k2', image(6));
    client.setImage('gone', image(1));
    client.forgetImage('gone');
    const stale = client.reconstruct(params('k', 0.4));
    const latest = client.reconstruct(params('k', 0.5));
    const alone = client.reconstruct(params('k2', 0.6));
    expect(workers[0].reconstructs()).toHaveLength(2);
    workers[0].onerror?.({ message: 'boom', preventDefault() {} } as ErrorEvent);
    await settle();
    expect(workers[0].terminated).toBe(true);
    expect(workers).toHaveLength(2);
    expect(events.some((e) => e.type === 'restarting' && /crashed: boom/.test(e.reason))).toBe(true);
    const w2 = workers[1];
    expect(w2.received.map((m) => m.type)).toEqual(['init', 'loadCheckpoint', 'setImage', 'setImage', 'reconstruct', 'reconstruct']);
    // The images the worker held (not a forgotten one), transferred again from the kept pixels.
    const sets = w2.setImages();
    expect(sets.map((m) => m.imageKey)).toEqual(['k', 'k2']);
    expect(Array.from(sets[0].image.data)).toEqual(Array.from(pixels.data));
    expect(w2.transfers[w2.received.indexOf(sets[0])]).toEqual([sets[0].image.data.buffer]);
    // Per lane the newest request goes again: k's 0.4 (in the dead worker, replaced by 0.5) resolves null.
    const replayed = w2.reconstructs();
    expect(replayed.map((m) => m.imageKey)).toEqual(['k', 'k2']);
    expect(Array.from(replayed[0].mask)).toEqual(Array.from(params('k', 0.5).mask));
    expect(Array.from(replayed[1].mask)).toEqual(Array.from(params('k2', 0.6).mask));
    expect(await stale).toBeNull();
    w2.answer(replayed[0]);
    w2.answer(replayed[1]);
    expect((await latest)?.id).toBe(replayed[0].id);
    expect((await alone)?.imageKey).toBe('k2');
  });

  it('a start waiting on a worker that dies resolves with the new worker\'s backend', async () => {
    const workers: FakeWorker[] = [];
    // The first worker never answers its init; the second does.
    const client = createModelClient(() => { const w = new FakeWorker(workers.length > 0); workers.push(w); return w; });
    const started = client.start('webgl');
    await settle();
    workers[0].onerror?.({ message: 'boom', preventDefault() {} } as ErrorEvent);
    expect(await started).toBe('webgl');
    expect(workers).toHaveLength(2);
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
    client.setImage('k', image());
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

  it('sends inspections in their own lane (a reconstruction never waits behind one), latest wins, and closes the views\' model', async () => {
    const { client, workers } = await started();
    client.setImage('img1', image());
    const capture = { attention: { stack: 'encoder' as const, head: 'mean' as const }, features: false };
    const first = track(client.inspect({ imageKey: 'img1', mask: params('img1', 0.5).mask, capture }));
    const replaced = track(client.inspect({ imageKey: 'img1', mask: params('img1', 0.25).mask, capture }));
    const newest = track(client.inspect({ imageKey: 'img1', mask: params('img1', 0.75).mask, capture }));
    const recon = client.reconstruct(params('img1', 0.75));
    const w = workers[0];
    const inspects = () => w.received.filter((m): m is Extract<WorkerRequest, { type: 'inspect' }> => m.type === 'inspect');
    // One inspection is in the worker and the reconstruction was sent beside it, not behind it.
    expect(inspects()).toHaveLength(1);
    expect(w.reconstructs()).toHaveLength(1);
    await settle();
    expect(replaced).toEqual({ done: true, value: null });
    const answer = (req: Extract<WorkerRequest, { type: 'inspect' }>) => w.reply({
      type: 'inspection', id: req.id, imageKey: req.imageKey, grid: { rows: GRID, cols: GRID }, idsKeep: new Int32Array(0),
      attention: null, features: null, timings: { totalMs: 1, modelMs: 1 },
    });
    answer(inspects()[0]);
    await settle();
    expect(first.value?.id).toBe(inspects()[0].id);
    // Then the newest waiting one (0.75) goes, never the replaced 0.25.
    expect(inspects()).toHaveLength(2);
    expect(countMasked(inspects()[1].mask)).toBe(countMasked(params('img1', 0.75).mask));
    answer(inspects()[1]);
    w.answer(w.reconstructs()[0]);
    expect((await recon)?.type).toBe('reconstruction');
    await settle();
    expect(newest.value?.id).toBe(inspects()[1].id);
    client.closeInspect();
    expect(w.received.at(-1)?.type).toBe('closeInspect');
  });
});
