import { describe, expect, it } from 'vitest';
import { createAppStore } from './createAppStore';
import { memoryPersistence } from './persistence';
import { DEFAULT_SETTINGS, parseUrlSettings, serializeSettings } from './settings';
import { SWEEP_RATIOS, sweepKey } from './imagesSlice';
import type { AppDeps } from './types';
import { FakeClient, FakeDecoder, fakeReconstruction, file, flush, TINY_INFO } from '../../tests/unit/fakes';
import type { ReconstructParams, Reconstruction } from '../worker-client/types';

function setup(over: Partial<AppDeps> = {}) {
  const client = (over.client as FakeClient | undefined) ?? new FakeClient();
  const decoder = new FakeDecoder();
  const persistence = (over.persistence as ReturnType<typeof memoryPersistence> | undefined) ?? memoryPersistence();
  let t = 1000;
  const store = createAppStore({
    client, decoder, persistence, schedule: (fn) => fn(), now: () => t++, settingsSaveDelayMs: 0, ...over,
  });
  return { store, client, decoder, persistence, get: () => store.getState() };
}

describe('model start', () => {
  it('loads the bundled checkpoint and is ready after it', async () => {
    const { get, client } = setup();
    expect(get().slots.A.phase).toBe('idle');
    await get().boot();
    expect(client.loads.map((s) => s.kind)).toEqual(['url']);
    expect(get().slots.A.phase).toBe('ready');
    expect(get().slots.A.checkpoint?.label).toBe('mae-small (bundled)');
    expect(get().slots.A.fallbackReason).toBeNull();
    expect(get().slots.A.info).toEqual(TINY_INFO);
    expect(get().slots.A.backend).toBe('cpu');
  });

  it('falls back to random weights and says why', async () => {
    const client = new FakeClient();
    client.failUrlLoad = true;
    const { get } = setup({ client });
    await get().boot();
    expect(client.loads.map((s) => s.kind)).toEqual(['url', 'random']);
    expect(get().slots.A.phase).toBe('ready');
    expect(get().slots.A.checkpoint).toMatchObject({ label: 'random weights, for testing', kind: 'random' });
    expect(get().slots.A.fallbackReason).toMatch(/404/);
  });

  it('reports an error when no checkpoint loads', async () => {
    const client = new FakeClient();
    client.failAllLoads = true;
    const { get } = setup({ client });
    await get().boot();
    expect(get().slots.A.phase).toBe('error');
    expect(get().slots.A.error).toMatch(/No checkpoint/);
  });

  it('passes the ?backend= override to the client', async () => {
    const { get, client } = setup({ urlSettings: parseUrlSettings('?backend=wasm') });
    await get().boot();
    expect(client.startedWith).toBe('wasm');
  });

  it('shows restarts', async () => {
    const { get, client } = setup();
    await get().boot();
    client.emit({ type: 'restarting', reason: 'GPU device lost: reset', backend: 'wasm' });
    expect(get().slots.A.phase).toBe('restarting');
    expect(get().slots.A.message).toMatch(/restarting on wasm/);
    client.emit({ type: 'backend', backend: 'wasm', notes: [] });
    expect(get().slots.A.phase).toBe('ready');
    expect(get().slots.A.backend).toBe('wasm');
  });
});

