import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  BACKENDS, DEFAULT_HF_ENDPOINT, DEFAULT_SETTINGS, INPUT_SCALES, MASK_STYLES, MAX_RATIO_PCT, MAX_SEED, NORM_PIX_STATS, PATTERNS, RESIZE_MODES,
  normaliseEndpoint, parseUrlSettings, sanitizeSettings, serializeSettings, type Settings,
} from './settings';

const settingsArb: fc.Arbitrary<Settings> = fc.record({
  ratioPct: fc.integer({ min: 0, max: MAX_RATIO_PCT }),
  seed: fc.integer({ min: 0, max: MAX_SEED }),
  pattern: fc.constantFrom(...PATTERNS),
  maskStyle: fc.constantFrom(...MASK_STYLES),
  resize: fc.constantFrom(...RESIZE_MODES),
  inputScale: fc.constantFrom(...INPUT_SCALES),
  grid: fc.boolean(),
  heatmap: fc.boolean(),
  lookahead: fc.boolean(),
  normPixStats: fc.constantFrom(...NORM_PIX_STATS),
  backend: fc.option(fc.constantFrom(...BACKENDS), { nil: null }),
  hfEndpoint: fc.constantFrom(DEFAULT_HF_ENDPOINT, 'http://127.0.0.1:8123', 'https://hf-mirror.com', 'https://example.org/hub/v1'),
});

const isValid = (s: Settings) =>
  Number.isInteger(s.ratioPct) && s.ratioPct >= 0 && s.ratioPct <= MAX_RATIO_PCT
  && Number.isInteger(s.seed) && s.seed >= 0 && s.seed <= MAX_SEED
  && PATTERNS.includes(s.pattern) && MASK_STYLES.includes(s.maskStyle) && RESIZE_MODES.includes(s.resize) && INPUT_SCALES.includes(s.inputScale)
  && typeof s.grid === 'boolean' && typeof s.heatmap === 'boolean' && typeof s.lookahead === 'boolean' && NORM_PIX_STATS.includes(s.normPixStats)
  && (s.backend === null || BACKENDS.includes(s.backend))
  && normaliseEndpoint(s.hfEndpoint) === s.hfEndpoint;

describe('URL state', () => {
  it('round-trips every valid setting', () => {
    fc.assert(fc.property(settingsArb, (s) => {
      expect({ ...DEFAULT_SETTINGS, ...parseUrlSettings(serializeSettings(s)) }).toEqual(s);
    }));
  });

  it('keeps foreign parameters and replaces old settings', () => {
    fc.assert(fc.property(settingsArb, settingsArb, fc.string(), (a, b, v) => {
      const first = serializeSettings(a, `?utm=${encodeURIComponent(v)}`);
      const second = serializeSettings(b, first);
      expect(new URLSearchParams(second).get('utm')).toBe(v);
      expect({ ...DEFAULT_SETTINGS, ...parseUrlSettings(second) }).toEqual(b);
    }));
  });

  it('never throws on arbitrary query strings and yields only valid settings', () => {
    const key = fc.constantFrom('ratio', 'seed', 'pattern', 'style', 'resize', 'input', 'grid', 'heatmap', 'stats', 'backend', 'hf', 'x');
    const value = fc.oneof(fc.string(), fc.integer().map(String), fc.double().map(String), fc.webUrl(),
      fc.constantFrom('1', '0', 'true', 'painted', 'webgpu', 'NaN', 'Infinity', '-1e9', 'javascript:alert(1)', 'https://h/x/', 'ftp://h'));
    fc.assert(fc.property(fc.array(fc.tuple(key, value)), (pairs) => {
      const search = `?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
      expect(isValid({ ...DEFAULT_SETTINGS, ...parseUrlSettings(search) })).toBe(true);
    }));
    fc.assert(fc.property(fc.string(), (junk) => {
      expect(isValid({ ...DEFAULT_SETTINGS, ...parseUrlSettings(junk) })).toBe(true);
    }));
  });

  it('reads the documented forms', () => {
    expect(parseUrlSettings('?ratio=50&seed=7&pattern=block&style=checker&resize=squash&grid=1&heatmap=true&stats=true&backend=wasm'))
      .toEqual({ ratioPct: 50, seed: 7, pattern: 'block', maskStyle: 'checker', resize: 'squash', grid: true, heatmap: true, normPixStats: 'true', backend: 'wasm' });
    // Above the maximum is clamped; a ratio or seed that is not a whole number (negative, fractional) is ignored.
    expect(parseUrlSettings('?ratio=200&seed=-5')).toEqual({ ratioPct: 95 });
    expect(parseUrlSettings(`?ratio=3.7&seed=${MAX_SEED + 10}`)).toEqual({ seed: MAX_SEED });
    expect(parseUrlSettings('?ratio=-1&seed=1e3')).toEqual({});
    expect(parseUrlSettings('?ratio=abc&pattern=spiral&backend=quantum&grid=maybe')).toEqual({});
    expect(parseUrlSettings('?backend=auto')).toEqual({ backend: null });
    expect(parseUrlSettings('?input=double&resize=whole')).toEqual({ inputScale: 'double', resize: 'whole' });
    expect(parseUrlSettings('?input=448&resize=fill')).toEqual({});
    expect(serializeSettings(DEFAULT_SETTINGS)).toBe('?ratio=75&seed=0&pattern=random&style=grey&resize=crop&input=native&grid=0&heatmap=0&ahead=1&stats=visible&hf=https%3A%2F%2Fhuggingface.co');
    expect(parseUrlSettings('?hf=http%3A%2F%2F127.0.0.1%3A9000%2F')).toEqual({ hfEndpoint: 'http://127.0.0.1:9000' });
    expect(parseUrlSettings('?hf=javascript%3Aalert(1)')).toEqual({});
  });

  it('accepts only http(s) hub endpoints, without a trailing slash', () => {
    expect(normaliseEndpoint(' https://huggingface.co/ ')).toBe('https://huggingface.co');
    expect(normaliseEndpoint('https://mirror.example/hf//')).toBe('https://mirror.example/hf');
    expect(normaliseEndpoint('http://localhost:8080')).toBe('http://localhost:8080');
    for (const bad of ['', 'huggingface.co', 'ftp://x', 'file:///etc', 'javascript:alert(1)', 'https://u:p@h', 'https://h/?q=1', 'https://h/#x', 42, null]) {
      expect(normaliseEndpoint(bad)).toBeNull();
    }
  });

  it('sanitizes stored settings of any shape', () => {
    expect(sanitizeSettings(null)).toEqual({});
    // A stored ratio must be a whole number, as in the URL.
    expect(sanitizeSettings({ ratioPct: 12.4, grid: true, pattern: 3 } as never)).toEqual({ grid: true });
    expect(sanitizeSettings({ ratioPct: 12, seed: -3, grid: true, pattern: 3 } as never)).toEqual({ ratioPct: 12, grid: true });
  });
});
