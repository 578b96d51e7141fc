// A model slot: one worker client, its checkpoint (loads with progress, cancel, retry, a link's
// download waiting for a yes), and its reconstructions of every picture under the page's masks.
// One factory serves A (the page's checkpoint) and B (the comparison), and any slot after them.
import type { CheckpointSource, ModelInfo, Rgba } from '../protocol/messages';
import { LoadError } from '../worker-client/errors';
import type { ClientEvent, LoadedCheckpoint, ModelClient } from '../worker-client/types';
import { parseRef, refForSource, sourceForRef } from './checkpointRef';
import { classifyLoadError, failureHeadline, meterUpdate, sentence, type LoadFailure, type PendingDownload, type RateMeter } from './loading';
import { patchEntry } from './imagesSlice';
import { savedSource } from './savedCheckpoints';
import { maskOf, maskSignature, seededMask } from './masks';
import type { GetState, ImageEntry, SetState, SlotActions, SlotHooks, SlotId, SlotRow, SlotState, StoreContext } from './types';
import type { Settings } from './settings';
import type { FinetunePhase } from './finetuneSlice';
import { fitSize, inputSide } from '../shared/inputSize';
import { LOOKAHEAD_MAX_MS, nextLookaheadRatios, ResultCache } from './lookahead';

/** The worker-client lane of a slot's lookahead requests (one at a time, behind the visitor's own). */
const LOOKAHEAD_LANE = 'lookahead';
/** Fine-tuning phases of a run not yet ended (its weights change under the slot's cache, so nothing is looked ahead). */
const TRAINING_BUSY_PHASES: readonly FinetunePhase[] = ['starting', 'running', 'paused', 'stopping'];
/** Whether a fine-tuning run is under way (started and not yet ended). */
export const trainingBusy = (phase: FinetunePhase): boolean => TRAINING_BUSY_PHASES.includes(phase);

/** A number per pixel buffer, so a cached reconstruction is only reused for the very pixels it was made from. */
const inputIds = new WeakMap<Rgba, number>();
let nextInputId = 0;
const inputIdOf = (input: Rgba) => {
  let n = inputIds.get(input);
  if (n === undefined) inputIds.set(input, (n = ++nextInputId));
  return n;
};

/** File name endings the checkpoint loader takes (anything else dropped on the page is a picture). */
export const CHECKPOINT_EXTENSIONS: readonly string[] = ['.safetensors', '.pth', '.pt', '.bin'];
/** Whether a file name is a checkpoint's weights, by its ending. */
export const isCheckpointName = (name: string): boolean => CHECKPOINT_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext));
/** Whether a file name is a Hugging Face config (loaded beside the weights). */
export const isConfigName = (name: string): boolean => /(^|[/\\])config\.json$/i.test(name);

/** `side|patch|resize mode` of a slot's fit under the settings: its own copy of a picture is kept under this key. */
const fitKeyOf = (settings: Settings, info: ModelInfo) => `${inputSide(settings.inputScale, info.imgSize)}|${info.patchSize}|${settings.resize}`;

/**
 * The pixels a slot runs a picture on under the settings: the picture as fitted for A when that is
 * the size this slot wants (fitSize), else the slot's own fit of it; null while that fit is missing.
 */
export function slotInput(settings: Settings, info: ModelInfo, entry: Pick<ImageEntry, 'fitted' | 'sourceSize'>,
  row: SlotRow | undefined): Rgba | null {
  const side = inputSide(settings.inputScale, info.imgSize);
  const want = fitSize(settings.resize, side, info.patchSize, entry.sourceSize ?? { width: side, height: side });
  const f = entry.fitted;
  if (f && f.width === want.width && f.height === want.height) return f;
  return row?.fitted && row.fitKey === fitKeyOf(settings, info) ? row.fitted : null;
}

/** An error's words. */
export const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)) || 'unknown error';

export const emptyRow = (): SlotRow => ({ result: null, pending: false, error: null, fitted: null, fitKey: null });

/** A slot before anything ran: A is idle (it starts at boot), the others off. */
export function initialSlotState(id: SlotId, available: boolean, ref: string | null): SlotState {
  return {
    id, available, phase: id === 'A' ? 'idle' : 'off', backend: null, backendNotes: [], checkpoint: null, ref, loading: null,
    loadError: null, pendingDownload: null, fallbackReason: null, info: null, progress: null, lastTimings: null, lastAt: null,
    message: null, error: null, generation: 0, rows: {},
  };
}