describe('images slice', () => {
  it('adds images, decodes at the model size, persists and reconstructs them', async () => {
    const { get, client, decoder, persistence } = setup();
    await get().boot();
    await get().addFiles([file('a.png'), file('b.jpg')]);
    await flush();
    expect(get().order).toHaveLength(2);
    const [a, b] = get().order.map((k) => get().entries[k]);
    expect(a.name).toBe('a.png');
    expect(a.status).toBe('ready');
    expect(b.status).toBe('ready');
    expect(decoder.calls.every((c) => c.size === TINY_INFO.imgSize && c.mode === 'crop')).toBe(true);
    expect(persistence.snapshot().images.map((i) => i.name)).toEqual(['a.png', 'b.jpg']);
    expect(client.calls.map((c) => c.params.imageKey)).toEqual(get().order);
    expect(client.calls[0].params).toMatchObject({ maskRatio: 0.75, seed: 0, pattern: 'random', normPixStats: 'visible' });
    expect(get().entries[a.key].result?.recon.metrics.maskedCount).toBeGreaterThan(0);
    expect(get().slots.A.lastTimings).toEqual({ totalMs: 12, modelMs: 10 });
  });

  it('gives a bad file an error row and keeps the others working', async () => {
    const { get, persistence } = setup();
    await get().boot();
    await get().addFiles([file('good.png'), file('notes.txt', 'bad bytes'), file('good2.png')]);
    await flush();
    const entries = get().order.map((k) => get().entries[k]);
    expect(entries.map((e) => e.status)).toEqual(['ready', 'error', 'ready']);
    expect(entries[1].error).toMatch(/could not be decoded/);
    expect(entries[0].result).not.toBeNull();
    expect(entries[2].result).not.toBeNull();
    expect(persistence.snapshot().images.map((i) => i.name)).toEqual(['good.png', 'good2.png']);
  });

  it('removes one image and clears all, in state and storage', async () => {
    const { get, persistence } = setup();
    await get().boot();
    await get().addFiles([file('a.png'), file('b.png'), file('c.png')]);
    await flush();
    const [, b] = get().order;
    get().removeImage(b);
    await flush();
    expect(get().order).toHaveLength(2);
    expect(get().entries[b]).toBeUndefined();
    expect(persistence.snapshot().images.map((i) => i.name)).toEqual(['a.png', 'c.png']);
    get().clearImages();
    await flush();
    expect(get().order).toEqual([]);
    expect(get().entries).toEqual({});
    expect(persistence.snapshot().images).toEqual([]);
  });

  it('ignores a result that arrives after its image was removed', async () => {
    const client = new FakeClient(TINY_INFO, false);
    const { get } = setup({ client });
    await get().boot();
    await get().addFiles([file('a.png')]);
    const [key] = get().order;
    get().removeImage(key);
    client.calls[0].answer();
    await flush();
    expect(get().entries[key]).toBeUndefined();
  });

  it('restores a saved session on boot', async () => {
    const first = setup();
    await first.get().boot();
    await first.get().addFiles([file('kept.png')]);
    first.get().setRatioPct(40);
    await flush();
    const second = setup({ persistence: first.persistence, client: new FakeClient() });
    await second.get().boot();
    await flush();
    expect(second.get().order.map((k) => second.get().entries[k].name)).toEqual(['kept.png']);
    expect(second.get().settings.ratioPct).toBe(40);
    expect(second.get().entries[second.get().order[0]].status).toBe('ready');
  });

  it('lets the URL win over saved settings', async () => {
    const persistence = memoryPersistence({ settings: { ratioPct: 40, seed: 9 }, images: [] });
    const { get } = setup({ persistence, urlSettings: parseUrlSettings('?ratio=60') });
    await get().boot();
    expect(get().settings.ratioPct).toBe(60);
    expect(get().settings.seed).toBe(9);
  });
});

describe('latest wins', () => {
  it('requests every visible image on each change and draws only the newest answer', async () => {
    const client = new FakeClient(TINY_INFO, false);
    const { get } = setup({ client });
    await get().boot();
    await get().addFiles([file('a.png'), file('b.png')]);
    const [a, b] = get().order;
    get().setVisible(b, false);
    get().setRatioPct(10);
    get().setRatioPct(20);
    get().setRatioPct(30);
    // a: initial + 3 changes; b: only the initial one (it scrolled away).
    expect(client.callsFor(a).map((c) => c.params.maskRatio)).toEqual([0.75, 0.1, 0.2, 0.3]);
    expect(client.callsFor(b)).toHaveLength(1);
    expect(get().entries[a].pending).toBe(true);

    // Answers arrive out of order: the newest first, then the stale ones.
    const calls = client.callsFor(a);
    calls[3].answer();
    await flush();
    expect(get().entries[a].result?.ratioPct).toBe(30);
    expect(get().entries[a].pending).toBe(false);
    calls[1].answer();
    calls[2].answer();
    await flush();
    expect(get().entries[a].result?.ratioPct).toBe(30);

    // b catches up when it becomes visible again, with the current settings.
    get().setVisible(b, true);
    expect(client.callsFor(b).map((c) => c.params.maskRatio)).toEqual([0.75, 0.3]);
  });

  it('does not draw a stale result even if the client answered it', async () => {
    // A client without latest-wins of its own: both requests resolve with real results.
    const client = new FakeClient(TINY_INFO, false);
    const raw: { params: ReconstructParams; resolve: (r: Reconstruction) => void }[] = [];
    client.reconstruct = (params) => new Promise((resolve) => raw.push({ params, resolve }));
    const { get } = setup({ client });
    await get().boot();
    await get().addFiles([file('a.png')]);
    const [a] = get().order;
    get().setSeed(5);
    expect(raw.map((r) => r.params.seed)).toEqual([0, 5]);
    raw[1].resolve(fakeReconstruction(raw[1].params, TINY_INFO));
    await flush();
    raw[0].resolve(fakeReconstruction(raw[0].params, TINY_INFO));
    await flush();
    expect(get().entries[a].result?.seed).toBe(5);
  });

  it('does not re-request when nothing relevant changed', async () => {
    const { get, client } = setup();
    await get().boot();
    await get().addFiles([file('a.png')]);
    await flush();
    const n = client.calls.length;
    get().setGrid(true);
    get().setHeatmap(true);
    get().setMaskStyle('checker');
    get().refresh();
    expect(client.calls.length).toBe(n);
  });

  it('shows a failed reconstruction and retries on the next change', async () => {
    const client = new FakeClient(TINY_INFO, false);
    const { get } = setup({ client });
    await get().boot();
    await get().addFiles([file('a.png')]);
    const [a] = get().order;
    client.calls[0].reject(new Error('out of memory'));
    await flush();
    expect(get().entries[a].reconError).toBe('out of memory');
    expect(get().entries[a].pending).toBe(false);
    get().setSeed(1);
    client.calls[1].answer();
    await flush();
    expect(get().entries[a].reconError).toBeNull();
    expect(get().entries[a].result?.seed).toBe(1);
  });

  it('re-fits images when the resize mode changes', async () => {
    const { get, decoder, client } = setup();
    await get().boot();
    await get().addFiles([file('a.png')]);
    await flush();
    get().setResize('squash');
    await flush();
    expect(decoder.calls.map((c) => c.mode)).toEqual(['crop', 'squash']);
    expect(client.calls).toHaveLength(2);
  });
});

