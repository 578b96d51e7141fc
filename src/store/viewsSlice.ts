// The views of a picture (what the model looks at, what its features hold): open per row, they ask
// slot A's worker to inspect the picture under the mask of the reconstruction shown, once that
// reconstruction is in, so a view always matches the panels and never delays the slider. With
// every view closed nothing is asked and the worker frees its inspecting model.
import type { AttentionStack, InspectCapture } from '../protocol/messages';
import type { Inspection } from '../worker-client/types';
import { maskSignature } from './masks';
import { message } from './slot';
import type { AppState, SetState, GetState, StoreContext } from './types';

/**
 * How long a new mask must rest before an open view asks for it, in ms: an inspection is a plain
 * forward pass several times slower than a reconstruction and cannot be interrupted, so views wait
 * for the slider to rest rather than hold up its next step. Opening a view or choosing another head
 * asks at once.
 */
export const VIEW_IDLE_MS = 400;

/** The views a row can show. */
export type ViewKind = 'attention' | 'features';
export const VIEW_KINDS: readonly ViewKind[] = ['attention', 'features'];

/** Which attention the attention view shows: a stack, and one head (0-based) or their mean. */
export interface AttentionChoice {
  stack: AttentionStack;
  head: number | 'mean';
}

/** One row's open view. */
export interface RowView {
  kind: ViewKind;
  attention: AttentionChoice;
  /** The newest answer, with the mask it was made under (1 = masked); null until the first. */
  result: { inspection: Inspection; mask: Uint8Array; /** slot A's checkpoint generation it came from */ generation: number } | null;
  /** A request newer than `result` is out. */
  pending: boolean;
  error: string | null;
}

export interface ViewsSlice {
  /** Open views by picture key (absent: none). */
  views: Record<string, RowView>;
  /** Opens a view on a row (replacing the one open there), or closes it (null). */
  setView(key: string, kind: ViewKind | null): void;
  /** Chooses the attention stack and head of a row's attention view. */
  setAttentionChoice(key: string, choice: AttentionChoice): void;
  /** Asks for every open view's inspection that is not current (called when reconstructions or views change). */
  syncViews(): void;
}

/** What an open view asks the worker to capture. */
export function captureFor(view: Pick<RowView, 'kind' | 'attention'>): InspectCapture {
  return view.kind === 'attention' ? { attention: { ...view.attention }, features: false } : { attention: null, features: true };
}

/** The attention a view starts with: the encoder's, heads averaged. */
export const DEFAULT_ATTENTION: AttentionChoice = { stack: 'encoder', head: 'mean' };

