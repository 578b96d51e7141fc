// Pictures: adding (decode, persist, reconstruct in every slot), removing, visibility, painted
// masks, and the ratio sweep.
import { maskFor } from '../shared/masking';
import { seededMask } from './masks';
import type { ImageEntry, ImagesSlice, SliceCreator, GetState, SetState, StoreContext, SweepState } from './types';
import { SLOT_IDS } from './types';

/** Mask ratios of the sweep strip, in percent. */
export const SWEEP_RATIOS: readonly number[] = [10, 25, 50, 75, 90];

/** The worker lane of camera frames: one lane, so a frame the worker cannot keep up with is replaced, never queued. */
export const CAMERA_LANE = 'camera';

/** The worker lane of one sweep cell: distinct from the row's, so neither supersedes the other. */
export const sweepKey = (key: string, ratioPct: number): string => `${key}#sweep${ratioPct}`;

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)) || 'unknown error';

export function newEntry(key: string, name: string, blob: Blob, addedAt: number, sample: string | null = null): ImageEntry {
  return { key, name, blob, addedAt, status: 'decoding', error: null, fitted: null, sourceSize: null, paintedMask: null, sweep: null, sample };
}

/** What is kept of a picture in the browser. */
const stored = (e: ImageEntry) => ({ key: e.key, name: e.name, blob: e.blob, addedAt: e.addedAt, sample: e.sample, paintedMask: e.paintedMask });

/** Updates one entry if it still exists. */
export function patchEntry(set: SetState, key: string, patch: Partial<ImageEntry> | ((e: ImageEntry) => Partial<ImageEntry>)): void {
  set((s) => {
    const e = s.entries[key];
    if (!e) return {};
    const p = typeof patch === 'function' ? patch(e) : patch;
    return { entries: { ...s.entries, [key]: { ...e, ...p } } };
  });
}

/** Requests every running slot's reconstruction of one picture. */
export function requestAll(ctx: StoreContext, key: string): void {
  for (const id of SLOT_IDS) ctx.slots[id].request(key);
}

/** Decodes (or re-fits) one image; the newest decode of an image wins. `decoded` runs before the row turns ready. */
export async function decodeEntry(set: SetState, get: GetState, ctx: StoreContext, key: string, decoded?: () => void): Promise<boolean> {
  const e = get().entries[key];
  if (!e) return false;
  const token = ctx.nextToken();
  ctx.decodeTokens.set(key, token);
  const { side, patch } = ctx.fitTarget();
  let res;
  try {
    res = await ctx.deps.decoder.decode(e.blob, side, get().settings.resize, patch);
  } catch (err) {
    res = { ok: false as const, message: `could not be read: ${message(err)}` };
  }
  if (ctx.decodeTokens.get(key) !== token || !get().entries[key]) return false;
  ctx.decodeTokens.delete(key);
  if (!res.ok) {
    patchEntry(set, key, { status: 'error', error: res.message, fitted: null });
    return false;
  }
  const { rgba, sourceWidth, sourceHeight } = res.image;
  decoded?.();
  patchEntry(set, key, { status: 'ready', error: null, fitted: rgba, sourceSize: { width: sourceWidth, height: sourceHeight }, sweep: null });
  // A painting, if none exists yet, is started by slot A's request (it knows the grid).
  requestAll(ctx, key);
  return true;
}

function forget(ctx: StoreContext, key: string): void {
  ctx.decodeTokens.delete(key);
  ctx.sweepTokens.delete(key);
  for (const id of SLOT_IDS) ctx.slots[id].forget(key);
}