describe('painted pattern', () => {
  it('starts painting from the current mask and sends the painted mask', async () => {
    const { get, client } = setup();
    await get().boot();
    await get().addFiles([file('a.png')]);
    await flush();
    const [a] = get().order;
    const shown = get().entries[a].result!.recon.mask;
    get().setPattern('painted');
    expect(Array.from(get().entries[a].paintedMask!)).toEqual(Array.from(shown));
    // Same mask as shown, but a new request (the pattern changed).
    const last = client.calls.at(-1)!;
    expect(last.params.pattern).toBe('painted');
    expect(Array.from(last.params.paintedMask!)).toEqual(Array.from(shown));

    const next = Uint8Array.from(shown);
    next[0] = next[0] ? 0 : 1;
    get().setPaintedMask(a, next, true);
    const sent = client.calls.at(-1)!.params;
    expect(sent.paintedMask![0]).toBe(next[0]);
    expect(sent.maskRatio).toBeCloseTo(next.reduce((x, v) => x + v, 0) / next.length);
    await flush();
    expect(get().entries[a].result?.recon.mask[0]).toBe(next[0]);
  });
});

describe('sweep', () => {
  it('reconstructs at each sweep ratio with one seed and its own keys', async () => {
    const { get, client } = setup();
    await get().boot();
    await get().addFiles([file('a.png')]);
    await flush();
    const [a] = get().order;
    get().setSeed(77);
    await flush();
    const before = client.calls.length;
    get().runSweep(a);
    const sweepCalls = client.calls.slice(before);
    expect(sweepCalls.map((c) => c.params.imageKey)).toEqual(SWEEP_RATIOS.map((r) => sweepKey(a, r)));
    expect(sweepCalls.map((c) => c.params.maskRatio)).toEqual([0.1, 0.25, 0.5, 0.75, 0.9]);
    expect(new Set(sweepCalls.map((c) => c.params.seed))).toEqual(new Set([77]));
    await flush();
    const sweep = get().entries[a].sweep!;
    expect(sweep.items.every((i) => i.result !== null)).toBe(true);
    expect(get().entries[a].result?.seed).toBe(77); // the row itself was not superseded
    get().closeSweep(a);
    expect(get().entries[a].sweep).toBeNull();
  });
});

describe('settings', () => {
  it('updates, clamps, saves, and round-trips through the URL', async () => {
    const { get, persistence } = setup({ random: () => 0.5 });
    await get().boot();
    get().setRatioPct(120);
    expect(get().settings.ratioPct).toBe(95);
    get().setRatioPct(33);
    get().newSeed();
    expect(get().settings.seed).toBe(50_000);
    get().setPattern('grid');
    get().setMaskStyle('checker');
    get().setResize('squash');
    get().setGrid(true);
    get().setHeatmap(true);
    get().setBackend('webgl');
    await flush();
    const s = get().settings;
    expect(s).toEqual({ ...DEFAULT_SETTINGS, ratioPct: 33, seed: 50_000, pattern: 'grid', maskStyle: 'checker', resize: 'squash', grid: true, heatmap: true, backend: 'webgl' });
    expect(persistence.snapshot().settings).toMatchObject({ ratioPct: 33, pattern: 'grid', backend: null });

    const url = serializeSettings(s, '?foo=bar');
    const again = setup({ urlSettings: parseUrlSettings(url) });
    expect(again.get().settings).toEqual(s);
    expect(new URLSearchParams(url).get('foo')).toBe('bar');
  });
});
