// Page settings: one plain object, its defaults, validation, and its form in the URL
// (TensorFlow Playground style: every setting is a query parameter, so a link reproduces the view).
import type { BackendName, MaskPattern, NormPixStats, ResizeMode } from '../protocol/messages';
import { MAX_RATIO_PCT, MAX_SEED } from '../shared/masking';
import { DEFAULT_HF_ENDPOINT, normaliseEndpoint } from '../shared/hub';
import type { MaskStyle } from '../shared/panels';
import { INPUT_SCALES, type InputScale } from '../shared/inputSize';

export interface Settings {
  /** Mask ratio in whole percent, 0 to MAX_RATIO_PCT. */
  ratioPct: number;
  /** Masking seed, an integer 0 to MAX_SEED. */
  seed: number;
  pattern: MaskPattern;
  maskStyle: MaskStyle;
  resize: ResizeMode;
  /** The model's input: the checkpoint's own size (what it was trained at) or twice it. */
  inputScale: InputScale;
  /** Patch-grid overlay on the panels. */
  grid: boolean;
  /** Error heatmap over the reconstruction. */
  heatmap: boolean;
  /** Reconstruct the slider's neighbouring ratios ahead while the model is idle (quick models only). */
  lookahead: boolean;
  /** For norm_pix_loss checkpoints only. */
  normPixStats: NormPixStats;
  /** Backend override; null picks the best available. */
  backend: BackendName | null;
  /** Base URL of the Hugging Face hub (like `HF_ENDPOINT`): a mirror or a local server. */
  hfEndpoint: string;
}

// The hub's default address and what counts as one are shared with the worker and the command line.
export { DEFAULT_HF_ENDPOINT, normaliseEndpoint } from '../shared/hub';

export { MAX_RATIO_PCT, MAX_SEED };

export const PATTERNS: readonly MaskPattern[] = ['random', 'block', 'grid', 'painted'];
export const MASK_STYLES: readonly MaskStyle[] = ['grey', 'checker'];
export const RESIZE_MODES: readonly ResizeMode[] = ['crop', 'squash', 'whole'];
export { INPUT_SCALES };
export const NORM_PIX_STATS: readonly NormPixStats[] = ['visible', 'true'];
export const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** How one setting is read (from a URL string or a stored value), written to the URL, and kept. */
interface SettingRow<T> {
  /** Query parameter name. */
  url: string;
  default: T;
  /** The valid value `v` holds, or undefined (never throws). */
  parse(v: unknown): T | undefined;
  /** The URL form; null leaves the parameter out. */
  format(v: T): string | null;
  /** Whether the value is saved in the browser (a backend override lives in the link only). */
  stored: boolean;
}

const oneOf = <T extends string>(allowed: readonly T[]) => (v: unknown): T | undefined =>
  typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : undefined;

/** An integer within [lo, hi]: whole numbers only (a URL's "3.7" or "-5" is not one), clamped above. */
const intIn = (lo: number, hi: number) => (v: unknown): number | undefined => {
  const n = typeof v === 'string' ? (/^\s*\d+\s*$/.test(v) ? Number(v) : NaN) : typeof v === 'number' ? v : NaN;
  if (!Number.isInteger(n) || n < lo) return undefined;
  return Math.min(hi, n);
};

function bool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v !== 'string') return undefined;
  const s = v.trim().toLowerCase();
  if (s === '1' || s === 'true' || s === 'on' || s === 'yes') return true;
  if (s === '0' || s === 'false' || s === 'off' || s === 'no') return false;
  return undefined;
}

const text = <T extends string>(v: T) => v;
const flag = (v: boolean) => (v ? '1' : '0');

