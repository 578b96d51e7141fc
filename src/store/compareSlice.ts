// Checkpoint B: a second model client (its own worker) that reconstructs every picture under the
// same mask as A (same pattern, ratio, seed, painted mask), so the two can be seen side by side.
import { requestLatest } from './latest';
import type { CheckpointSource, Rgba } from '../protocol/messages';
import type { ClientEvent, ModelClient } from '../worker-client/types';
import { parseRef, refForSource, sourceForRef } from './checkpointRef';
import { initialPaint, maskParams } from './imagesSlice';
import { failureHeadline, meterUpdate, sentence, type RateMeter } from './loading';
import { askBeforeLinkLoad, failureFor, message, withCurrentEndpoint } from './modelSlice';
import type { CompareRow, CompareSlice, CompareState, SliceCreator } from './types';

export const emptyCompareRow = (): CompareRow => ({ result: null, pending: false, error: null, fitted: null, fitKey: null });

export const initialCompareState = (available: boolean, ref: string | null = null): CompareState => ({
  available, phase: 'off', backend: null, checkpoint: null, info: null, ref, loading: null, progress: null,
  loadError: null, pendingDownload: null, message: null, generation: 0, rows: {},
});

/**
 * A painted mask on one patch grid carried to another (both square, patch order): a patch of the
 * new grid is hidden when the old patch under its centre is.
 */
export function resampleMask(mask: Uint8Array, numPatches: number): Uint8Array {
  const from = Math.round(Math.sqrt(mask.length));
  const to = Math.round(Math.sqrt(numPatches));
  const out = new Uint8Array(to * to);
  for (let r = 0; r < to; r++) {
    const fr = Math.min(from - 1, Math.floor(((r + 0.5) * from) / to));
    for (let c = 0; c < to; c++) {
      const fc = Math.min(from - 1, Math.floor(((c + 0.5) * from) / to));
      out[r * to + c] = mask[fr * from + fc] ? 1 : 0;
    }
  }
  return out;
}

/** Whether two results hid exactly the same patches. */
export function sameMask(a: Uint8Array | null | undefined, b: Uint8Array | null | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!a[i] !== !b[i]) return false;
  return true;
}

