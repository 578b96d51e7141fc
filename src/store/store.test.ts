import { describe, expect, it } from 'vitest';
import { createAppStore } from './createAppStore';
import { memoryPersistence } from './persistence';
import { DEFAULT_SETTINGS, parseUrlSettings, serializeSettings } from './settings';
import { CAMERA_LANE, SWEEP_RATIOS, sweepKey } from './imagesSlice';
import { seededMask } from './masks';
import type { AppDeps } from './types';
import { FakeClient, FakeDecoder, file, flush, solidRgba, TINY_INFO } from '../../tests/unit/fakes';
import { countMasked, lenKeepFor, maskFor } from '../shared/masking';
import type { MaskPattern } from '../protocol/messages';

/** TINY_INFO's patch grid: 32 px in 8 px patches, 4 x 4. */
const GRID = TINY_INFO.imgSize / TINY_INFO.patchSize;
/** Its number of patches. */
const L = GRID * GRID;
/** Patches hidden at a mask ratio in percent, as the reference's len_keep = int(L * (1 - ratio)) decides. */
const maskedAt = (ratioPct: number) => L - lenKeepFor(L, ratioPct / 100);
/** The seeded mask the settings give on TINY_INFO's grid, as a plain array. */
const expectedMask = (ratioPct: number, seed = 0, pattern: Exclude<MaskPattern, 'painted'> = 'random') =>
  Array.from(seededMask({ pattern, ratioPct, seed }, GRID));

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

  it('[store bug: slot.ts request, null branch] after a worker restart the row is no longer pending once the newest answer is drawn', async () => {
    // The client replays the request the dead worker had; the store asks again when the worker is
    // back, which replaces that replay (it resolves null) with an identical request.
    const client = new FakeClient(TINY_INFO, false);
    const { get } = setup({ client });
    await get().boot();
    await get().addFiles([file('a.png')]);
    const [a] = get().order;
    const first = client.callsFor(a)[0];
    client.crash('GPU device lost: reset', 'wasm');
    expect(get().slots.A.phase).toBe('ready');
    await flush();
    const last = client.callsFor(a).at(-1)!;
    expect(last).not.toBe(first);
    expect(first.superseded).toBe(true);
    expect(client.inFlight(a)).toBe(last);
    last.answer();
    await flush();
    expect(get().slots.A.rows[a].result).not.toBeNull();
    expect(get().slots.A.rows[a].pending).toBe(false);
    // Nothing changed since: a refresh asks nothing more.
    const n = client.calls.length;
    get().refresh();
    expect(client.calls.length).toBe(n);
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
    // The default settings' mask (random, 75 %, seed 0), decided by the store.
    expect(client.calls[0].params.normPixStats).toBe('visible');
    expect(Array.from(client.calls[0].params.mask)).toEqual(expectedMask(75, 0, 'random'));
    expect(countMasked(client.calls[0].params.mask)).toBe(maskedAt(75));
    // Each picture's pixels went to the worker before its request.
    expect(client.setImageCalls).toEqual(get().order);
    expect(client.calls.every((c) => c.image === get().entries[c.params.imageKey].fitted)).toBe(true);
    expect(get().slots.A.rows[a.key].result?.recon.metrics.maskedCount).toBeGreaterThan(0);
    expect(get().slots.A.rows[b.key].result).not.toBeNull();
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
    expect(get().slots.A.rows[entries[0].key].result).not.toBeNull();
    expect(get().slots.A.rows[entries[2].key].result).not.toBeNull();
    expect(get().slots.A.rows[entries[1].key]).toBeUndefined();
    expect(persistence.snapshot().images.map((i) => i.name)).toEqual(['good.png', 'good2.png']);
  });

  it('removes one image and clears all, in state, storage and the worker', async () => {
    const { get, persistence, client } = setup();
    await get().boot();
    await get().addFiles([file('a.png'), file('b.png'), file('c.png')]);
    await flush();
    const [, b] = get().order;
    get().removeImage(b);
    await flush();
    expect(get().order).toHaveLength(2);
    expect(get().entries[b]).toBeUndefined();
    expect(get().slots.A.rows[b]).toBeUndefined();
    // Its pixels leave the worker too.
    expect(client.forgetImageCalls).toEqual([b]);
    expect(client.images.has(b)).toBe(false);
    expect(persistence.snapshot().images.map((i) => i.name)).toEqual(['a.png', 'c.png']);
    get().clearImages();
    await flush();
    expect(get().order).toEqual([]);
    expect(get().entries).toEqual({});
    expect(get().slots.A.rows).toEqual({});
    expect(client.images.size).toBe(0);
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
    expect(get().slots.A.rows[key]).toBeUndefined();
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
  it('requests every visible image on each change; a replaced request is never drawn, the newest is drawn last', async () => {
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
    const calls = client.callsFor(a);
    expect(calls.map((c) => Array.from(c.params.mask))).toEqual([75, 10, 20, 30].map((r) => expectedMask(r)));
    expect(calls.map((c) => countMasked(c.params.mask))).toEqual([75, 10, 20, 30].map(maskedAt));
    expect(client.callsFor(b)).toHaveLength(1);
    expect(get().slots.A.rows[a].pending).toBe(true);

    // The client's latest-wins: the first request is in the worker, 10 % and 20 % were replaced while
    // waiting (they resolved null and never reach the worker), 30 % waits.
    expect(calls.map((c) => c.superseded)).toEqual([false, true, true, false]);
    expect(client.inFlight(a)).toBe(calls[0]);
    await flush();
    expect(get().slots.A.rows[a]).toMatchObject({ pending: true, result: null });

    // The request in the worker still answers: drawn (the panels follow the slider), the newest still pending.
    calls[0].answer();
    await flush();
    expect(get().slots.A.rows[a].result?.ratioPct).toBe(75);
    expect(get().slots.A.rows[a].pending).toBe(true);
    expect(client.inFlight(a)).toBe(calls[3]);
    calls[3].answer();
    await flush();
    expect(get().slots.A.rows[a].result?.ratioPct).toBe(30);
    expect(Array.from(get().slots.A.rows[a].result!.mask)).toEqual(expectedMask(30));
    expect(get().slots.A.rows[a].pending).toBe(false);
    expect(calls.filter((c) => c.sent).map((c) => c.id)).toEqual([calls[0].id, calls[3].id]);

    // b catches up when it becomes visible again, with the current settings.
    get().setVisible(b, true);
    expect(client.callsFor(b).map((c) => Array.from(c.params.mask))).toEqual([expectedMask(75), expectedMask(30)]);
  });

  it('does not draw a stale result even if the client answered it: an older checkpoint\'s never, an older mask\'s only until the newest lands', async () => {
    const client = new FakeClient(TINY_INFO, false);
    const { get } = setup({ client });
    await get().boot();
    await get().addFiles([file('a.png')]);
    const [a] = get().order;
    get().setSeed(5);
    const calls = client.callsFor(a);
    expect(calls.map((c) => Array.from(c.params.mask))).toEqual([expectedMask(75, 0), expectedMask(75, 5)]);
    calls[0].answer();
    await flush();
    expect(get().slots.A.rows[a]).toMatchObject({ pending: true, result: { seed: 0 } });
    calls[1].answer();
    await flush();
    expect(get().slots.A.rows[a]).toMatchObject({ pending: false, result: { seed: 5 } });

    // A checkpoint lands while a request of the previous one is in the worker: that answer is never drawn.
    get().setSeed(6);
    const old = client.callsFor(a).at(-1)!;
    expect(await get().slotApi.A.load({ kind: 'random', label: 'other weights' })).toBe(true);
    const redo = client.callsFor(a).at(-1)!;
    expect(redo).not.toBe(old);
    expect(Array.from(redo.params.mask)).toEqual(expectedMask(75, 6));
    old.answer();
    await flush();
    expect(get().slots.A.rows[a].result?.seed).toBe(5);
    expect(get().slots.A.rows[a].pending).toBe(true);
    redo.answer();
    await flush();
    expect(get().slots.A.rows[a]).toMatchObject({ pending: false, result: { seed: 6 } });
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
    expect(client.setImageCalls).toHaveLength(1);
  });

  it('shows a failed reconstruction and retries on the next change', async () => {
    const client = new FakeClient(TINY_INFO, false);
    const { get } = setup({ client });
    await get().boot();
    await get().addFiles([file('a.png')]);
    const [a] = get().order;
    client.calls[0].reject(new Error('out of memory'));
    await flush();
    expect(get().slots.A.rows[a].error).toBe('out of memory');
    expect(get().slots.A.rows[a].pending).toBe(false);
    get().setSeed(1);
    client.calls[1].answer();
    await flush();
    expect(get().slots.A.rows[a].error).toBeNull();
    expect(get().slots.A.rows[a].result?.seed).toBe(1);
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
    // The new fit replaces the picture's pixels in the worker, once.
    const [a] = get().order;
    expect(client.setImageCalls).toEqual([a, a]);
    expect(client.images.get(a)).toBe(get().entries[a].fitted);
    expect(client.calls[1].image).toBe(get().entries[a].fitted);
  });

  it('runs at twice the checkpoint size, and at the photo\'s aspect, on that grid\'s mask', async () => {
    const { get, decoder, client } = setup();
    await get().boot();
    await get().addFiles([file('a.png')]);
    await flush();
    const [a] = get().order;
    get().setInputScale('double');
    await flush();
    const p = TINY_INFO.patchSize;
    expect(decoder.calls.at(-1)).toEqual({ size: 2 * TINY_INFO.imgSize, mode: 'crop', patch: p });
    const double = client.calls.at(-1)!;
    expect([double.image!.width, double.image!.height]).toEqual([2 * TINY_INFO.imgSize, 2 * TINY_INFO.imgSize]);
    expect(Array.from(double.params.mask)).toEqual(Array.from(seededMask({ pattern: 'random', ratioPct: 75, seed: 0 }, 2 * GRID)));
    expect(get().slots.A.rows[a].result!.recon.reconstruction.width).toBe(2 * TINY_INFO.imgSize);
    // Whole picture: the fake's 640 x 480 source at a long side of 8 patches is 8 x 6 patches.
    get().setResize('whole');
    await flush();
    const whole = client.calls.at(-1)!;
    expect([whole.image!.width, whole.image!.height]).toEqual([8 * p, 6 * p]);
    expect(Array.from(whole.params.mask)).toEqual(Array.from(seededMask({ pattern: 'random', ratioPct: 75, seed: 0 }, 6, 8)));
    expect(get().entries[a].fitted).toBe(whole.image);
  });
});

