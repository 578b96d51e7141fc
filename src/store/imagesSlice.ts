// Pictures: adding (decode, persist, reconstruct), removing, visibility, painted masks,
// the latest-wins reconstruction requests, and the ratio sweep.
import { requestLatest } from './latest';
import type { ReconstructParams } from '../worker-client/types';
import type { Settings } from './settings';
import type { ImageEntry, ImagesSlice, SliceCreator, GetState, SetState, StoreContext, SweepState } from './types';

/** Mask ratios of the sweep strip, in percent. */
export const SWEEP_RATIOS: readonly number[] = [10, 25, 50, 75, 90];

/** The worker key of one sweep cell: distinct from the row's key, so neither supersedes the other. */
export const sweepKey = (key: string, ratioPct: number): string => `${key}#sweep${ratioPct}`;

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)) || 'unknown error';

export function newEntry(key: string, name: string, blob: Blob, addedAt: number): ImageEntry {
  return {
    key, name, blob, addedAt, status: 'decoding', error: null, fitted: null, sourceSize: null,
    paintedMask: null, result: null, pending: false, reconError: null, sweep: null,
  };
}

/** Updates one entry if it still exists. */
export function patchEntry(set: SetState, key: string, patch: Partial<ImageEntry> | ((e: ImageEntry) => Partial<ImageEntry>)): void {
  set((s) => {
    const e = s.entries[key];
    if (!e) return {};
    const p = typeof patch === 'function' ? patch(e) : patch;
    return { entries: { ...s.entries, [key]: { ...e, ...p } } };
  });
}

/** The painted mask a row starts from: its current mask, or nothing masked. */
export function initialPaint(e: ImageEntry, numPatches: number): Uint8Array {
  const m = e.result?.recon.mask;
  return m && m.length === numPatches ? Uint8Array.from(m, (v) => (v ? 1 : 0)) : new Uint8Array(numPatches);
}

const maskBits = (m: Uint8Array): string => Array.from(m, (v) => (v ? '1' : '0')).join('');

/** The mask half of a request (A's and B's alike, so both models hide the same patches). */
export type MaskParams = Pick<ReconstructParams, 'maskRatio' | 'seed' | 'pattern' | 'normPixStats' | 'paintedMask'>;

/** The mask half of a request under `settings`, with `painted` as the mask when painting; and its signature. */
export function maskParams(settings: Settings, painted?: Uint8Array): { params: MaskParams; signature: string } {
  const masked = painted ? painted.reduce((a, v) => a + (v ? 1 : 0), 0) : 0;
  const what = painted ? `painted:${maskBits(painted)}` : `${settings.pattern}:${settings.ratioPct}:${settings.seed}`;
  return {
    params: {
      maskRatio: painted ? masked / painted.length : settings.ratioPct / 100,
      seed: settings.seed,
      pattern: settings.pattern,
      normPixStats: settings.normPixStats,
      ...(painted ? { paintedMask: Uint8Array.from(painted) } : {}),
    },
    signature: `${what}|${settings.normPixStats}`,
  };
}

/** Decodes (or re-fits) one image; the newest decode of an image wins. */
export async function decodeEntry(set: SetState, get: GetState, ctx: StoreContext, key: string): Promise<boolean> {
  const e = get().entries[key];
  if (!e) return false;
  const token = ctx.nextToken();
  ctx.decodeTokens.set(key, token);
  const size = ctx.imgSize();
  let res;
  try {
    res = await ctx.deps.decoder.decode(e.blob, size, get().settings.resize);
  } catch (err) {
    res = { ok: false as const, message: `could not be read: ${message(err)}` };
  }
  if (ctx.decodeTokens.get(key) !== token || !get().entries[key]) return false;
  ctx.decodeTokens.delete(key);
  if (!res.ok) {
    patchEntry(set, key, { status: 'error', error: res.message, fitted: null, pending: false });
    return false;
  }
  const { rgba, sourceWidth, sourceHeight } = res.image;
  ctx.requested.delete(key);
  ctx.compareRequested.delete(key);
  patchEntry(set, key, { status: 'ready', error: null, fitted: rgba, sourceSize: { width: sourceWidth, height: sourceHeight }, sweep: null });
  requestReconstruction(set, get, ctx, key);
  ctx.requestCompare(key);
  return true;
}

