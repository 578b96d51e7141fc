// Checkpoint B: a second client that reconstructs every picture under A's mask.
import { describe, expect, it } from 'vitest';
import type { CheckpointSource, ModelInfo } from '../protocol/messages';
import { FakeClient, FakeDecoder, file, flush, TINY_INFO } from '../../tests/unit/fakes';
import { countMasked, lenKeepFor } from '../shared/masking';
import { resampleMask, sameMask, seededMask } from './masks';
import { createAppStore } from './createAppStore';
import { memoryPersistence } from './persistence';
import type { AppDeps } from './types';
import type { ReconstructParams } from '../worker-client/types';

/** B with another patch grid: 64 px in 8 px patches (8×8) against A's 32 px in 8 px (4×4). */
const OTHER_GRID: ModelInfo = { ...TINY_INFO, imgSize: 64, patchSize: 8, parameters: 54321 };

class CountingClient extends FakeClient {
  disposed = 0;
  started = 0;
  override async start(preferred?: Parameters<FakeClient['start']>[0]) {
    this.started++;
    return super.start(preferred);
  }
  override dispose() {
    this.disposed++;
  }
}

function setup(over: Partial<AppDeps> & { b?: CountingClient } = {}) {
  const a = new FakeClient();
  const b = over.b ?? new CountingClient();
  let made = 0;
  const decoder = new FakeDecoder();
  const store = createAppStore({
    client: a, decoder, persistence: memoryPersistence(), schedule: (fn) => fn(), now: () => 1, settingsSaveDelayMs: 0,
    createCompareClient: () => (made++, b), ...over,
  });
  return { store, a, b, decoder, get: () => store.getState(), made: () => made };
}

const RANDOM: CheckpointSource = { kind: 'random', label: 'random B' };
/** The mask half of a request. */
const maskOf = (p: ReconstructParams) => ({ mask: Array.from(p.mask), normPixStats: p.normPixStats });
/** A's patch grid (TINY_INFO: 4 x 4) and B's when it differs (OTHER_GRID: 8 x 8). */
const GRID_A = TINY_INFO.imgSize / TINY_INFO.patchSize;
const GRID_B = OTHER_GRID.imgSize / OTHER_GRID.patchSize;

async function ready(s: ReturnType<typeof setup>, images = ['a.png', 'b.png']) {
  await s.get().boot();
  await s.get().addFiles(images.map((n) => file(n)));
  await flush();
}