/** Words that name a slot in messages ("" for A, the page's own checkpoint). */
const who = (id: SlotId) => (id === 'A' ? '' : `Checkpoint ${id}: `);

/** The visitor's files as a 'files' source (their Blobs: no bytes are read here); an error when none is a checkpoint. */
export function filesSource(files: { name: string; blob: Blob }[]): CheckpointSource | { error: string } {
  const weights = files.filter((f) => isCheckpointName(f.name));
  if (!weights.length) {
    return { error: `none of ${files.map((f) => f.name).join(', ') || 'the files'} is a checkpoint (${CHECKPOINT_EXTENSIONS.join(', ')})` };
  }
  const used = files.filter((f) => isCheckpointName(f.name) || isConfigName(f.name));
  return { kind: 'files', files: used.map((f) => ({ name: f.name, blob: f.blob })), label: weights.map((f) => f.name).join(' + ') };
}

/** A retry of a hub source goes to the hub address set now (the visitor may have just fixed it). */
export const withCurrentEndpoint = (source: CheckpointSource, endpoint: string): CheckpointSource =>
  source.kind === 'hub' ? { ...source, endpoint } : source;

/** What a slot exposes to the store that builds it. */
export interface ModelSlot {
  actions: SlotActions;
  hooks: SlotHooks;
  /** Starts the worker if needed; resolves with the client once it runs. */
  ensureClient(): Promise<ModelClient>;
  /** One load through the client, with progress and the in-flight record; `stale`: a newer load started meanwhile. */
  runLoad(source: CheckpointSource): Promise<({ ok: true } & LoadedCheckpoint) | { ok: false; error: unknown; stale: boolean }>;
  /** A checkpoint is in: record it and redo every row. */
  installed(source: CheckpointSource, r: LoadedCheckpoint, o?: { fallbackReason?: string | null; ref?: string | null }): void;
  /** A failure record for a source (a dropped file is not kept for a retry). */
  failureFor(source: CheckpointSource, e: unknown): LoadFailure;
  /** Whether a link's hub checkpoint must wait for the visitor's yes (not in this browser yet). */
  askBeforeLinkLoad(source: CheckpointSource): Promise<PendingDownload | null>;
  /** Unsubscribes from the client. */
  detach(): void;
}

/**
 * Creates slot `id`. `makeClient` gives its worker client: A's exists from the start, the others'
 * are made on their first load and ended by `close`.
 */
