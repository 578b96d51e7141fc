// The model as the page sees it: backend, checkpoint (the bundled one, the one a link names, one
// the visitor picked or dropped, or honestly the random fallback), loads with progress, cancel
// and retry, readiness after warm-up, restarts, and passing notices.
import type { CheckpointSource, ModelInfo } from '../protocol/messages';
import type { ClientEvent } from '../worker-client/types';
import { canonicalRef, parseRef, refForSource, sourceForRef } from './checkpointRef';
import { decodeEntry, newEntry } from './imagesSlice';
import { classifyLoadError, failureHeadline, meterUpdate, sentence, type LoadFailure, type PendingDownload, type RateMeter } from './loading';
import { DEFAULT_SETTINGS, sanitizeSettings } from './settings';
import type { ModelSlice, ModelState, RunningCheckpoint, SliceCreator, StoreContext } from './types';

export const DEFAULT_SOURCE: CheckpointSource = { kind: 'url', baseUrl: './checkpoints/mae-small/', label: 'mae-small (bundled)' };
export const FALLBACK_SOURCE: CheckpointSource = { kind: 'random', label: 'random weights, for testing' };

/** File name endings the checkpoint loader takes (anything else dropped on the page is a picture). */
export const CHECKPOINT_EXTENSIONS: readonly string[] = ['.safetensors', '.pth', '.pt', '.bin'];
/** Whether a file name is a checkpoint's weights, by its ending. */
export const isCheckpointName = (name: string): boolean => CHECKPOINT_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext));
/** Whether a file name is a Hugging Face config (loaded beside the weights). */
export const isConfigName = (name: string): boolean => /(^|[/\\])config\.json$/i.test(name);

export const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)) || 'unknown error';

export const initialModelState = (ref: string | null = 'bundled'): ModelState => ({
  phase: 'idle', backend: null, backendNotes: [], checkpoint: null, ref, loading: null, loadError: null, pendingDownload: null, storagePersisted: null,
  fallbackReason: null, info: null, progress: null, lastTimings: null, lastAt: null, message: null, error: null, generation: 0,
});

/** A failure record for a source (a dropped file's bytes are not kept for a retry). */
export function failureFor(source: CheckpointSource, e: unknown, ctx: StoreContext): LoadFailure {
  const msg = message(e);
  return {
    label: source.label, ref: refForSource(source, ctx.deps.defaultSource), kind: classifyLoadError(e), message: msg,
    retry: source.kind === 'files' ? null : source,
  };
}

/** A link's checkpoint waits for the visitor's yes when it is a hub download not already in this browser. */
export async function askBeforeLinkLoad(source: CheckpointSource, ctx: StoreContext): Promise<PendingDownload | null> {
  if (source.kind !== 'hub') return null;
  let cached = false;
  try {
    cached = (await ctx.deps.isHubCached?.(source)) ?? false;
  } catch {
    // Unknown counts as not downloaded: asking is the safe side.
  }
  return cached ? null : { ref: refForSource(source, ctx.deps.defaultSource), source };
}

/** A retry of a hub source goes to the hub address set now (the visitor may have just fixed it). */
export const withCurrentEndpoint = (source: CheckpointSource, endpoint: string): CheckpointSource =>
  source.kind === 'hub' ? { ...source, endpoint } : source;

/** Reads the visitor's files into a 'files' source; null (and a notice) when none is a checkpoint. */
export async function filesSource(files: { name: string; blob: Blob }[]): Promise<CheckpointSource | { error: string }> {
  const weights = files.filter((f) => isCheckpointName(f.name));
  if (!weights.length) {
    return { error: `none of ${files.map((f) => f.name).join(', ') || 'the files'} is a checkpoint (${CHECKPOINT_EXTENSIONS.join(', ')})` };
  }
  const used = files.filter((f) => isCheckpointName(f.name) || isConfigName(f.name));
  // Posted as Blobs: the worker reads each tensor from its slice, nothing is held here.
  return { kind: 'files', files: used.map((f) => ({ name: f.name, blob: f.blob })), label: weights.map((f) => f.name).join(' + ') };
}

