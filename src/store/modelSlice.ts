// The model as the page sees it: backend, checkpoint (the bundled one, or honestly the random
// fallback), readiness after warm-up, restarts, and passing notices.
import type { CheckpointSource, ModelInfo } from '../protocol/messages';
import type { ClientEvent } from '../worker-client/types';
import { decodeEntry, newEntry } from './imagesSlice';
import { DEFAULT_SETTINGS, sanitizeSettings } from './settings';
import type { ModelSlice, ModelState, SliceCreator } from './types';

export const DEFAULT_SOURCE: CheckpointSource = { kind: 'url', baseUrl: './checkpoints/mae-small/', label: 'mae-small (bundled)' };
export const FALLBACK_SOURCE: CheckpointSource = { kind: 'random', label: 'random weights, for testing' };

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)) || 'unknown error';

export const initialModelState = (): ModelState => ({
  phase: 'idle', backend: null, backendNotes: [], checkpoint: null, fallbackReason: null, info: null,
  progress: null, lastTimings: null, lastAt: null, message: null, error: null, generation: 0,
});

export const createModelSlice: SliceCreator<ModelSlice> = (set, get, ctx) => {
  let unsubscribe: (() => void) | null = null;
  let nextNotice = 1;
  const setModel = (patch: Partial<ModelState>) => set((s) => ({ model: { ...s.model, ...patch } }));

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
      case 'progress':
        setModel({ progress: { loaded: e.loaded, total: e.total, stage: e.stage } });
        return;
    }
  };

  /** A checkpoint is in: record it, re-fit pictures if the input size changed, redo every row. */
  const installed = (info: ModelInfo, checkpoint: ModelState['checkpoint'], fallbackReason: string | null) => {
    const prevSize = ctx.imgSize();
    set((s) => ({
      model: {
        ...s.model, phase: 'ready', info, checkpoint, fallbackReason, progress: null, error: null,
        generation: s.model.generation + 1,
      },
    }));
    ctx.requested.clear();
    if (info.imgSize !== prevSize) ctx.refitAll();
    ctx.scheduleRefresh();
  };

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
    try {
      const r = await client.loadCheckpoint(defaultSource);
      installed(r.info, { label: r.label, kind: defaultSource.kind, notes: r.notes }, null);
      return;
    } catch (e) {
      const reason = message(e);
      try {
        const r = await client.loadCheckpoint(fallbackSource);
        installed(r.info, { label: r.label, kind: fallbackSource.kind, notes: r.notes },
          `The bundled checkpoint could not be loaded (${reason}), so the model runs on random weights: its reconstructions mean nothing yet.`);
      } catch (e2) {
        setModel({ phase: 'error', progress: null, error: `No checkpoint could be loaded: ${message(e2)} (bundled checkpoint: ${reason})` });
      }
    }
  };

  return {
    model: initialModelState(),
    notices: [],

    async boot() {
      unsubscribe?.();
      unsubscribe = ctx.deps.client.on(onEvent);
      await Promise.all([restoreSession(), startModel()]);
    },

    async loadCheckpoint(source) {
      const before = get().model;
      setModel({ phase: 'loading', progress: null });
      try {
        const r = await ctx.deps.client.loadCheckpoint(source);
        installed(r.info, { label: r.label, kind: source.kind, notes: r.notes }, null);
        return true;
      } catch (e) {
        setModel({ phase: before.info ? 'ready' : 'error', progress: null });
        get().notify('error', `Checkpoint “${source.label}” could not be loaded: ${message(e)}. The previous one keeps running.`);
        return false;
      }
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
    },
  };
};