describe('painted pattern', () => {
  it('starts painting from the current mask and sends the painted mask', async () => {
    const { get, client } = setup();
    await get().boot();
    await get().addFiles([file('a.png')]);
    await flush();
    const [a] = get().order;
    const shown = get().slots.A.rows[a].result!.mask;
    expect(Array.from(shown)).toEqual(expectedMask(75));
    get().setPattern('painted');
    expect(Array.from(get().entries[a].paintedMask!)).toEqual(Array.from(shown));
    // The mask asked for is the one shown (identical: the worker need not run it again).
    expect(Array.from(client.calls.at(-1)!.params.mask)).toEqual(Array.from(shown));

    const next = Uint8Array.from(shown);
    next[0] = next[0] ? 0 : 1;
    get().setPaintedMask(a, next, true);
    const sent = client.calls.at(-1)!.params;
    expect(Array.from(sent.mask)).toEqual(Array.from(next));
    expect(countMasked(sent.mask)).toBe(countMasked(next));
    await flush();
    expect(get().slots.A.rows[a].result?.mask[0]).toBe(next[0]);
    expect(get().slots.A.rows[a].result?.pattern).toBe('painted');
  });

  it('[store bug: slot.ts request signature] labels the drawn result with the current settings when they give the same mask', async () => {
    // What the row says it shows (download name, data-result-pattern, data-result-ratio that the e2e
    // page object waits for) must follow the settings even when a new setting gives the very same
    // mask, so that no new request is needed.
    const { get } = setup();
    await get().boot();
    await get().addFiles([file('a.png')]);
    await flush();
    const [a] = get().order;
    // On 16 patches, 20 % and 25 % both hide 4 (len_keep = int(12.8) = int(12) = 12).
    get().setRatioPct(20);
    await flush();
    expect(maskedAt(20)).toBe(maskedAt(25));
    get().setRatioPct(25);
    await flush();
    expect(get().slots.A.rows[a].result?.ratioPct).toBe(25);
    get().setPattern('painted');
    await flush();
    const row = get().slots.A.rows[a];
    expect(Array.from(row.result!.mask)).toEqual(Array.from(get().entries[a].paintedMask!));
    expect(row.result?.pattern).toBe('painted');
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
    // One lane per ratio, on the picture already in the worker (its pixels are not sent again).
    expect(sweepCalls.map((c) => c.lane)).toEqual(SWEEP_RATIOS.map((r) => sweepKey(a, r)));
    expect(sweepCalls.every((c) => c.params.imageKey === a)).toBe(true);
    expect(client.setImageCalls).toEqual([a]);
    expect(sweepCalls.map((c) => countMasked(c.params.mask))).toEqual([10, 25, 50, 75, 90].map(maskedAt));
    // One seed throughout: each cell's mask is seed 77's at its ratio.
    expect(sweepCalls.map((c) => Array.from(c.params.mask))).toEqual(
      SWEEP_RATIOS.map((r) => Array.from(maskFor({ pattern: 'random', maskRatio: r / 100, seed: 77 }, GRID))));
    await flush();
    const sweep = get().entries[a].sweep!;
    expect(sweep.seed).toBe(77);
    expect(sweep.items.every((i) => i.result !== null && i.result.seed === 77)).toBe(true);
    expect(get().slots.A.rows[a].result?.seed).toBe(77); // the row itself was not superseded
    get().closeSweep(a);
    expect(get().entries[a].sweep).toBeNull();
  });
});

