// The session: the model slots (A, the page's checkpoint; B, the comparison), starting them at boot
// (the link's checkpoint, else the bundled one, else honestly random weights), restoring the saved
// pictures and settings, and passing notices.
import type { CheckpointSource } from '../protocol/messages';
import { canonicalRef, parseRef, sourceForRef } from './checkpointRef';
import { decodeEntry, newEntry } from './imagesSlice';
import { failureHeadline, sentence, type LoadFailure } from './loading';
import { savedSource } from './savedCheckpoints';
import { decodeMaskBits } from '../shared/masking';
import { DEFAULT_SETTINGS, sanitizeSettings } from './settings';
import { createModelSlot, initialSlotState, message, type ModelSlot } from './slot';
import type { SessionSlice, SetState, GetState, SlotId, StoreContext } from './types';

export const DEFAULT_SOURCE: CheckpointSource = { kind: 'url', baseUrl: './checkpoints/mae-small/', label: 'mae-small (bundled)' };
export const FALLBACK_SOURCE: CheckpointSource = { kind: 'random', label: 'random weights, for testing' };

/** Longest grid side a link's painted mask may have, in patches. */
const MAX_LINK_GRID = 64;

/** A painted mask from a link: its square grid follows from the text's length. */
export function decodeSquareMask(text: string): Uint8Array | null {
  for (let g = 1; g <= MAX_LINK_GRID; g++) {
    if (Math.ceil((g * g) / 6) === text.length) return decodeMaskBits(text, g * g);
  }
  return null;
}