export const createImagesSlice: SliceCreator<ImagesSlice> = (set, get, ctx) => {
  /** The worker's key of the camera's current frame (one per frame size, so a waiting request never meets a frame of another grid). */
  let cameraKey: string | null = null;
  return {
  order: [],
  entries: {},
  visibility: {},

  removed: null,

  async addFiles(files, o = {}) {
    if (!files.length) return;
    const { now, random } = ctx.deps;
    const added = files.map((f, i) => ({
      ...newEntry(`img-${now().toString(36)}-${i.toString(36)}-${Math.floor(random() * 36 ** 6).toString(36)}`, f.name || 'pasted image', f.blob, now(), o.sample ?? null),
      paintedMask: o.paintedMask ?? null,
    }));
    set((s) => ({
      order: [...s.order, ...added.map((e) => e.key)],
      entries: { ...s.entries, ...Object.fromEntries(added.map((e) => [e.key, e])) },
    }));
    // A picture is kept once it decodes (a broken file is never stored), before its row turns ready.
    await Promise.all(added.map((e) => decodeEntry(set, get, ctx, e.key, () => ctx.persist((p) => p.putImage(stored(e))))));
  },

  async addSample(file, paintedMask = null) {
    const s = get();
    if (s.order.some((k) => s.entries[k]?.sample === file)) {
      get().notify('info', `The sample “${file}” is already on the page.`);
      return;
    }
    const fetchSample = ctx.deps.fetchSample;
    if (!fetchSample) return;
    let f;
    try {
      f = await fetchSample(file);
    } catch (e) {
      get().notify('error', message(e));
      return;
    }
    // Clicked twice while fetching: still one row.
    if (get().order.some((k) => get().entries[k]?.sample === file)) return;
    await get().addFiles([f], { sample: file, paintedMask });
  },

  removeImage(key) {
    const s = get();
    const e = s.entries[key];
    if (!e) return;
    forget(ctx, key);
    set((st) => {
      const entries = { ...st.entries };
      delete entries[key];
      const visibility = { ...st.visibility };
      delete visibility[key];
      // A broken file's row leaves nothing worth undoing.
      const removed = e.status === 'error' ? st.removed : { entries: [e], positions: [st.order.indexOf(key)] };
      return { entries, visibility, order: st.order.filter((k) => k !== key), removed };
    });
    ctx.persist((p) => p.deleteImage(key));
  },

  clearImages() {
    const s = get();
    const kept = s.order.map((k, i) => [s.entries[k], i] as const).filter(([e]) => e && e.status !== 'error');
    for (const key of s.order) forget(ctx, key);
    set({
      order: [], entries: {}, visibility: {},
      removed: kept.length ? { entries: kept.map(([e]) => e), positions: kept.map(([, i]) => i) } : s.removed,
    });
    ctx.persist((p) => p.clearImages());
  },

  undoRemove() {
    const r = get().removed;
    if (!r) return;
    set((s) => {
      const order = [...s.order];
      r.entries.forEach((e, i) => order.splice(Math.min(r.positions[i], order.length), 0, e.key));
      return { order, entries: { ...s.entries, ...Object.fromEntries(r.entries.map((e) => [e.key, { ...e, sweep: null }])) }, removed: null };
    });
    for (const e of r.entries) {
      ctx.persist((p) => p.putImage(stored(e)));
      requestAll(ctx, e.key);
    }
  },

  dismissRemoved() {
    set({ removed: null });
  },

  setVisible(key, visible) {
    if (!get().entries[key] || (get().visibility[key] !== false) === visible) return;
    set((s) => ({ visibility: { ...s.visibility, [key]: visible } }));
    if (visible) requestAll(ctx, key);
  },

  setPaintedMask(key, mask, persist = false) {
    if (!get().entries[key]) return;
    patchEntry(set, key, { paintedMask: mask });
    if (persist) ctx.persist((p) => p.setPaintedMask(key, mask));
    ctx.scheduleRefresh();
  },

  refresh() {
    for (const key of get().order) requestAll(ctx, key);
  },

  runSweep(key) {
    const s = get();
    const e = s.entries[key];
    const a = s.slots.A;
    const client = ctx.slots.A.client();
    if (!e || !e.fitted || !client || !a.info || (a.phase !== 'ready' && a.phase !== 'restarting')) return;
    // The sweep shows what the ratio does, so a painted mask (which has no ratio) sweeps as random.
    const pattern = s.settings.pattern === 'painted' ? 'random' : s.settings.pattern;
    const { seed, normPixStats } = s.settings;
    const input = e.fitted;
    const patchPx = a.info.patchSize;
    // The row's own request puts the picture in the worker (if it is not there yet).
    ctx.slots.A.request(key);
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
      const lane = sweepKey(key, ratioPct);
      const mask = maskFor({ pattern, maskRatio: ratioPct / 100, seed }, input.height / patchPx, input.width / patchPx);
      let p;
      try {
        p = client.reconstruct({ imageKey: key, mask, normPixStats }, lane);
      } catch (err) {
        p = Promise.reject(err);
      }
      p.then((r) => {
        if (r) setItem(i, { result: { recon: r, input, mask, ratioPct, seed, pattern }, error: null });
        else setItem(i, { error: 'superseded' });
      }, (err) => setItem(i, { error: message(err) }));
    });
  },

  closeSweep(key) {
    ctx.sweepTokens.delete(key);
    patchEntry(set, key, { sweep: null });
  },

  async reconstructFrame(frame) {
    const s = get();
    const a = s.slots.A;
    const client = ctx.slots.A.client();
    if (!client || !a.info || (a.phase !== 'ready' && a.phase !== 'restarting')) return null;
    const p = a.info.patchSize;
    const rows = frame.height / p;
    const cols = frame.width / p;
    if (!Number.isInteger(rows) || !Number.isInteger(cols)) {
      throw new RangeError(`a camera frame of ${frame.width}x${frame.height} px is not whole ${p} px patches`);
    }
    const key = `${CAMERA_LANE}:${frame.width}x${frame.height}`;
    if (cameraKey !== key && cameraKey) client.forgetImage(cameraKey);
    cameraKey = key;
    client.setImage(key, frame);
    // A painting belongs to a picture: frames use the seeded mask (painted: random) of the settings.
    const { ratioPct, seed, normPixStats } = s.settings;
    const pattern = s.settings.pattern === 'painted' ? 'random' : s.settings.pattern;
    const mask = seededMask({ pattern, ratioPct, seed }, rows, cols);
    const r = await client.reconstruct({ imageKey: key, mask, normPixStats }, CAMERA_LANE);
    return r ? { recon: r, input: frame, mask, ratioPct, seed, pattern } : null;
  },

  stopFrames() {
    if (cameraKey) ctx.slots.A.client()?.forgetImage(cameraKey);
    cameraKey = null;
  },
  };
};
