// Page settings: one plain object, its defaults, validation, and its form in the URL
// (TensorFlow Playground style: every setting is a query parameter, so a link reproduces the view).
import type { BackendName, MaskPattern, NormPixStats, ResizeMode } from '../protocol/messages';
import { DEFAULT_HF_ENDPOINT, normaliseEndpoint } from '../shared/hub';
import type { MaskStyle } from '../shared/panels';

export interface Settings {
  /** Mask ratio in whole percent, 0 to MAX_RATIO_PCT. */
  ratioPct: number;
  /** Masking seed, an integer 0 to MAX_SEED. */
  seed: number;
  pattern: MaskPattern;
  maskStyle: MaskStyle;
  resize: ResizeMode;
  /** Patch-grid overlay on the panels. */
  grid: boolean;
  /** Error heatmap over the reconstruction. */
  heatmap: boolean;
  /** For norm_pix_loss checkpoints only. */
  normPixStats: NormPixStats;
  /** Backend override; null picks the best available. */
  backend: BackendName | null;
  /** Base URL of the Hugging Face hub (like `HF_ENDPOINT`): a mirror or a local server. */
  hfEndpoint: string;
}

// The hub's default address and what counts as one are shared with the worker and the command line.
export { DEFAULT_HF_ENDPOINT, normaliseEndpoint } from '../shared/hub';

export const MAX_RATIO_PCT = 95;
export const MAX_SEED = 2 ** 31 - 1;

export const PATTERNS: readonly MaskPattern[] = ['random', 'block', 'grid', 'painted'];
export const MASK_STYLES: readonly MaskStyle[] = ['grey', 'checker'];
export const RESIZE_MODES: readonly ResizeMode[] = ['crop', 'squash'];
export const NORM_PIX_STATS: readonly NormPixStats[] = ['visible', 'true'];
export const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  ratioPct: 75,
  seed: 0,
  pattern: 'random',
  maskStyle: 'grey',
  resize: 'crop',
  grid: false,
  heatmap: false,
  normPixStats: 'visible',
  backend: null,
  hfEndpoint: DEFAULT_HF_ENDPOINT,
});

/** Query parameter name of each setting. */
export const URL_KEYS: Readonly<Record<keyof Settings, string>> = Object.freeze({
  ratioPct: 'ratio',
  seed: 'seed',
  pattern: 'pattern',
  maskStyle: 'style',
  resize: 'resize',
  grid: 'grid',
  heatmap: 'heatmap',
  normPixStats: 'stats',
  backend: 'backend',
  hfEndpoint: 'hf',
});

const oneOf = <T extends string>(allowed: readonly T[], v: unknown): T | undefined =>
  typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : undefined;

function intIn(v: unknown, lo: number, hi: number): number | undefined {
  const n = typeof v === 'string' ? (v.trim() === '' ? NaN : Number(v)) : typeof v === 'number' ? v : NaN;
  if (!Number.isFinite(n)) return undefined;
  return Math.min(hi, Math.max(lo, Math.round(n)));
}

function bool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v !== 'string') return undefined;
  const s = v.trim().toLowerCase();
  if (s === '1' || s === 'true' || s === 'on' || s === 'yes') return true;
  if (s === '0' || s === 'false' || s === 'off' || s === 'no') return false;
  return undefined;
}

/** Clamps a mask ratio (percent) into the slider's range. */
export const clampRatioPct = (v: number): number => intIn(v, 0, MAX_RATIO_PCT) ?? DEFAULT_SETTINGS.ratioPct;
/** Clamps a seed into the accepted range. */
export const clampSeed = (v: number): number => intIn(v, 0, MAX_SEED) ?? DEFAULT_SETTINGS.seed;

/**
 * Whatever valid settings `raw` holds (values may be strings, as in a URL, or typed, as stored in
 * IndexedDB); anything missing or invalid is left out, never thrown on.
 */
export function sanitizeSettings(raw: Partial<Record<keyof Settings, unknown>> | null | undefined): Partial<Settings> {
  const out: Partial<Settings> = {};
  if (!raw || typeof raw !== 'object') return out;
  const ratio = intIn(raw.ratioPct, 0, MAX_RATIO_PCT);
  if (ratio !== undefined) out.ratioPct = ratio;
  const seed = intIn(raw.seed, 0, MAX_SEED);
  if (seed !== undefined) out.seed = seed;
  const pattern = oneOf(PATTERNS, raw.pattern);
  if (pattern) out.pattern = pattern;
  const style = oneOf(MASK_STYLES, raw.maskStyle);
  if (style) out.maskStyle = style;
  const resize = oneOf(RESIZE_MODES, raw.resize);
  if (resize) out.resize = resize;
  const grid = bool(raw.grid);
  if (grid !== undefined) out.grid = grid;
  const heatmap = bool(raw.heatmap);
  if (heatmap !== undefined) out.heatmap = heatmap;
  const stats = oneOf(NORM_PIX_STATS, raw.normPixStats);
  if (stats) out.normPixStats = stats;
  if (raw.backend === null || raw.backend === 'auto') out.backend = null;
  else {
    const backend = oneOf(BACKENDS, raw.backend);
    if (backend) out.backend = backend;
  }
  const endpoint = normaliseEndpoint(raw.hfEndpoint);
  if (endpoint) out.hfEndpoint = endpoint;
  return out;
}

/** The settings a query string names (`?ratio=75&seed=3...`); unknown or invalid values are ignored. */
export function parseUrlSettings(search: string): Partial<Settings> {
  const params = new URLSearchParams(search);
  const raw: Partial<Record<keyof Settings, unknown>> = {};
  for (const k of Object.keys(URL_KEYS) as (keyof Settings)[]) {
    const v = params.get(URL_KEYS[k]);
    if (v !== null) raw[k] = v;
  }
  return sanitizeSettings(raw);
}

/**
 * The query string (with its leading `?`) for `s`, keeping parameters of `existing` that are not
 * settings. Every setting is written (the backend only when overridden), so a link stays exact
 * even if the defaults change.
 */
export function serializeSettings(s: Settings, existing = ''): string {
  const params = new URLSearchParams(existing);
  for (const name of Object.values(URL_KEYS)) params.delete(name);
  params.set(URL_KEYS.ratioPct, String(s.ratioPct));
  params.set(URL_KEYS.seed, String(s.seed));
  params.set(URL_KEYS.pattern, s.pattern);
  params.set(URL_KEYS.maskStyle, s.maskStyle);
  params.set(URL_KEYS.resize, s.resize);
  params.set(URL_KEYS.grid, s.grid ? '1' : '0');
  params.set(URL_KEYS.heatmap, s.heatmap ? '1' : '0');
  params.set(URL_KEYS.normPixStats, s.normPixStats);
  if (s.backend) params.set(URL_KEYS.backend, s.backend);
  params.set(URL_KEYS.hfEndpoint, s.hfEndpoint);
  return `?${params.toString()}`;
}

/** A fresh random seed (small enough to read and type). */
export function randomSeed(random: () => number = Math.random): number {
  return Math.floor(random() * 100_000);
}
