// Settings and checkpoints <-> URL: read once on load (main.tsx), written with
// history.replaceState on change, at most every `intervalMs` (browsers throttle replaceState; a
// slider drag would hit the limit).
import { serializeUrlCheckpoints } from '../store/checkpointRef';
import { linkedImagesOf, serializeUrlImages } from '../store/linkImages';
import { serializeSettings, type Settings } from '../store/settings';
import type { AppState, AppStore } from '../store/types';

/** The checkpoints a link names: `ckpt=` (A) and `cmp=` (B, when comparing). */
export interface UrlCheckpoints {
  ckpt: string | null;
  compare: string | null;
}

export const checkpointsOf = (s: Pick<AppState, 'slots'>): UrlCheckpoints => ({ ckpt: s.slots.A.ref, compare: s.slots.B.ref });

export function urlFor(settings: Settings, loc: Pick<Location, 'pathname' | 'search' | 'hash'>, refs?: UrlCheckpoints,
  images?: { img: string; paint: string | null }): string {
  let search = serializeSettings(settings, loc.search);
  if (refs) search = serializeUrlCheckpoints(refs, search);
  if (images) search = serializeUrlImages(images, search);
  return `${loc.pathname}${search}${loc.hash}`;
}

export function syncUrl(store: AppStore, win: Window = window, intervalMs = 250): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last = store.getState();
  const write = () => {
    timer = null;
    const s = store.getState();
    const url = urlFor(s.settings, win.location, checkpointsOf(s), linkedImagesOf(s));
    const current = `${win.location.pathname}${win.location.search}${win.location.hash}`;
    if (url === current) return;
    try {
      win.history.replaceState(win.history.state, '', url);
    } catch {
      // Throttled by the browser: try again a little later.
      timer = setTimeout(write, intervalMs * 4);
    }
  };
  write();
  const unsubscribe = store.subscribe((s) => {
    if (s.settings === last.settings && s.slots.A.ref === last.slots.A.ref && s.slots.B.ref === last.slots.B.ref
      && s.order === last.order && s.entries === last.entries) return;
    last = s;
    timer ??= setTimeout(write, intervalMs);
  });
  return () => {
    unsubscribe();
    if (timer) clearTimeout(timer);
  };
}

/** Reloads the page with another backend override (the worker picks its backend at start). */
export function reloadWithBackend(store: AppStore, backend: Settings['backend'], win: Window = window): void {
  store.getState().setBackend(backend);
  const s = store.getState();
  win.history.replaceState(win.history.state, '', urlFor(s.settings, win.location, checkpointsOf(s)));
  win.location.reload();
}