/** The settings schema: one row per setting drives defaults, validation, the URL and storage. */
export const SETTINGS_SCHEMA: { readonly [K in keyof Settings]: SettingRow<Settings[K]> } = {
  ratioPct: { url: 'ratio', default: 75, parse: intIn(0, MAX_RATIO_PCT), format: String, stored: true },
  seed: { url: 'seed', default: 0, parse: intIn(0, MAX_SEED), format: String, stored: true },
  pattern: { url: 'pattern', default: 'random', parse: oneOf(PATTERNS), format: text, stored: true },
  maskStyle: { url: 'style', default: 'grey', parse: oneOf(MASK_STYLES), format: text, stored: true },
  resize: { url: 'resize', default: 'crop', parse: oneOf(RESIZE_MODES), format: text, stored: true },
  inputScale: { url: 'input', default: 'native', parse: oneOf(INPUT_SCALES), format: text, stored: true },
  grid: { url: 'grid', default: false, parse: bool, format: flag, stored: true },
  heatmap: { url: 'heatmap', default: false, parse: bool, format: flag, stored: true },
  lookahead: { url: 'ahead', default: true, parse: bool, format: flag, stored: true },
  normPixStats: { url: 'stats', default: 'visible', parse: oneOf(NORM_PIX_STATS), format: text, stored: true },
  backend: {
    url: 'backend', default: null, stored: false, format: (v) => v,
    parse: (v) => (v === null || v === 'auto' ? null : oneOf(BACKENDS)(v)),
  },
  hfEndpoint: { url: 'hf', default: DEFAULT_HF_ENDPOINT, parse: (v) => normaliseEndpoint(v) ?? undefined, format: text, stored: true },
};

const SETTING_KEYS = Object.keys(SETTINGS_SCHEMA) as (keyof Settings)[];

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze(
  Object.fromEntries(SETTING_KEYS.map((k) => [k, SETTINGS_SCHEMA[k].default])) as unknown as Settings);

/** A seed typed by the visitor: the seed, or why it is not one. */
export function parseSeedInput(v: string): { ok: true; seed: number } | { ok: false; message: string } {
  const s = v.trim();
  if (!/^\d+$/.test(s)) return { ok: false, message: `a seed is a whole number from 0 to ${MAX_SEED}` };
  const n = Number(s);
  if (n > MAX_SEED) return { ok: false, message: `the largest seed is ${MAX_SEED}` };
  return { ok: true, seed: n };
}

/**
 * Whatever valid settings `raw` holds (values may be strings, as in a URL, or typed, as stored in
 * IndexedDB); anything missing or invalid is left out, never thrown on.
 */
export function sanitizeSettings(raw: Partial<Record<keyof Settings, unknown>> | null | undefined): Partial<Settings> {
  const out: Record<string, unknown> = {};
  if (!raw || typeof raw !== 'object') return out;
  for (const k of SETTING_KEYS) {
    if (!(k in raw)) continue;
    const v = SETTINGS_SCHEMA[k].parse(raw[k]);
    if (v !== undefined) out[k] = v;
  }
  return out as Partial<Settings>;
}

/** The settings worth saving in the browser (those the schema marks stored). */
export function storedSettings(s: Settings): Partial<Settings> {
  return Object.fromEntries(SETTING_KEYS.filter((k) => SETTINGS_SCHEMA[k].stored).map((k) => [k, s[k]])) as Partial<Settings>;
}

/** The settings a query string names (`?ratio=75&seed=3...`); unknown or invalid values are ignored. */
export function parseUrlSettings(search: string): Partial<Settings> {
  const params = new URLSearchParams(search);
  const raw: Partial<Record<keyof Settings, unknown>> = {};
  for (const k of SETTING_KEYS) {
    const v = params.get(SETTINGS_SCHEMA[k].url);
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
  for (const k of SETTING_KEYS) {
    const row = SETTINGS_SCHEMA[k] as SettingRow<Settings[typeof k]>;
    params.delete(row.url);
    const v = row.format(s[k]);
    if (v !== null) params.set(row.url, v);
  }
  return `?${params.toString()}`;
}

/** A fresh random seed (small enough to read and type). */
export function randomSeed(random: () => number = Math.random): number {
  return Math.floor(random() * 100_000);
}
