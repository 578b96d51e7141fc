// The app store: a vanilla zustand store built from slices, with the model client, decoder and
// persistence injected (tests pass fakes).
import { createStore } from 'zustand/vanilla';
import { DEFAULT_PATCH_SIZE, inputSide } from '../shared/inputSize';
import { createFinetuneSlice } from './finetuneSlice';
import { createImagesSlice, decodeEntry } from './imagesSlice';
import { createSessionSlice, DEFAULT_SOURCE, FALLBACK_SOURCE } from './sessionSlice';
import { createSettingsSlice, SETTINGS_SAVE_DELAY_MS } from './settingsSlice';
import type { AppDeps, AppState, AppStore, StoreContext } from './types';
import { createViewsSlice, VIEW_IDLE_MS } from './viewsSlice';

/** Model input size until a checkpoint says otherwise, in px. */
export const DEFAULT_IMG_SIZE = 224;


/** Runs `fn` on the next animation frame (or soon, where there are no frames). */
export function nextFrame(fn: () => void): void {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => fn());
  else setTimeout(fn, 0);
}

export function createAppStore(deps: AppDeps): AppStore {
  let token = 0;
  let refreshQueued = false;
  let storageWarned = false;
  let storageAsked = false;
  // eslint-disable-next-line prefer-const
  let store: AppStore;
  const get = () => store.getState();

  const ctx: StoreContext = {
    deps: {
      schedule: nextFrame,
      now: Date.now,
      random: Math.random,
      settingsSaveDelayMs: SETTINGS_SAVE_DELAY_MS,
      viewIdleMs: VIEW_IDLE_MS,
      defaultSource: DEFAULT_SOURCE,
      fallbackSource: FALLBACK_SOURCE,
      ...deps,
    },
    // Set by the session slice as it makes the slots.
    slots: {} as StoreContext['slots'],
    decodeTokens: new Map(),
    sweepTokens: new Map(),
    keepStorage() {
      const storage = ctx.deps.storage;
      if (!storage || storageAsked || get().storagePersisted) return;
      storageAsked = true;
      storage.persist().then((persisted) => store.setState({ storagePersisted: persisted }), () => undefined);
    },
    nextToken: () => ++token,
    scheduleRefresh() {
      if (refreshQueued) return;
      refreshQueued = true;
      ctx.deps.schedule(() => {
        refreshQueued = false;
        get().refresh();
      });
    },
    persist(fn) {
      let p: Promise<void>;
      try {
        p = fn(ctx.deps.persistence);
      } catch (e) {
        p = Promise.reject(e);
      }
      p.catch((e: unknown) => {
        if (storageWarned) return;
        storageWarned = true;
        get().notify('warning', `This browser's storage is not available (${e instanceof Error ? e.message : String(e)}), so pictures and settings will not survive a reload.`);
      });
    },
    fitTarget() {
      const info = get().slots.A.info;
      return { side: inputSide(get().settings.inputScale, info?.imgSize ?? DEFAULT_IMG_SIZE), patch: info?.patchSize ?? DEFAULT_PATCH_SIZE };
    },
    refitAll() {
      for (const key of get().order) {
        const e = get().entries[key];
        if (e && e.status !== 'error') void decodeEntry(store.setState, get, ctx, key);
      }
    },
  };

  store = createStore<AppState>()((set, getState) => ({
    ...createImagesSlice(set, getState, ctx),
    ...createSettingsSlice(set, getState, ctx),
    ...createSessionSlice(set, getState, ctx),
    ...createFinetuneSlice(set, getState, ctx),
    ...createViewsSlice(set, getState, ctx),
  }));
  // Open views follow slot A's reconstructions (and its checkpoint); with none open this does nothing.
  store.subscribe((s, prev) => {
    if (s.views !== prev.views || s.entries !== prev.entries || s.slots.A.rows !== prev.slots.A.rows || s.slots.A.generation !== prev.slots.A.generation) {
      s.syncViews();
    }
  });
  return store;
}
