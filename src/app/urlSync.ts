// Settings <-> URL: read once on load (main.tsx), written with history.replaceState on change,
// at most every `intervalMs` (browsers throttle replaceState; a slider drag would hit the limit).
import { serializeSettings, type Settings } from '../store/settings';
import type { AppStore } from '../store/types';

export function urlFor(settings: Settings, loc: Pick<Location, 'pathname' | 'search' | 'hash'>): string {
  return `${loc.pathname}${serializeSettings(settings, loc.search)}${loc.hash}`;
}

export function syncUrl(store: AppStore, win: Window = window, intervalMs = 250): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last = store.getState().settings;
  const write = () => {
    timer = null;
    const url = urlFor(store.getState().settings, win.location);
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
    if (s.settings === last) return;
    last = s.settings;
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
  win.history.replaceState(win.history.state, '', urlFor(store.getState().settings, win.location));
  win.location.reload();
}
