// Settings and their actions. Every change is saved (debounced) and triggers a coalesced refresh;
// the URL is written by the app from the same state (see src/app/urlSync.ts).
import { patchEntry } from './imagesSlice';
import { seededMask } from './masks';
import { DEFAULT_SETTINGS, randomSeed, sanitizeSettings, storedSettings, type Settings } from './settings';
import type { SettingsSlice, SliceCreator } from './types';

/** How long settings wait before being written to storage, in ms. */
export const SETTINGS_SAVE_DELAY_MS = 400;

const sameSettings = (a: Settings, b: Settings) =>
  (Object.keys(a) as (keyof Settings)[]).every((k) => a[k] === b[k]);

export const createSettingsSlice: SliceCreator<SettingsSlice> = (set, get, ctx) => {
  let saveTimer: ReturnType<typeof setTimeout> | null = null;
  const saveSoon = () => {
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = setTimeout(() => {
      saveTimer = null;
      // The schema says what is kept (a backend override lives in the URL only: a stored one would outlive the link that set it).
      ctx.persist((p) => p.saveSettings({ ...DEFAULT_SETTINGS, ...storedSettings(get().settings) }));
    }, ctx.deps.settingsSaveDelayMs);
  };

  /** Starting to paint: every row's painted mask begins as the mask it shows now. */
  const startPainting = (prev: Settings) => {
    const info = get().slots.A.info;
    if (!info) return;
    const s = get();
    for (const key of s.order) {
      const e = s.entries[key];
      if (!e?.fitted) continue;
      const mask = Uint8Array.from(seededMask(prev, e.fitted.height / info.patchSize, e.fitted.width / info.patchSize));
      patchEntry(set, key, { paintedMask: mask });
      ctx.persist((p) => p.setPaintedMask(key, mask));
    }
  };

  const update = (patch: Partial<Settings>) => {
    const prev = get().settings;
    const next = { ...prev, ...sanitizeSettings(patch) };
    if (sameSettings(prev, next)) return;
    set({ settings: next });
    saveSoon();
    if (next.pattern === 'painted' && prev.pattern !== 'painted') startPainting(prev);
    if (next.resize !== prev.resize || next.inputScale !== prev.inputScale) ctx.refitAll();
    ctx.scheduleRefresh();
  };

  return {
    settings: { ...DEFAULT_SETTINGS, ...sanitizeSettings(ctx.deps.urlSettings) },
    setRatioPct: (ratioPct) => update({ ratioPct }),
    setSeed: (seed) => update({ seed }),
    newSeed: () => {
      const current = get().settings.seed;
      let seed = randomSeed(ctx.deps.random);
      if (seed === current) seed = (seed + 1) % 100_000;
      update({ seed });
    },
    setPattern: (pattern) => update({ pattern }),
    setMaskStyle: (maskStyle) => update({ maskStyle }),
    setResize: (resize) => update({ resize }),
    setInputScale: (inputScale) => update({ inputScale }),
    setGrid: (grid) => update({ grid }),
    setHeatmap: (heatmap) => update({ heatmap }),
    setLookahead: (lookahead) => update({ lookahead }),
    setNormPixStats: (normPixStats) => update({ normPixStats }),
    setBackend: (backend) => update({ backend }),
    setHfEndpoint: (hfEndpoint) => update({ hfEndpoint }),
    applySettings: (partial) => update(partial),
    resetSettings: () => {
      const { backend, hfEndpoint } = get().settings;
      update({ ...DEFAULT_SETTINGS, backend, hfEndpoint });
    },
  };
};