export function createModelSlot(id: SlotId, set: SetState, get: GetState, ctx: StoreContext,
  makeClient: (() => ModelClient) | null, persistentClient = false): ModelSlot {
  let client: ModelClient | null = null;
  let unsubscribe: (() => void) | null = null;
  let starting: Promise<unknown> | null = null;
  let meter: RateMeter | null = null;
  let loadToken = 0;
  /** Signature of the last request per picture (identical repeats are skipped). */
  const requested = new Map<string, string>();
  /** Ticket of the newest request per picture: only its outcome settles the row's pending state. */
  const tickets = new Map<string, number>();
  let nextTicket = 0;
  /** The load a Cancel click hit before the worker had started (the client had nothing to cancel yet). */
  let cancelledLoad = -1;
  /** The pixels the worker holds per picture (by reference). */
  const sent = new Map<string, Rgba>();
  /** fitKey of a re-fit in flight per picture (this slot's size differs from A's). */
  const fitting = new Map<string, { fitKey: string; token: number }>();
  /** Ticket of the result drawn per picture: an older answer landing after a newer one (a cache hit) is not drawn. */
  const drawnTickets = new Map<string, number>();
  /** Recent and looked-ahead reconstructions of this slot's checkpoint, by picture and request signature. */
  const cache = new ResultCache();
  /** The checkpoint generation the cache holds reconstructions of. */
  let cacheGeneration = -1;
  /** The slider's last direction of travel (lookahead goes that way first), and its last ratio. */
  let direction: 1 | -1 = -1;
  let lastRatio: number | null = null;
  /** A lookahead request is in the worker. */
  let guessing = false;

  /** The cache, emptied first when the checkpoint (or its weights) changed. */
  const cacheFor = (generation: number) => {
    if (cacheGeneration !== generation) {
      cache.clear();
      cacheGeneration = generation;
    }
    return cache;
  };
  /** What makes two requests the same reconstruction: the checkpoint, the very pixels, the mask, the statistics. */
  const signatureOf = (generation: number, input: Rgba, mask: Uint8Array, normPixStats: string) =>
    `${generation}|${inputIdOf(input)}|${input.width}x${input.height}|${maskSignature(mask)}|${normPixStats}`;

  const slot = () => get().slots[id];
  const patch = (p: Partial<SlotState>) => set((s) => ({ slots: { ...s.slots, [id]: { ...s.slots[id], ...p } } }));
  const patchRow = (key: string, p: Partial<SlotRow>) => set((s) => {
    if (!s.entries[key]) return {};
    const cur = s.slots[id];
    return { slots: { ...s.slots, [id]: { ...cur, rows: { ...cur.rows, [key]: { ...(cur.rows[key] ?? emptyRow()), ...p } } } } };
  });
  const refOf = (source: CheckpointSource) => refForSource(source, ctx.deps.defaultSource);
  const sourceOf = (raw: string) => {
    const ref = parseRef(raw);
    return { ref, source: ref && sourceForRef(ref, { ...ctx.deps, endpoint: get().settings.hfEndpoint }) };
  };

  const onEvent = (e: ClientEvent) => {
    switch (e.type) {
      case 'backend':
        if (slot().phase === 'restarting') {
          patch({ backend: e.backend, backendNotes: e.notes, phase: 'ready', message: id === 'A' ? `The model worker restarted on ${e.backend}.` : null });
          requested.clear();
          ctx.scheduleRefresh();
        } else patch({ backend: e.backend, backendNotes: e.notes });
        return;
      case 'restarting':
        patch({ phase: 'restarting', message: `${id === 'A' ? 'The model worker' : `Checkpoint ${id}'s worker`} stopped (${e.reason}); restarting on ${e.backend}…` });
        // The client sends every image again itself.
        return;
      case 'progress': {
        const s = slot();
        if (!s.loading && s.phase !== 'loading') return;
        const r = meterUpdate(meter, e, ctx.deps.now());
        meter = r.meter;
        patch({ progress: r.progress });
        return;
      }
    }
  };

  const forget = (key?: string) => {
    if (key === undefined) {
      for (const k of sent.keys()) client?.forgetImage(k);
      sent.clear();
      requested.clear();
      tickets.clear();
      drawnTickets.clear();
      fitting.clear();
      cache.clear();
      if (Object.keys(slot().rows).length) patch({ rows: {} });
      return;
    }
    if (sent.delete(key)) client?.forgetImage(key);
    requested.delete(key);
    tickets.delete(key);
    drawnTickets.delete(key);
    fitting.delete(key);
    cache.forget(key);
    if (slot().rows[key]) {
      set((s) => {
        const rows = { ...s.slots[id].rows };
        delete rows[key];
        return { slots: { ...s.slots, [id]: { ...s.slots[id], rows } } };
      });
    }
  };

  /** Ends the worker and forgets every result. */
  const stop = () => {
    unsubscribe?.();
    unsubscribe = null;
    client?.dispose();
    client = null;
    starting = null;
    forget();
    sent.clear();
    patch({ phase: 'off', backend: null, checkpoint: null, info: null, ref: null, loading: null, progress: null, message: null });
  };

  const ensureClient = async (): Promise<ModelClient> => {
    if (!client) {
      if (!makeClient) throw new Error('comparing is not available on this page');
      const c = makeClient();
      client = c;
      unsubscribe = c.on(onEvent);
      patch({ phase: 'starting', error: null });
      starting = c.start(get().settings.backend ?? undefined).then((b) => {
        if (client === c) patch({ backend: b });
      });
    }
    const c = client;
    try {
      await starting;
    } catch (e) {
      if (client === c) {
        if (persistentClient) patch({ phase: 'error', error: `The model could not start: ${message(e)}` });
        else stop();
      }
      throw new Error(id === 'A' ? `the model could not start: ${message(e)}` : `the second model could not start: ${message(e)}`);
    }
    return c;
  };

  /** Fits a picture to this slot's input size (when it differs from A's), then asks again. */
  const fitForSlot = async (key: string, size: number, patchSize: number, fitKey: string) => {
    const e = get().entries[key];
    if (!e || fitting.get(key)?.fitKey === fitKey) return;
    const token = ctx.nextToken();
    fitting.set(key, { fitKey, token });
    patchRow(key, { pending: true });
    let res;
    try {
      res = await ctx.deps.decoder.decode(e.blob, size, get().settings.resize, patchSize);
    } catch (err) {
      res = { ok: false as const, message: `could not be read: ${message(err)}` };
    }
    if (fitting.get(key)?.token !== token) return;
    fitting.delete(key);
    if (!res.ok) {
      patchRow(key, { pending: false, error: res.message });
      return;
    }
    patchRow(key, { fitted: res.image.rgba, fitKey, pending: false });
    requested.delete(key);
    request(key);
  };

  /** This slot's reconstruction of one picture under the current settings, unless already asked. */
  function request(key: string): void {
    const s = get();
    const st = s.slots[id];
    const c = client;
    if (!c || !st.info || (st.phase !== 'ready' && st.phase !== 'restarting')) return;
    const e = s.entries[key];
    if (!e || e.status !== 'ready' || !e.fitted) return;
    if (s.visibility[key] === false) return;
    const { settings } = s;
    const patchPx = st.info.patchSize;
    const input = slotInput(settings, st.info, e, st.rows[key]);
    if (!input) {
      const side = inputSide(settings.inputScale, st.info.imgSize);
      void fitForSlot(key, side, patchPx, fitKeyOf(settings, st.info));
      return;
    }
    const rows = input.height / patchPx;
    const cols = input.width / patchPx;
    let mask = maskOf(settings, e, rows, cols);
    if (settings.pattern === 'painted' && (id === 'A' ? e.paintedMask?.length !== rows * cols : !mask)) {
      // Painting with no painting for this grid yet (a link, a picture that decoded before the model, a
      // model of another grid or input size): A carries its painting over where it can, else starts from
      // the seeded mask; another slot that cannot carry A's painting over uses the seeded mask.
      mask = Uint8Array.from(mask ?? seededMask(settings, rows, cols));
      if (id === 'A') patchEntry(set, key, { paintedMask: mask });
    }
    if (!mask) return;
    const signature = signatureOf(st.generation, input, mask, settings.normPixStats);
    const labels = { ratioPct: settings.ratioPct, seed: settings.seed, pattern: settings.pattern };
    if (settings.pattern !== 'painted') {
      if (lastRatio !== null && settings.ratioPct !== lastRatio) direction = settings.ratioPct > lastRatio ? 1 : -1;
      lastRatio = settings.ratioPct;
    }
    if (requested.get(key) === signature && sent.get(key) === input) {
      // Same mask under other settings (two ratios can hide as many patches): the picture stands, its labels follow.
      const shownNow = st.rows[key]?.result;
      if (shownNow && !st.rows[key]?.pending && (shownNow.ratioPct !== labels.ratioPct || shownNow.seed !== labels.seed || shownNow.pattern !== labels.pattern)) {
        patchRow(key, { result: { ...shownNow, ...labels } });
      }
      return;
    }
    requested.set(key, signature);
    const ticket = ++nextTicket;
    tickets.set(key, ticket);
    if (sent.get(key) !== input) {
      sent.set(key, input);
      c.setImage(key, input);
    }
    const shown = { input, mask, ...labels };
    const generation = st.generation;
    const kept = cacheFor(generation).get(key, signature);
    if (kept) {
      // Made before (or looked ahead): drawn now, with no trip to the worker.
      drawnTickets.set(key, ticket);
      patchRow(key, { pending: false, error: null, result: { recon: kept, ...shown } });
      lookahead();
      return;
    }
    if (!st.rows[key]?.pending) patchRow(key, { pending: true });
    const latest = () => tickets.get(key) === ticket;
    let p;
    try {
      p = c.reconstruct({ imageKey: key, mask, normPixStats: settings.normPixStats });
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then((r) => {
      if (r === null) {
        // Replaced by a newer request, or the picture went away: the newer one will answer.
        if (latest()) {
          requested.delete(key);
          patchRow(key, { pending: false });
        }
        return;
      }
      // A result from an older checkpoint is never drawn; an older mask's is (the panels follow the slider),
      // unless a newer one is already drawn (from the cache).
      if (slot().generation !== generation) return;
      cacheFor(generation).put(key, signature, r);
      patch({ lastTimings: r.timings, lastAt: ctx.deps.now() });
      if (ticket < (drawnTickets.get(key) ?? 0)) return;
      drawnTickets.set(key, ticket);
      // The newest answer wears the settings of now (they may have moved to another ratio with the same mask).
      const now = get().settings;
      const current = latest() ? { ratioPct: now.ratioPct, seed: now.seed, pattern: now.pattern } : {};
      patchRow(key, { pending: !latest(), error: null, result: { recon: r, ...shown, ...current } });
      if (latest()) lookahead();
    }, (err) => {
      if (!latest()) return;
      requested.delete(key);
      patchRow(key, { pending: false, error: message(err) });
    });
  }

  /**
   * Reconstructs, one at a time and only while none of the visitor's own requests is out, the
   * masks of the slider's neighbouring ratios (nearest first, the way it last moved first) for
   * every picture in view, into the cache; each answer asks for the next. Quick models only
   * (LOOKAHEAD_MAX_MS), never while painting or fine-tuning.
   */
  function lookahead(): void {
    if (guessing) return;
    const s = get();
    const st = s.slots[id];
    const c = client;
    const { settings } = s;
    if (!c || !st.info || st.phase !== 'ready' || !settings.lookahead || settings.pattern === 'painted') return;
    if (!st.lastTimings || st.lastTimings.totalMs > LOOKAHEAD_MAX_MS) return;
    if (trainingBusy(s.finetune.phase)) return;
    const keys = s.order.filter((key) => s.visibility[key] !== false && s.entries[key]?.status === 'ready');
    if (keys.some((key) => st.rows[key]?.pending)) return;
    const store = cacheFor(st.generation);
    for (const ratioPct of nextLookaheadRatios(settings.ratioPct, direction)) {
      for (const key of keys) {
        const input = slotInput(settings, st.info, s.entries[key], st.rows[key]);
        if (!input || sent.get(key) !== input) continue;
        const p = st.info.patchSize;
        const mask = seededMask({ ...settings, ratioPct }, input.height / p, input.width / p);
        const signature = signatureOf(st.generation, input, mask, settings.normPixStats);
        if (store.has(key, signature)) continue;
        guessing = true;
        const generation = st.generation;
        c.reconstruct({ imageKey: key, mask, normPixStats: settings.normPixStats, lookahead: true }, LOOKAHEAD_LANE).then((r) => {
          guessing = false;
          if (r && slot().generation === generation && sent.get(key) === input) cacheFor(generation).put(key, signature, r);
          if (r) lookahead();
        }, () => {
          guessing = false;
        });
        return;
      }
    }
  }

  const runLoad: ModelSlot['runLoad'] = async (source) => {
    const token = ++loadToken;
    meter = null;
    patch({ loading: { label: source.label, ref: refOf(source), kind: source.kind }, progress: null });
    try {
      const c = await ensureClient();
      if (cancelledLoad === token) throw new LoadError('cancelled', 'cancelled');
      if (!slot().info) patch({ phase: 'loading' });
      const r = await c.loadCheckpoint(source);
      if (client !== c) return { ok: false, error: new Error('the slot was closed'), stale: true };
      return { ok: true, ...r };
    } catch (error) {
      return { ok: false, error, stale: token !== loadToken };
    } finally {
      if (token === loadToken) patch({ loading: null, progress: null });
    }
  };

  const installed: ModelSlot['installed'] = (source, r, o = {}) => {
    const prev = ctx.fitTarget();
    const info: ModelInfo = r.info;
    set((s) => ({
      slots: {
        ...s.slots,
        [id]: {
          ...s.slots[id], phase: 'ready', info, error: null, progress: null,
          checkpoint: { label: r.label, kind: source.kind, notes: r.notes, ref: refOf(source) },
          fallbackReason: o.fallbackReason ?? null, ref: o.ref !== undefined ? o.ref : refOf(source),
          generation: s.slots[id].generation + 1,
        },
      },
    }));
    requested.clear();
    const now = ctx.fitTarget();
    if (id === 'A' && (now.side !== prev.side || now.patch !== prev.patch)) ctx.refitAll();
    if (source.kind === 'hub') ctx.keepStorage();
    ctx.scheduleRefresh();
  };

  const failureFor: ModelSlot['failureFor'] = (source, e) => ({
    label: source.label, ref: refOf(source), kind: classifyLoadError(e), message: message(e),
    retry: source.kind === 'files' ? null : source,
  });

  const askBeforeLinkLoad: ModelSlot['askBeforeLinkLoad'] = async (source) => {
    if (source.kind !== 'hub') return null;
    let cached = false;
    try {
      cached = (await ctx.deps.isHubCached?.(source)) ?? false;
    } catch {
      // Unknown counts as not downloaded: asking is the safe side.
    }
    return cached ? null : { ref: refOf(source), source };
  };

  const actions: SlotActions = {
    async load(source) {
      const before = slot();
      // A newer choice replaces a download in flight.
      if (before.loading) client?.cancelLoad();
      const first = !before.info;
      patch({ loadError: null, pendingDownload: null, ...(first ? { ref: refOf(source), error: null } : {}) });
      const r = await runLoad(source);
      if (r.ok) {
        // Even a superseded load is recorded: the worker now runs it (until the newer one lands).
        installed(source, r);
        return true;
      }
      if (r.stale) return false;
      const failure = failureFor(source, r.error);
      const running = !!slot().info;
      if (running) patch({ loadError: failure });
      else if (id === 'A') patch({ loadError: failure, phase: 'error', error: `No checkpoint is loaded: ${failure.message}` });
      else {
        stop();
        patch({ loadError: failure });
      }
      if (failure.kind !== 'cancelled') {
        get().notify('error', `${who(id)}${failureHeadline(failure).replace(/\.$/, ':')} ${sentence(failure.message)}${running ? ` The previous ${id === 'A' ? 'checkpoint' : id} keeps running.` : ''}`);
      }
      return false;
    },

    async loadRef(raw) {
      const { ref, source } = sourceOf(raw);
      if (ref?.kind === 'saved') {
        const got = await ctx.deps.savedCheckpoints?.files(ref.id).catch(() => null);
        if (got) return actions.load(savedSource(got.meta, got.config, got.weights));
      }
      if (!source) {
        const text = ref?.kind === 'file'
          ? `a checkpoint file (${ref.name}) cannot be loaded from a link: drop the file onto the page`
          : ref?.kind === 'saved' ? 'that fine-tuned checkpoint is not kept in this browser'
          : `“${raw}” names no checkpoint (use bundled, random or hf:org/name[@revision])`;
        if (id === 'A') get().notify('error', `${sentence(text.charAt(0).toUpperCase() + text.slice(1))}`);
        else patch({ ref: slot().info ? slot().ref : null, loadError: { label: raw, ref: null, kind: 'other', message: text, retry: null } });
        return false;
      }
      return actions.load(source);
    },

    async followLink(raw) {
      const { source } = sourceOf(raw);
      const ask = source && await askBeforeLinkLoad(source);
      if (!ask) return actions.loadRef(raw);
      // Not downloaded yet: the slot stays as it is until the visitor says yes.
      patch({ ref: slot().info ? slot().ref : null, pendingDownload: ask });
      return false;
    },

    async loadFiles(files) {
      const source = filesSource(files);
      if ('error' in source) {
        get().notify('error', `${who(id)}No checkpoint was loaded: ${source.error}.`);
        return false;
      }
      return actions.load(source);
    },

    cancelLoad() {
      if (!slot().loading) return;
      cancelledLoad = loadToken;
      client?.cancelLoad();
    },

    async retry() {
      const f = slot().loadError;
      if (!f?.retry) return false;
      return actions.load(withCurrentEndpoint(f.retry, get().settings.hfEndpoint));
    },

    dismissError() {
      patch({ loadError: null });
    },

    async confirmDownload() {
      const p = slot().pendingDownload;
      if (!p) return false;
      return actions.load(withCurrentEndpoint(p.source, get().settings.hfEndpoint));
    },

    dismissDownload() {
      patch({ pendingDownload: null });
    },

    close() {
      if (persistentClient) return;
      ++loadToken;
      stop();
      patch({ loadError: null, pendingDownload: null });
    },
  };

  if (persistentClient && makeClient) {
    client = makeClient();
  }

  return {
    actions,
    hooks: { request, forget, client: () => client },
    async ensureClient() {
      if (persistentClient && client && !unsubscribe) {
        unsubscribe = client.on(onEvent);
        const c = client;
        patch({ phase: 'starting', error: null });
        starting = c.start(get().settings.backend ?? undefined).then((b) => patch({ backend: b }));
      }
      return ensureClient();
    },
    runLoad,
    installed,
    failureFor,
    askBeforeLinkLoad,
    detach() {
      unsubscribe?.();
      unsubscribe = null;
      if (!persistentClient) stop();
    },
  };
}