export function createViewsSlice(set: SetState, get: GetState, ctx: StoreContext): ViewsSlice {
  /** Signature of the last request per picture (identical repeats are skipped), and its mask's part. */
  const requested = new Map<string, string>();
  const requestedMask = new Map<string, string>();
  /** A request waiting for the mask to rest, per picture. */
  const timers = new Map<string, { signature: string; handle: ReturnType<typeof setTimeout> }>();
  const unschedule = (key: string) => {
    const t = timers.get(key);
    if (t) clearTimeout(t.handle);
    timers.delete(key);
  };
  /** Whether the worker may hold an inspecting model (a request went out since the last close). */
  let open = false;

  const patchView = (key: string, p: Partial<RowView>) => set((s: AppState) => {
    const v = s.views[key];
    return v ? { views: { ...s.views, [key]: { ...v, ...p } } } : {};
  });

  const sync = () => {
    const s = get();
    const client = ctx.slots.A?.client();
    const keys = Object.keys(s.views);
    // Views of pictures that went away close.
    const gone = keys.filter((k) => !s.entries[k]);
    if (gone.length) {
      set((st: AppState) => {
        const views = { ...st.views };
        for (const k of gone) delete views[k];
        return { views };
      });
      gone.forEach((k) => { requested.delete(k); requestedMask.delete(k); unschedule(k); });
      return; // the store changed: this runs again
    }
    for (const k of [...timers.keys()]) if (!s.views[k]) unschedule(k);
    if (!keys.length) {
      requested.clear();
      requestedMask.clear();
      if (open) {
        open = false;
        client?.closeInspect();
      }
      return;
    }
    const slotA = s.slots.A;
    if (!client || !slotA.info) return;
    for (const key of keys) {
      const view = s.views[key];
      if (view.result && view.result.generation !== slotA.generation) patchView(key, { result: null });
      // Another checkpoint may have fewer heads: a head it lacks becomes the mean.
      const { stack, head } = view.attention;
      const heads = stack === 'encoder' ? slotA.info.numHeads : slotA.info.decoderNumHeads;
      if (head !== 'mean' && head >= heads) {
        patchView(key, { attention: { stack, head: 'mean' } });
        continue; // the store changed: this runs again with the mean
      }
      const row = slotA.rows[key];
      const shown = row?.result;
      // A newer reconstruction is on its way: the view waits for it (and its mask).
      if (!shown || row.pending) {
        unschedule(key);
        continue;
      }
      const capture = captureFor(view);
      const maskPart = `${slotA.generation}|${maskSignature(shown.mask)}`;
      const signature = `${maskPart}|${JSON.stringify(capture)}`;
      if (requested.get(key) === signature || timers.get(key)?.signature === signature) continue;
      unschedule(key);
      const idle = ctx.deps.viewIdleMs;
      if (idle > 0 && requestedMask.has(key) && requestedMask.get(key) !== maskPart) {
        // The mask moved: ask once it has rested (sync runs again then and finds nothing newer).
        timers.set(key, { signature, handle: setTimeout(() => { timers.delete(key); send(key, signature, maskPart, shown.mask, capture); }, idle) });
        continue;
      }
      send(key, signature, maskPart, shown.mask, capture);
    }
  };

  const send = (key: string, signature: string, maskPart: string, mask: Uint8Array, capture: InspectCapture) => {
    const s = get();
    const client = ctx.slots.A?.client();
    const view = s.views[key];
    const generation = s.slots.A.generation;
    if (!client || !view || !maskPart.startsWith(`${generation}|`)) return;
    requested.set(key, signature);
    requestedMask.set(key, maskPart);
    open = true;
    if (!view.pending) patchView(key, { pending: true });
    client.inspect({ imageKey: key, mask, capture }).then((r) => {
      if (requested.get(key) !== signature) return; // a newer request answers
      if (r === null) {
        requested.delete(key);
        patchView(key, { pending: false });
        return;
      }
      patchView(key, { pending: false, error: null, result: { inspection: r, mask, generation } });
    }, (e: unknown) => {
      if (requested.get(key) !== signature) return;
      patchView(key, { pending: false, error: message(e) });
    });
  };

  return {
    views: {},
    setView(key, kind) {
      if (kind === null) {
        set((s: AppState) => {
          if (!s.views[key]) return {};
          const views = { ...s.views };
          delete views[key];
          return { views };
        });
        requested.delete(key);
        requestedMask.delete(key);
        unschedule(key);
      } else {
        const before = get().views[key];
        if (before?.kind === kind) return;
        requested.delete(key);
        set((s: AppState) => ({ views: { ...s.views, [key]: {
          kind, attention: before?.attention ?? DEFAULT_ATTENTION, result: null, pending: false, error: null,
        } } }));
      }
      sync();
    },
    setAttentionChoice(key, choice) {
      const v = get().views[key];
      if (!v || (v.attention.stack === choice.stack && v.attention.head === choice.head)) return;
      // Another stack has other tokens: its old maps must not be drawn under the new choice (another head's may, until the new ones come).
      patchView(key, { attention: { ...choice }, ...(choice.stack !== v.attention.stack ? { result: null } : {}) });
      sync();
    },
    syncViews: sync,
  };
}