describe('mask first', () => {
  it('sets a picture\'s pixels in the client once across many slider changes', async () => {
    const { get, client } = setup();
    await get().boot();
    await get().addFiles([file('a.png')]);
    await flush();
    const [a] = get().order;
    for (let r = 5; r <= 95; r += 5) get().setRatioPct(r);
    get().setSeed(3);
    get().setPattern('block');
    get().setPattern('grid');
    get().setNormPixStats('true');
    await flush();
    // Many requests (settings giving a mask already asked for are skipped), one image.
    expect(client.calls.length).toBeGreaterThan(10);
    expect(client.setImageCalls).toEqual([a]);
    expect(client.images.get(a)).toBe(get().entries[a].fitted);
    expect(client.calls.every((c) => c.params.imageKey === a)).toBe(true);
    expect(get().slots.A.rows[a].result).toMatchObject({ pattern: 'grid', seed: 3, ratioPct: 95 });
  });

  it('asks for a mask hiding as many patches as the ratio says, for every seeded pattern', async () => {
    const { get, client } = setup();
    await get().boot();
    await get().addFiles([file('a.png')]);
    await flush();
    const [a] = get().order;
    for (const pattern of ['random', 'block', 'grid'] as const) {
      get().setPattern(pattern);
      for (const r of [0, 10, 25, 50, 60, 75, 90, 95]) {
        const before = client.calls.length;
        get().setRatioPct(r);
        // A mask reconstructed before is drawn from the slot's cache, with no new request.
        const mask = client.calls.length > before ? client.calls.at(-1)!.params.mask : get().slots.A.rows[a].result!.mask;
        expect(mask.length, `${pattern} ${r}`).toBe(L);
        expect(countMasked(mask), `${pattern} ${r}`).toBe(maskedAt(r));
        expect(Array.from(mask), `${pattern} ${r}`).toEqual(expectedMask(r, 0, pattern));
      }
    }
    await flush();
    expect(get().slots.A.rows[a].result?.recon.metrics.maskedCount).toBe(maskedAt(95));
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

describe('links and first visits', () => {
  it('a painted link without a painting starts from the seeded mask and reconstructs', async () => {
    const { get, client } = setup({ urlSettings: parseUrlSettings('?pattern=painted&ratio=50&seed=4') });
    // The picture decodes before the model is in: no grid known yet, so no painting either.
    await get().addFiles([file('a.png')]);
    expect(get().entries[get().order[0]].paintedMask).toBeNull();
    await get().boot();
    await flush();
    const key = get().order[0];
    const grid = TINY_INFO.imgSize / TINY_INFO.patchSize;
    const expected = seededMask({ pattern: 'random', ratioPct: 50, seed: 4 }, grid);
    expect(Array.from(get().entries[key].paintedMask!)).toEqual(Array.from(expected));
    expect(Array.from(client.callsFor(key).at(-1)!.params.mask)).toEqual(Array.from(expected));
    expect(get().slots.A.rows[key].result).not.toBeNull();
  });

  it('a link names bundled samples with their paintings; a first visit opens with one sample', async () => {
    const fetched: string[] = [];
    const fetchSample = async (f: string) => {
      fetched.push(f);
      return file(f);
    };
    const grid = TINY_INFO.imgSize / TINY_INFO.patchSize;
    const painted = new Uint8Array(grid * grid);
    painted[3] = 1;
    const { encodeMaskBits } = await import('../shared/masking');
    const linked = setup({ fetchSample, urlImages: { samples: ['b.jpg'], paints: [encodeMaskBits(painted)] }, firstSample: 'a.jpg' });
    await linked.get().boot();
    await flush();
    expect(fetched).toEqual(['b.jpg']);
    const key = linked.get().order[0];
    expect(linked.get().entries[key].sample).toBe('b.jpg');
    expect(Array.from(linked.get().entries[key].paintedMask!)).toEqual(Array.from(painted));
    // Added twice: still one row.
    await linked.get().addSample('b.jpg');
    expect(linked.get().order).toHaveLength(1);

    fetched.length = 0;
    const first = setup({ fetchSample, firstSample: 'a.jpg' });
    await first.get().boot();
    await flush();
    expect(fetched).toEqual(['a.jpg']);
    expect(first.get().order).toHaveLength(1);
  });

  it('Remove all can be undone, and the pictures are stored again', async () => {
    const { get, persistence } = setup();
    await get().boot();
    await get().addFiles([file('a.png'), file('b.png')]);
    await flush();
    const keys = [...get().order];
    get().clearImages();
    await flush();
    expect(get().order).toEqual([]);
    expect((await persistence.load()).images).toHaveLength(0);
    get().undoRemove();
    await flush();
    expect(get().order).toEqual(keys);
    expect((await persistence.load()).images.map((i) => i.key).sort()).toEqual([...keys].sort());
    expect(get().removed).toBeNull();
  });
});

describe('camera frames', () => {
  it('go through slot A on one latest-wins lane: a frame waiting behind a newer one is dropped, not queued', async () => {
    const { get, client } = setup();
    await get().boot();
    const frame = (v: number) => solidRgba(TINY_INFO.imgSize, v);
    const frames = [frame(10), frame(20), frame(30)];
    const results = await Promise.all(frames.map((f) => get().reconstructFrame(f)));
    // The first was in the worker, the second waited and was replaced by the third.
    expect(results.map((r) => (r ? r.input : null))).toEqual([frames[0], null, frames[2]]);
    const calls = client.callsFor(CAMERA_LANE);
    expect(calls.filter((c) => c.sent)).toHaveLength(2);
    expect(Array.from(results[2]!.mask)).toEqual(expectedMask(75));
    expect(results[2]!.recon.reconstruction.width).toBe(TINY_INFO.imgSize);
    // No row is made for a frame; stopping drops the frame from the worker.
    expect(get().order).toEqual([]);
    get().stopFrames();
    expect(client.forgetImageCalls).toEqual([`${CAMERA_LANE}:${TINY_INFO.imgSize}x${TINY_INFO.imgSize}`]);
  });

  it('a frame on another grid gets that grid\'s mask; nothing runs before a model is ready', async () => {
    const { get } = setup();
    expect(await get().reconstructFrame(solidRgba(TINY_INFO.imgSize))).toBeNull();
    await get().boot();
    const wide = { width: 2 * TINY_INFO.imgSize, height: TINY_INFO.imgSize, data: new Uint8ClampedArray(2 * TINY_INFO.imgSize ** 2 * 4) };
    const r = await get().reconstructFrame(wide);
    expect(Array.from(r!.mask)).toEqual(Array.from(seededMask({ pattern: 'random', ratioPct: 75, seed: 0 }, GRID, 2 * GRID)));
    await expect(get().reconstructFrame({ width: 33, height: 32, data: new Uint8ClampedArray(33 * 32 * 4) })).rejects.toThrow(/not whole 8 px patches/);
  });
});