export const createModelSlice: SliceCreator<ModelSlice> = (set, get, ctx) => {
  let unsubscribe: (() => void) | null = null;
  let nextNotice = 1;
  let meter: RateMeter | null = null;
  let loadToken = 0;
  const setModel = (patch: Partial<ModelState>) => set((s) => ({ model: { ...s.model, ...patch } }));
  const refOf = (source: CheckpointSource) => refForSource(source, ctx.deps.defaultSource);
  const sourceOf = (raw: string) => {
    const ref = parseRef(raw);
    return { ref, source: ref && sourceForRef(ref, { ...ctx.deps, endpoint: get().settings.hfEndpoint }) };
  };

  const onEvent = (e: ClientEvent) => {
    switch (e.type) {
      case 'backend':
        if (get().model.phase === 'restarting') {
          setModel({ backend: e.backend, backendNotes: e.notes, phase: 'ready', message: `The model worker restarted on ${e.backend}.` });
          ctx.scheduleRefresh();
        } else setModel({ backend: e.backend, backendNotes: e.notes });
        return;
      case 'restarting':
        setModel({ phase: 'restarting', message: `The model worker stopped (${e.reason}); restarting on ${e.backend}…` });
        return;
      case 'progress': {
        const m = get().model;
        if (!m.loading && m.phase !== 'loading') return;
        const r = meterUpdate(meter, e, ctx.deps.now());
        meter = r.meter;
        setModel({ progress: r.progress });
        return;
      }
    }
  };

  /** A checkpoint is in: record it, re-fit pictures if the input size changed, redo every row. */
  const installed = (info: ModelInfo, checkpoint: RunningCheckpoint, fallbackReason: string | null, ref: string | null) => {
    const prevSize = ctx.imgSize();
    set((s) => ({
      model: {
        ...s.model, phase: 'ready', info, checkpoint, fallbackReason, progress: null, error: null, ref,
        generation: s.model.generation + 1,
      },
    }));
    ctx.requested.clear();
    if (info.imgSize !== prevSize) ctx.refitAll();
    ctx.scheduleRefresh();
  };

  /** One load through the client, with progress and the in-flight record. `stale`: a newer load started meanwhile. */
  const runLoad = async (source: CheckpointSource): Promise<
    { ok: true; info: ModelInfo; label: string; notes: string[] } | { ok: false; error: unknown; stale: boolean }> => {
    const token = ++loadToken;
    meter = null;
    setModel({ loading: { label: source.label, ref: refOf(source), kind: source.kind }, progress: null });
    try {
      return { ok: true, ...(await ctx.deps.client.loadCheckpoint(source)) };
    } catch (error) {
      return { ok: false, error, stale: token !== loadToken };
    } finally {
      if (token === loadToken) setModel({ loading: null, progress: null });
    }
  };
  const running = (source: CheckpointSource, r: { label: string; notes: string[] }): RunningCheckpoint =>
    ({ label: r.label, kind: source.kind, notes: r.notes, ref: refOf(source) });

  const restoreSession = async () => {
    let stored;
    try {
      stored = await ctx.deps.persistence.load();
    } catch (e) {
      get().notify('warning', `The saved session could not be read (${message(e)}).`);
      return;
    }
    const { backend: _ignored, ...saved } = sanitizeSettings(stored.settings);
    const settings = { ...DEFAULT_SETTINGS, ...saved, ...sanitizeSettings(ctx.deps.urlSettings) };
    const known = new Set(get().order);
    const entries = stored.images.filter((i) => !known.has(i.key)).map((i) => ({
      ...newEntry(i.key, i.name, i.blob, i.addedAt),
      paintedMask: i.paintedMask instanceof Uint8Array ? i.paintedMask : null,
    }));
    set((s) => ({
      settings,
      order: [...entries.map((e) => e.key), ...s.order],
      entries: { ...s.entries, ...Object.fromEntries(entries.map((e) => [e.key, e])) },
    }));
    await Promise.all(entries.map((e) => decodeEntry(set, get, ctx, e.key)));
  };

  /** The checkpoint the link names, unless it is the bundled one (or names nothing loadable). */
  const linkedSource = (): CheckpointSource | null => {
    const raw = ctx.deps.urlCheckpoints?.ckpt;
    if (raw === undefined || raw.trim() === '' || raw.trim() === 'bundled') return null;
    const { ref, source } = sourceOf(raw);
    if (!ref) {
      get().notify('warning', `The link names a checkpoint “${raw}” this page does not know (ckpt= takes bundled, random or hf:org/name[@revision]), so the bundled one is loaded.`);
    } else if (ref.kind === 'file') {
      get().notify('info', `The link was made with a checkpoint file from disk (${ref.name}); drop that file onto the page to load it. Meanwhile the bundled checkpoint runs.`);
    }
    return source;
  };

  const startModel = async () => {
    const { client, defaultSource, fallbackSource } = ctx.deps;
    setModel({ phase: 'starting', error: null });
    try {
      const backend = await client.start(get().settings.backend ?? undefined);
      setModel({ backend });
    } catch (e) {
      setModel({ phase: 'error', error: `The model could not start: ${message(e)}` });
      return;
    }
    setModel({ phase: 'loading' });
    let linkFailure: LoadFailure | null = null;
    const linked = linkedSource();
    // A link never starts a hub download by itself: the bundled checkpoint runs until the visitor says yes.
    const ask = linked && await askBeforeLinkLoad(linked, ctx);
    if (linked && !ask) {
      setModel({ ref: refOf(linked) });
      const r = await runLoad(linked);
      if (r.ok) {
        installed(r.info, running(linked, r), null, refOf(linked));
        if (linked.kind === 'hub') ctx.keepStorage();
        return;
      }
      linkFailure = failureFor(linked, r.error, ctx);
      if (linkFailure.kind !== 'cancelled') get().notify('error', `${failureHeadline(linkFailure).replace(/\.$/, ':')} ${sentence(linkFailure.message)} The bundled checkpoint is loaded instead.`);
    }
    setModel({ ref: 'bundled' });
    const r = await runLoad(defaultSource);
    if (r.ok) installed(r.info, running(defaultSource, r), null, 'bundled');
    else {
      const reason = message(r.error);
      const f = await runLoad(fallbackSource);
      if (f.ok) {
        installed(f.info, running(fallbackSource, f),
          `The bundled checkpoint could not be loaded (${reason}), so the model runs on random weights: its reconstructions mean nothing yet.`, 'bundled');
      } else {
        setModel({ phase: 'error', progress: null, error: `No checkpoint could be loaded: ${message(f.error)} (bundled checkpoint: ${reason})` });
      }
    }
    if (linkFailure) setModel({ loadError: linkFailure });
    // Unless the visitor has already chosen another checkpoint meanwhile.
    if (ask && !get().model.loading && get().model.ref === 'bundled') setModel({ pendingDownload: ask });
  };

  const checkStorage = () => {
    const storage = ctx.deps.storage;
    if (!storage) return;
    storage.persisted().then((v) => setModel({ storagePersisted: v }), () => undefined);
  };

  return {
    model: initialModelState(canonicalRef(ctx.deps.urlCheckpoints?.ckpt) ?? 'bundled'),
    notices: [],

    async boot() {
      unsubscribe?.();
      unsubscribe = ctx.deps.client.on(onEvent);
      checkStorage();
      await Promise.all([restoreSession(), startModel()]);
      const cmp = ctx.deps.urlCheckpoints?.compare;
      if (cmp && cmp.trim() && get().model.info) await get().followCompareLink(cmp);
    },

    async loadCheckpoint(source) {
      const before = get().model;
      // A newer choice replaces a download in flight.
      if (before.loading) ctx.deps.client.cancelLoad();
      setModel({ loadError: null, pendingDownload: null, ...(before.info ? {} : { phase: 'loading', error: null }) });
      const r = await runLoad(source);
      if (r.ok) {
        // Even a superseded load is recorded: the worker now runs it (until the newer one lands).
        installed(r.info, running(source, r), null, refOf(source));
        if (source.kind === 'hub') ctx.keepStorage();
        return true;
      }
      if (r.stale) return false;
      const failure = failureFor(source, r.error, ctx);
      setModel({ loadError: failure, ...(get().model.info ? {} : { phase: 'error', error: `No checkpoint is loaded: ${failure.message}` }) });
      if (failure.kind !== 'cancelled') {
        get().notify('error', `${failureHeadline(failure).replace(/\.$/, ':')} ${sentence(failure.message)}${get().model.info ? ' The previous checkpoint keeps running.' : ''}`);
      }
      return false;
    },

    async loadRef(raw) {
      const { ref, source } = sourceOf(raw);
      if (!source) {
        const text = ref?.kind === 'file'
          ? `A checkpoint file (${ref.name}) cannot be loaded from a link: drop the file onto the page.`
          : `“${raw}” names no checkpoint (use bundled, random or hf:org/name[@revision]).`;
        get().notify('error', text);
        return false;
      }
      return get().loadCheckpoint(source);
    },

    async loadCheckpointFiles(files) {
      const source = await filesSource(files);
      if ('error' in source) {
        get().notify('error', `No checkpoint was loaded: ${source.error}.`);
        return false;
      }
      return get().loadCheckpoint(source);
    },

    cancelLoad() {
      if (get().model.loading) ctx.deps.client.cancelLoad();
    },

    async retryLoad() {
      const f = get().model.loadError;
      if (!f?.retry) return false;
      return get().loadCheckpoint(withCurrentEndpoint(f.retry, get().settings.hfEndpoint));
    },

    dismissLoadError() {
      setModel({ loadError: null });
    },

    async confirmDownload() {
      const p = get().model.pendingDownload;
      if (!p) return false;
      return get().loadCheckpoint(withCurrentEndpoint(p.source, get().settings.hfEndpoint));
    },

    dismissDownload() {
      setModel({ pendingDownload: null });
    },

    notify(kind, text) {
      const id = nextNotice++;
      set((s) => ({ notices: [...s.notices.filter((n) => n.text !== text), { id, kind, text }] }));
    },

    dismissNotice(id) {
      set((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
    },

    teardown() {
      unsubscribe?.();
      unsubscribe = null;
      get().setCompare(null).catch(() => undefined);
    },
  };
};