export const createCompareSlice: SliceCreator<CompareSlice> = (set, get, ctx) => {
  let client: ModelClient | null = null;
  let unsubscribe: (() => void) | null = null;
  let starting: Promise<unknown> | null = null;
  let meter: RateMeter | null = null;
  let loadToken = 0;
  /** fitKey of B's decode in flight, per picture. */
  const fitting = new Map<string, string>();
  const fitTokens = new Map<string, number>();

  const setCompare = (patch: Partial<CompareState>) => set((s) => ({ compare: { ...s.compare, ...patch } }));
  const patchRow = (key: string, patch: Partial<CompareRow>) => set((s) => {
    if (!s.entries[key]) return {};
    const cur = s.compare.rows[key] ?? emptyCompareRow();
    return { compare: { ...s.compare, rows: { ...s.compare.rows, [key]: { ...cur, ...patch } } } };
  });

  const onEvent = (e: ClientEvent) => {
    switch (e.type) {
      case 'backend':
        if (get().compare.phase === 'restarting') {
          setCompare({ backend: e.backend, phase: 'ready', message: null });
          ctx.compareRequested.clear();
          ctx.scheduleRefresh();
        } else setCompare({ backend: e.backend });
        return;
      case 'restarting':
        setCompare({ phase: 'restarting', message: `Checkpoint B's worker stopped (${e.reason}); restarting on ${e.backend}…` });
        return;
      case 'progress': {
        if (!get().compare.loading) return;
        const r = meterUpdate(meter, e, ctx.deps.now());
        meter = r.meter;
        setCompare({ progress: r.progress });
        return;
      }
    }
  };

  /** Ends B's worker and forgets its results. */
  const stop = () => {
    unsubscribe?.();
    unsubscribe = null;
    client?.dispose();
    client = null;
    starting = null;
    ctx.forgetCompare();
    setCompare({ phase: 'off', backend: null, checkpoint: null, info: null, ref: null, loading: null, progress: null, message: null });
  };

  const ensureClient = async (): Promise<ModelClient> => {
    if (!client) {
      const make = ctx.deps.createCompareClient;
      if (!make) throw new Error('comparing is not available on this page');
      client = make();
      unsubscribe = client.on(onEvent);
      setCompare({ phase: 'starting' });
      const c = client;
      starting = c.start(get().settings.backend ?? undefined).then((b) => {
        if (client === c) setCompare({ backend: b });
      });
    }
    const c = client;
    try {
      await starting;
    } catch (e) {
      if (client === c) stop();
      throw new Error(`the second model could not start: ${message(e)}`);
    }
    return c;
  };

  /** Fits a picture to B's input size (when it differs from A's), then asks again. */
  const fitForCompare = async (key: string, size: number, fitKey: string) => {
    const e = get().entries[key];
    if (!e || fitting.get(key) === fitKey) return;
    fitting.set(key, fitKey);
    const token = ctx.nextToken();
    fitTokens.set(key, token);
    patchRow(key, { pending: true });
    let res;
    try {
      res = await ctx.deps.decoder.decode(e.blob, size, get().settings.resize);
    } catch (err) {
      res = { ok: false as const, message: `could not be read: ${message(err)}` };
    }
    if (fitTokens.get(key) !== token) return;
    fitTokens.delete(key);
    fitting.delete(key);
    if (!res.ok) {
      patchRow(key, { pending: false, error: res.message });
      return;
    }
    patchRow(key, { fitted: res.image.rgba, fitKey, pending: false });
    ctx.compareRequested.delete(key);
    ctx.requestCompare(key);
  };

  ctx.requestCompare = (key) => {
    const s = get();
    const c = s.compare;
    const bClient = client;
    if (!bClient || !c.info || (c.phase !== 'ready' && c.phase !== 'restarting')) return;
    const e = s.entries[key];
    if (!e || e.status !== 'ready' || !e.fitted) return;
    if (s.visibility[key] === false) return;
    const { settings } = s;
    const size = c.info.imgSize;
    const grid = size / c.info.patchSize;
    const numPatches = grid * grid;

    let input: Rgba;
    const row = c.rows[key];
    if (e.fitted.width === size) input = e.fitted;
    else {
      const fitKey = `${size}|${settings.resize}`;
      if (row?.fitted && row.fitKey === fitKey) input = row.fitted;
      else {
        void fitForCompare(key, size, fitKey);
        return;
      }
    }

    // A's painted mask, carried to B's grid when the grids differ.
    let painted: Uint8Array | undefined;
    if (settings.pattern === 'painted') {
      const nA = ctx.numPatches();
      const a = nA === null ? (e.paintedMask?.length === numPatches ? e.paintedMask : null)
        : e.paintedMask && e.paintedMask.length === nA ? e.paintedMask : initialPaint(e, nA);
      if (!a) return;
      painted = a.length === numPatches ? a : resampleMask(a, numPatches);
    }
    const mask = maskParams(settings, painted);
    const book = { requested: ctx.compareRequested, tokens: ctx.compareTokens };
    requestLatest(book, ctx.nextToken(), key, `${c.generation}|${size}|${mask.signature}`,
      () => bClient.reconstruct({ imageKey: key, image: input, ...mask.params }), {
        start: () => {
          if (!get().compare.rows[key]?.pending) patchRow(key, { pending: true });
        },
        done: (r) => patchRow(key, {
          pending: false, error: null,
          result: { recon: r, input, ratioPct: settings.ratioPct, seed: settings.seed, pattern: settings.pattern },
        }),
        dropped: () => patchRow(key, { pending: false }),
        failed: (err) => patchRow(key, { pending: false, error: message(err) }),
      });
  };

  ctx.forgetCompare = (key) => {
    if (key === undefined) {
      ctx.compareRequested.clear();
      ctx.compareTokens.clear();
      fitting.clear();
      fitTokens.clear();
      if (Object.keys(get().compare.rows).length) setCompare({ rows: {} });
      return;
    }
    ctx.compareRequested.delete(key);
    ctx.compareTokens.delete(key);
    fitting.delete(key);
    fitTokens.delete(key);
    if (get().compare.rows[key]) {
      set((s) => {
        const rows = { ...s.compare.rows };
        delete rows[key];
        return { compare: { ...s.compare, rows } };
      });
    }
  };

  return {
    compare: initialCompareState(!!ctx.deps.createCompareClient, ctx.deps.urlCheckpoints?.compare?.trim() ? ctx.deps.urlCheckpoints.compare : null),

    async setCompare(source: CheckpointSource | null) {
      const token = ++loadToken;
      if (!source) {
        stop();
        setCompare({ loadError: null, pendingDownload: null });
        return true;
      }
      const ref = refForSource(source, ctx.deps.defaultSource);
      if (get().compare.loading) client?.cancelLoad();
      meter = null;
      const first = !get().compare.info;
      setCompare({ loading: { label: source.label, ref, kind: source.kind }, progress: null, loadError: null, pendingDownload: null, ...(first ? { ref } : {}) });
      let c: ModelClient;
      let r;
      try {
        c = await ensureClient();
        if (token !== loadToken) return false;
        if (!get().compare.info) setCompare({ phase: 'loading' });
        r = await c.loadCheckpoint(source);
      } catch (e) {
        if (token !== loadToken) return false;
        const failure = failureFor(source, e, ctx);
        setCompare({ loading: null, progress: null, loadError: failure });
        if (!get().compare.info) stop();
        if (failure.kind !== 'cancelled') {
          get().notify('error', `Checkpoint B: ${failureHeadline(failure).replace(/\.$/, ':')} ${sentence(failure.message)}${get().compare.info ? ' The previous B keeps running.' : ''}`);
        }
        return false;
      }
      if (client !== c) return false;
      const current = token === loadToken;
      set((s) => ({
        compare: {
          ...s.compare, phase: 'ready', info: r.info, ref,
          checkpoint: { label: r.label, kind: source.kind, notes: r.notes, ref },
          generation: s.compare.generation + 1,
          ...(current ? { loading: null, progress: null } : {}),
        },
      }));
      ctx.compareRequested.clear();
      ctx.scheduleRefresh();
      if (source.kind === 'hub') ctx.keepStorage();
      return true;
    },

    async setCompareRef(raw) {
      if (raw === null || !raw.trim()) return get().setCompare(null);
      const ref = parseRef(raw);
      const source = ref && sourceForRef(ref, { ...ctx.deps, endpoint: get().settings.hfEndpoint });
      if (!source) {
        const msg = ref?.kind === 'file'
          ? `a checkpoint file (${ref.name}) cannot be loaded from a link`
          : `“${raw}” names no checkpoint (use bundled, random or hf:org/name[@revision])`;
        setCompare({ ref: get().compare.info ? get().compare.ref : null, loadError: { label: raw, ref: null, kind: 'other', message: msg, retry: null } });
        return false;
      }
      return get().setCompare(source);
    },

    async followCompareLink(raw) {
      const ref = parseRef(raw);
      const source = ref && sourceForRef(ref, { ...ctx.deps, endpoint: get().settings.hfEndpoint });
      const ask = source && await askBeforeLinkLoad(source, ctx);
      if (!ask) return get().setCompareRef(raw);
      // Not downloaded yet: B stays off until the visitor says yes.
      setCompare({ ref: get().compare.info ? get().compare.ref : null, pendingDownload: ask });
      return false;
    },

    async confirmCompareDownload() {
      const p = get().compare.pendingDownload;
      if (!p) return false;
      return get().setCompare(withCurrentEndpoint(p.source, get().settings.hfEndpoint));
    },

    dismissCompareDownload() {
      setCompare({ pendingDownload: null });
    },

    cancelCompareLoad() {
      if (get().compare.loading) client?.cancelLoad();
    },

    async retryCompare() {
      const f = get().compare.loadError;
      if (!f?.retry) return false;
      return get().setCompare(withCurrentEndpoint(f.retry, get().settings.hfEndpoint));
    },

    dismissCompareError() {
      setCompare({ loadError: null });
    },
  };
};