export function createSessionSlice(set: SetState, get: GetState, ctx: StoreContext): SessionSlice {
  let nextNotice = 1;
  const slotA = createModelSlot('A', set, get, ctx, () => ctx.deps.client, true);
  const slotB = createModelSlot('B', set, get, ctx, ctx.deps.createCompareClient ?? null);
  const slots: Record<SlotId, ModelSlot> = { A: slotA, B: slotB };
  for (const id of ['A', 'B'] as const) ctx.slots[id] = slots[id].hooks;

  /** Nothing was saved in this browser: a first visit opens with a sample. */
  let firstVisit = false;

  /** The pictures the link names (bundled samples, with their painted masks), else a first visit's sample. */
  const addLinkedPictures = async () => {
    const linked = ctx.deps.urlImages;
    if (!linked) {
      if (firstVisit && ctx.deps.firstSample) await get().addSample(ctx.deps.firstSample);
      return;
    }
    await Promise.all(linked.samples.map((file, i) => {
      const paint = linked.paints[i];
      const have = get().order.find((k) => get().entries[k]?.sample === file);
      const mask = paint ? decodeSquareMask(paint) : null;
      // Already here (saved in this browser): the link's painting wins.
      if (have) {
        if (mask) get().setPaintedMask(have, mask, true);
        return undefined;
      }
      return get().addSample(file, mask);
    }));
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
      ...newEntry(i.key, i.name, i.blob, i.addedAt, typeof i.sample === 'string' ? i.sample : null),
      paintedMask: i.paintedMask instanceof Uint8Array ? i.paintedMask : null,
    }));
    firstVisit = stored.settings === null && stored.images.length === 0;
    set((s) => ({
      settings,
      order: [...entries.map((e) => e.key), ...s.order],
      entries: { ...s.entries, ...Object.fromEntries(entries.map((e) => [e.key, e])) },
    }));
    await Promise.all(entries.map((e) => decodeEntry(set, get, ctx, e.key)));
  };

  /** The checkpoint the link names, unless it is the bundled one (or names nothing loadable). */
  const linkedSource = async (): Promise<CheckpointSource | null> => {
    const raw = ctx.deps.urlCheckpoints?.ckpt;
    if (raw === undefined || raw.trim() === '' || raw.trim() === 'bundled') return null;
    const ref = parseRef(raw);
    if (ref?.kind === 'saved') {
      const got = await ctx.deps.savedCheckpoints?.files(ref.id).catch(() => null);
      if (got) return savedSource(got.meta, got.config, got.weights);
      get().notify('info', 'The link names a fine-tuned checkpoint kept in another browser (or deleted since), so the bundled one is loaded.');
      return null;
    }
    const source = ref && sourceForRef(ref, { ...ctx.deps, endpoint: get().settings.hfEndpoint });
    if (!ref) {
      get().notify('warning', `The link names a checkpoint “${raw}” this page does not know (ckpt= takes bundled, random or hf:org/name[@revision]), so the bundled one is loaded.`);
    } else if (ref.kind === 'file') {
      get().notify('info', `The link was made with a checkpoint file from disk (${ref.name}); drop that file onto the page to load it. Meanwhile the bundled checkpoint runs.`);
    }
    return source;
  };

  const patchA = (p: Partial<SessionSlice['slots']['A']>) => set((s) => ({ slots: { ...s.slots, A: { ...s.slots.A, ...p } } }));

  const startA = async () => {
    const { defaultSource, fallbackSource } = ctx.deps;
    try {
      await slotA.ensureClient();
    } catch {
      return;
    }
    patchA({ phase: 'loading' });
    let linkFailure: LoadFailure | null = null;
    const linked = await linkedSource();
    // A link never starts a hub download by itself: the bundled checkpoint runs until the visitor says yes.
    const ask = linked && await slotA.askBeforeLinkLoad(linked);
    if (linked && !ask) {
      patchA({ ref: canonicalRef(ctx.deps.urlCheckpoints?.ckpt) });
      const r = await slotA.runLoad(linked);
      if (r.ok) {
        slotA.installed(linked, r);
        return;
      }
      linkFailure = slotA.failureFor(linked, r.error);
      if (linkFailure.kind !== 'cancelled') get().notify('error', `${failureHeadline(linkFailure).replace(/\.$/, ':')} ${sentence(linkFailure.message)} The bundled checkpoint is loaded instead.`);
    }
    patchA({ ref: 'bundled' });
    const r = await slotA.runLoad(defaultSource);
    if (r.ok) slotA.installed(defaultSource, r, { ref: 'bundled' });
    else {
      const reason = message(r.error);
      const f = await slotA.runLoad(fallbackSource);
      if (f.ok) {
        slotA.installed(fallbackSource, f, {
          ref: 'bundled',
          fallbackReason: `The bundled checkpoint could not be loaded (${reason}), so the model runs on random weights: its reconstructions mean nothing yet.`,
        });
      } else {
        patchA({ phase: 'error', progress: null, error: `No checkpoint could be loaded: ${message(f.error)} (bundled checkpoint: ${reason})` });
      }
    }
    if (linkFailure) patchA({ loadError: linkFailure });
    // Unless the visitor has already chosen another checkpoint meanwhile.
    if (ask && !get().slots.A.loading && get().slots.A.ref === 'bundled') patchA({ pendingDownload: ask });
  };

  const checkStorage = () => {
    const storage = ctx.deps.storage;
    if (!storage) return;
    storage.persisted().then((v) => set({ storagePersisted: v }), () => undefined);
  };

  const cmp = ctx.deps.urlCheckpoints?.compare?.trim() ? ctx.deps.urlCheckpoints.compare : null;
  return {
    slots: {
      A: initialSlotState('A', true, canonicalRef(ctx.deps.urlCheckpoints?.ckpt) ?? 'bundled'),
      B: initialSlotState('B', !!ctx.deps.createCompareClient, cmp),
    },
    slotApi: { A: slotA.actions, B: slotB.actions },
    storagePersisted: null,
    notices: [],

    async boot() {
      checkStorage();
      await Promise.all([restoreSession().then(addLinkedPictures), startA()]);
      if (cmp && get().slots.A.info) await slotB.actions.followLink(cmp);
    },

    notify(kind, text) {
      const id = nextNotice++;
      set((s) => ({ notices: [...s.notices.filter((n) => n.text !== text), { id, kind, text }] }));
    },

    dismissNotice(id) {
      set((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
    },

    teardown() {
      slotA.detach();
      slotB.detach();
    },
  };
}