describe('compare slice', () => {
  it('is off until asked, then starts a second client lazily and loads B', async () => {
    const s = setup();
    await ready(s);
    expect(s.get().slots.B).toMatchObject({ available: true, phase: 'off', ref: null });
    expect(s.made()).toBe(0);
    expect(await s.get().slotApi.B.load(RANDOM)).toBe(true);
    expect(s.made()).toBe(1);
    expect(s.b.started).toBe(1);
    expect(s.b.loads).toEqual([RANDOM]);
    expect(s.get().slots.B).toMatchObject({ phase: 'ready', ref: 'random', info: TINY_INFO, checkpoint: { label: 'random B' } });
    expect(s.a.loads.map((x) => x.kind)).toEqual(['url']); // A untouched
  });

  it('sends B the same seed, ratio, pattern, statistics and mask as A, for every picture', async () => {
    const s = setup();
    await ready(s);
    await s.get().slotApi.B.load(RANDOM);
    await flush();
    const keys = s.get().order;
    const check = () => {
      for (const key of keys) {
        const lastA = s.a.callsFor(key).at(-1)!.params;
        const lastB = s.b.callsFor(key).at(-1)!.params;
        expect(maskOf(lastB)).toEqual(maskOf(lastA));
        expect(sameMask(lastB.mask, lastA.mask)).toBe(true);
        // The same fitted pixels, in both workers.
        expect(s.b.images.get(key)).toBe(s.a.images.get(key));
        expect(s.b.images.get(key)).toBe(s.get().entries[key].fitted);
      }
    };
    check();
    s.get().setRatioPct(40);
    s.get().setSeed(1234);
    check();
    s.get().setPattern('block');
    check();
    s.get().setNormPixStats('true');
    check();
    s.get().setPattern('painted');
    await flush();
    const [k] = keys;
    const painted = Uint8Array.from(s.get().entries[k].paintedMask!);
    painted[0] = painted[0] ? 0 : 1;
    s.get().setPaintedMask(k, painted);
    check();
    expect(Array.from(s.b.callsFor(k).at(-1)!.params.mask)).toEqual(Array.from(painted));
    await flush();
    // Results are kept per picture, with what produced them.
    const row = s.get().slots.B.rows[k];
    expect(row.pending).toBe(false);
    expect(row.result?.pattern).toBe('painted');
    expect(sameMask(row.result!.mask, s.get().slots.A.rows[k].result!.mask)).toBe(true);
    expect(sameMask(row.result!.mask, painted)).toBe(true);
  });

  it('does not ask B again when nothing relevant changed, and skips pictures out of view', async () => {
    const s = setup();
    await ready(s);
    await s.get().slotApi.B.load(RANDOM);
    await flush();
    const n = s.b.calls.length;
    s.get().setGrid(true);
    s.get().setHeatmap(true);
    s.get().refresh();
    expect(s.b.calls.length).toBe(n);
    const [a, b] = s.get().order;
    s.get().setVisible(b, false);
    s.get().setSeed(9);
    const seed = (n: number) => Array.from(seededMask({ pattern: 'random', ratioPct: 75, seed: n }, GRID_A));
    expect(Array.from(s.b.callsFor(a).at(-1)!.params.mask)).toEqual(seed(9));
    expect(Array.from(s.b.callsFor(b).at(-1)!.params.mask)).toEqual(seed(0));
    s.get().setVisible(b, true);
    expect(Array.from(s.b.callsFor(b).at(-1)!.params.mask)).toEqual(seed(9));
  });

  it('fits pictures to B’s own size and carries a painted mask to B’s grid when the grids differ', async () => {
    const s = setup({ b: new CountingClient(OTHER_GRID) });
    await ready(s, ['a.png']);
    await s.get().slotApi.B.load(RANDOM);
    await flush();
    const [k] = s.get().order;
    expect(s.decoder.calls.map((c) => c.size)).toEqual([32, 64]);
    const req = s.b.callsFor(k).at(-1)!.params;
    expect(s.b.images.get(k)!.width).toBe(64);
    expect(s.a.images.get(k)!.width).toBe(32);
    // Same seed, ratio and pattern, each on its own grid: as many patches hidden as the ratio says.
    const { settings } = s.get();
    expect(Array.from(req.mask)).toEqual(Array.from(seededMask(settings, GRID_B)));
    expect(Array.from(s.a.callsFor(k).at(-1)!.params.mask)).toEqual(Array.from(seededMask(settings, GRID_A)));
    expect(countMasked(req.mask)).toBe(64 - lenKeepFor(64, settings.ratioPct / 100));
    expect(req.normPixStats).toBe(s.a.callsFor(k).at(-1)!.params.normPixStats);
    expect(s.get().slots.B.rows[k].result?.mask.length).toBe(64);

    s.get().setPattern('painted');
    await flush();
    const painted = Uint8Array.from(s.get().entries[k].paintedMask!);
    painted[0] = painted[0] ? 0 : 1;
    s.get().setPaintedMask(k, painted);
    await flush();
    const aMask = s.a.callsFor(k).at(-1)!.params.mask;
    const bMask = s.b.callsFor(k).at(-1)!.params.mask;
    expect(aMask.length).toBe(16);
    expect(Array.from(aMask)).toEqual(Array.from(painted));
    expect(Array.from(bMask)).toEqual(Array.from(resampleMask(aMask, 8)!));
    // A new fit mode re-fits B's copy too.
    s.get().setResize('squash');
    await flush();
    expect(s.decoder.calls.filter((c) => c.size === 64).map((c) => c.mode)).toEqual(['crop', 'squash']);
  });

  it('keeps the previous B when another fails; a first failure turns comparing off again', async () => {
    const s = setup();
    await ready(s, ['a.png']);
    s.b.failAllLoads = true;
    expect(await s.get().slotApi.B.load(RANDOM)).toBe(false);
    expect(s.get().slots.B).toMatchObject({ phase: 'off', ref: null, info: null, loadError: { kind: 'other' } });
    expect(s.b.disposed).toBe(1);

    s.b.failAllLoads = false;
    await s.get().slotApi.B.load(RANDOM);
    s.b.failAllLoads = true;
    expect(await s.get().slotApi.B.loadRef('bundled')).toBe(false);
    expect(s.get().slots.B).toMatchObject({ phase: 'ready', ref: 'random', info: TINY_INFO, loadError: { label: 'mae-small (bundled)' } });
    expect(s.get().slots.B.checkpoint?.label).toBe('random B');
  });

  it('stops: B’s worker ends and its results go; removed pictures lose their B row', async () => {
    const s = setup();
    await ready(s);
    await s.get().slotApi.B.load(RANDOM);
    await flush();
    const [a] = s.get().order;
    expect(Object.keys(s.get().slots.B.rows)).toHaveLength(2);
    s.get().removeImage(a);
    expect(Object.keys(s.get().slots.B.rows)).toHaveLength(1);
    await s.get().slotApi.B.close();
    expect(s.b.disposed).toBe(1);
    expect(s.get().slots.B).toMatchObject({ phase: 'off', ref: null, rows: {} });
    const n = s.b.calls.length;
    s.get().setSeed(5);
    expect(s.b.calls.length).toBe(n);
  });

  it('follows cmp= from the link after A is up', async () => {
    const s = setup({ urlCheckpoints: { compare: 'random' } });
    expect(s.get().slots.B.ref).toBe('random');
    await s.get().boot();
    expect(s.b.loads.map((x) => x.kind)).toEqual(['random']);
    expect(s.get().slots.B.phase).toBe('ready');
  });

  it('cmp=hf: already downloaded loads B at once; not downloaded, B waits for a yes', async () => {
    const asked: string[] = [];
    const isHubCached = async (h: { repo: string; revision: string }) => (asked.push(h.repo), h.repo === 'org/cached');
    const cached = setup({ urlCheckpoints: { compare: 'hf:org/cached' }, isHubCached });
    await cached.get().boot();
    expect(cached.b.loads.map((x) => x.kind)).toEqual(['hub']);
    expect(cached.get().slots.B).toMatchObject({ phase: 'ready', ref: 'hf:org/cached', pendingDownload: null });

    const s = setup({ urlCheckpoints: { compare: 'hf:facebook/vit-mae-large@refs/pr/1' }, isHubCached });
    await s.get().boot();
    expect(asked).toEqual(['org/cached', 'facebook/vit-mae-large']);
    expect(s.made()).toBe(0);
    expect(s.get().slots.B).toMatchObject({
      phase: 'off', ref: null,
      pendingDownload: { ref: 'hf:facebook/vit-mae-large@refs/pr/1', source: { kind: 'hub', repo: 'facebook/vit-mae-large', revision: 'refs/pr/1' } },
    });
    expect(s.a.loads.map((x) => x.kind)).toEqual(['url']);
    expect(await s.get().slotApi.B.confirmDownload()).toBe(true);
    expect(s.b.loads.map((x) => x.kind)).toEqual(['hub']);
    expect(s.get().slots.B).toMatchObject({ phase: 'ready', ref: 'hf:facebook/vit-mae-large@refs/pr/1', pendingDownload: null });

    const t = setup({ urlCheckpoints: { compare: 'hf:org/new' }, isHubCached });
    await t.get().boot();
    expect(t.get().slots.B.pendingDownload).not.toBeNull();
    t.get().slotApi.B.dismissDownload();
    expect(t.get().slots.B).toMatchObject({ phase: 'off', ref: null, pendingDownload: null });
    expect(t.made()).toBe(0);
  });

  it('on equal grids asks B under exactly A\'s mask, and sends each picture\'s pixels once', async () => {
    const s = setup();
    await ready(s);
    await s.get().slotApi.B.load(RANDOM);
    await flush();
    const keys = s.get().order;
    const settle = async () => {
      await flush();
      for (const key of keys) {
        const a = s.get().slots.A.rows[key].result!;
        const b = s.get().slots.B.rows[key].result!;
        expect(Array.from(b.mask), key).toEqual(Array.from(a.mask));
        expect(Array.from(b.mask), key).toEqual(Array.from(s.a.callsFor(key).at(-1)!.params.mask));
        expect(b, key).toMatchObject({ ratioPct: a.ratioPct, seed: a.seed, pattern: a.pattern });
      }
    };
    await settle();
    for (const [ratio, seed, pattern] of [[10, 1, 'random'], [50, 2, 'block'], [90, 3, 'grid'], [60, 4, 'random']] as const) {
      s.get().applySettings({ ratioPct: ratio, seed, pattern });
      await settle();
      for (const key of keys) expect(countMasked(s.get().slots.B.rows[key].result!.mask)).toBe(16 - lenKeepFor(16, ratio / 100));
    }
    expect(s.b.setImageCalls.slice().sort()).toEqual(keys.slice().sort());
    expect(s.a.setImageCalls.slice().sort()).toEqual(keys.slice().sort());
  });

  it('is unavailable without a second client', async () => {
    const s = setup({ createCompareClient: null });
    await ready(s, ['a.png']);
    expect(s.get().slots.B.available).toBe(false);
    expect(await s.get().slotApi.B.load(RANDOM)).toBe(false);
    expect(s.get().slots.B.loadError?.message).toMatch(/not available/);
  });
});

describe('masks across grids', () => {
  it('resamples by patch centres and compares masks', () => {
    const m4 = Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    const m8 = resampleMask(m4, 8)!;
    expect(m8.length).toBe(64);
    expect(countMasked(m8)).toBe(8);
    expect([m8[0], m8[1], m8[8], m8[9], m8[63], m8[2]]).toEqual([1, 1, 1, 1, 1, 0]);
    expect(Array.from(resampleMask(m8, 4)!)).toEqual(Array.from(m4));
    expect(sameMask(m4, Uint8Array.from(m4))).toBe(true);
    expect(sameMask(m4, m8)).toBe(false);
    expect(sameMask(null, m4)).toBe(false);
  });
});