/** Asks the worker for `key`'s reconstruction under the current settings, unless already asked. */
export function requestReconstruction(set: SetState, get: GetState, ctx: StoreContext, key: string): void {
  const s = get();
  const e = s.entries[key];
  const { phase, generation } = s.model;
  if (!e || e.status !== 'ready' || !e.fitted) return;
  if (phase !== 'ready' && phase !== 'restarting') return;
  if (s.visibility[key] === false) return;
  const { settings } = s;
  let painted: Uint8Array | undefined;
  if (settings.pattern === 'painted') {
    const n = ctx.numPatches();
    if (n === null) return;
    painted = e.paintedMask && e.paintedMask.length === n ? e.paintedMask : initialPaint(e, n);
    if (painted !== e.paintedMask) patchEntry(set, key, { paintedMask: painted });
  }
  const mask = maskParams(settings, painted);
  const input = e.fitted;
  const params: ReconstructParams = { imageKey: key, image: input, ...mask.params };
  // Only the newest request of a row is ever drawn; anything older is dropped there too.
  requestLatest(ctx, ctx.nextToken(), key, `${generation}|${mask.signature}`, () => ctx.deps.client.reconstruct(params), {
    start: () => {
      if (!get().entries[key]?.pending) patchEntry(set, key, { pending: true });
    },
    done: (r) => {
      patchEntry(set, key, {
        pending: false, reconError: null,
        result: { recon: r, input, ratioPct: settings.ratioPct, seed: settings.seed, pattern: settings.pattern },
      });
      set((st) => ({ model: { ...st.model, lastTimings: r.timings, lastAt: ctx.deps.now() } }));
    },
    dropped: () => patchEntry(set, key, { pending: false }),
    failed: (err) => patchEntry(set, key, { pending: false, reconError: message(err) }),
  });
}

function forget(ctx: StoreContext, key: string): void {
  ctx.requested.delete(key);
  ctx.tokens.delete(key);
  ctx.decodeTokens.delete(key);
  ctx.sweepTokens.delete(key);
  ctx.forgetCompare(key);
}

export const createImagesSlice: SliceCreator<ImagesSlice> = (set, get, ctx) => ({
  order: [],
  entries: {},
  visibility: {},

  async addFiles(files) {
    if (!files.length) return;
    const { now, random } = ctx.deps;
    const added = files.map((f, i) => newEntry(
      `img-${now().toString(36)}-${i.toString(36)}-${Math.floor(random() * 36 ** 6).toString(36)}`, f.name || 'pasted image', f.blob, now()));
    set((s) => ({
      order: [...s.order, ...added.map((e) => e.key)],
      entries: { ...s.entries, ...Object.fromEntries(added.map((e) => [e.key, e])) },
    }));
    await Promise.all(added.map(async (e) => {
      if (await decodeEntry(set, get, ctx, e.key)) {
        ctx.persist((p) => p.putImage({ key: e.key, name: e.name, blob: e.blob, addedAt: e.addedAt }));
      }
    }));
  },

  removeImage(key) {
    if (!get().entries[key]) return;
    forget(ctx, key);
    set((s) => {
      const entries = { ...s.entries };
      delete entries[key];
      const visibility = { ...s.visibility };
      delete visibility[key];
      return { entries, visibility, order: s.order.filter((k) => k !== key) };
    });
    ctx.persist((p) => p.deleteImage(key));
  },

  clearImages() {
    for (const key of get().order) forget(ctx, key);
    ctx.forgetCompare();
    set({ order: [], entries: {}, visibility: {} });
    ctx.persist((p) => p.clearImages());
  },

  setVisible(key, visible) {
    if (!get().entries[key] || (get().visibility[key] !== false) === visible) return;
    set((s) => ({ visibility: { ...s.visibility, [key]: visible } }));
    if (visible) {
      requestReconstruction(set, get, ctx, key);
      ctx.requestCompare(key);
    }
  },

  setPaintedMask(key, mask, persist = false) {
    if (!get().entries[key]) return;
    patchEntry(set, key, { paintedMask: mask });
    if (persist) ctx.persist((p) => p.setPaintedMask(key, mask));
    ctx.scheduleRefresh();
  },

  refresh() {
    for (const key of get().order) {
      requestReconstruction(set, get, ctx, key);
      ctx.requestCompare(key);
    }
  },

  runSweep(key) {
    const s = get();
    const e = s.entries[key];
    if (!e || !e.fitted || (s.model.phase !== 'ready' && s.model.phase !== 'restarting')) return;
    // The sweep shows what the ratio does, so a painted mask (which has no ratio) sweeps as random.
    const pattern = s.settings.pattern === 'painted' ? 'random' : s.settings.pattern;
    const { seed, normPixStats } = s.settings;
    const input = e.fitted;
    const token = ctx.nextToken();
    ctx.sweepTokens.set(key, token);
    const sweep: SweepState = { seed, pattern, input, items: SWEEP_RATIOS.map((r) => ({ ratioPct: r, result: null, error: null })) };
    patchEntry(set, key, { sweep });
    const setItem = (i: number, item: Partial<SweepState['items'][number]>) => {
      if (ctx.sweepTokens.get(key) !== token) return;
      patchEntry(set, key, (cur) => cur.sweep ? {
        sweep: { ...cur.sweep, items: cur.sweep.items.map((it, j) => (j === i ? { ...it, ...item } : it)) },
      } : {});
    };
    SWEEP_RATIOS.forEach((ratioPct, i) => {
      let p;
      try {
        p = ctx.deps.client.reconstruct({ imageKey: sweepKey(key, ratioPct), image: input, maskRatio: ratioPct / 100, seed, pattern, normPixStats });
      } catch (err) {
        p = Promise.reject(err);
      }
      p.then((r) => {
        if (r) setItem(i, { result: r, error: null });
        else setItem(i, { error: 'superseded' });
      }, (err) => setItem(i, { error: message(err) }));
    });
  },

  closeSweep(key) {
    ctx.sweepTokens.delete(key);
    patchEntry(set, key, { sweep: null });
  },
});
