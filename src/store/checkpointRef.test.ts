import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  canonicalRef, formatRef, parseHubInput, parseRef, parseUrlCheckpoints, refForSource, serializeUrlCheckpoints, sourceForRef,
  type CheckpointRef,
} from './checkpointRef';
import { DEFAULT_SOURCE, FALLBACK_SOURCE } from './sessionSlice';
import { DEFAULT_SETTINGS, parseUrlSettings, serializeSettings } from './settings';

describe('hub repository input', () => {
  it('accepts org/name, @revision, hf: and hub page addresses', () => {
    expect(parseHubInput('facebook/vit-mae-base')).toEqual({ ok: true, repo: 'facebook/vit-mae-base', revision: 'main' });
    expect(parseHubInput('  facebook/vit-mae-large@refs/pr/1 ')).toEqual({ ok: true, repo: 'facebook/vit-mae-large', revision: 'refs/pr/1' });
    expect(parseHubInput('hf:me/my_mae.v2@0123abc')).toEqual({ ok: true, repo: 'me/my_mae.v2', revision: '0123abc' });
    expect(parseHubInput('https://huggingface.co/facebook/vit-mae-huge')).toEqual({ ok: true, repo: 'facebook/vit-mae-huge', revision: 'main' });
    expect(parseHubInput('https://huggingface.co/facebook/vit-mae-large/tree/refs%2Fpr%2F1')).toEqual({ ok: true, repo: 'facebook/vit-mae-large', revision: 'refs/pr/1' });
    expect(parseHubInput('https://hf-mirror.com/a/b/blob/v1.0/')).toEqual({ ok: true, repo: 'a/b', revision: 'v1.0' });
  });

  it('rejects malformed names with a reason', () => {
    const bad = ['', '   ', 'vit-mae-base', 'a/b/c', '/name', 'org/', 'org/na me', 'org/-name', 'org/name.', 'org/na..me', 'org/na--me',
      'org/name@', 'org/name@..', 'org/name@a//b', 'org/name@branch/', 'org/name@-x', 'ör/name', `org/${'x'.repeat(97)}`, 'org/name@rev name'];
    for (const b of bad) {
      const r = parseHubInput(b);
      expect(r.ok, b).toBe(false);
      if (!r.ok) expect(r.message.length, b).toBeGreaterThan(5);
    }
  });
});

const word = fc.stringMatching(/^[A-Za-z0-9_]{1,8}$/);
const part = fc.array(word, { minLength: 1, maxLength: 3 }).chain((ws) =>
  fc.array(fc.constantFrom('.', '-', '_'), { minLength: ws.length - 1, maxLength: ws.length - 1 })
    .map((seps) => ws.map((w, i) => (i ? seps[i - 1] : '') + w).join('')));
const revision = fc.oneof(fc.constant('main'), fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_]{0,10}$/), fc.nat(99).map((n) => `refs/pr/${n}`));
const refArb: fc.Arbitrary<CheckpointRef> = fc.oneof(
  fc.constant({ kind: 'bundled' as const }),
  fc.constant({ kind: 'random' as const }),
  fc.record({ kind: fc.constant('hub' as const), repo: fc.tuple(part, part).map(([a, b]) => `${a}/${b}`), revision }),
  fc.record({ kind: fc.constant('file' as const), name: fc.stringMatching(/^[\w.-]{1,30}\.(pth|bin|safetensors)$/) }),
);

describe('checkpoint references', () => {
  it('round-trip through their URL form', () => {
    fc.assert(fc.property(refArb, (ref) => {
      expect(parseRef(formatRef(ref))).toEqual(ref);
    }));
  });

  it('read the documented forms and nothing else', () => {
    expect(parseRef('bundled')).toEqual({ kind: 'bundled' });
    expect(parseRef('random')).toEqual({ kind: 'random' });
    expect(parseRef('hf:facebook/vit-mae-base')).toEqual({ kind: 'hub', repo: 'facebook/vit-mae-base', revision: 'main' });
    expect(parseRef('hf:facebook/vit-mae-large@refs/pr/1')).toEqual({ kind: 'hub', repo: 'facebook/vit-mae-large', revision: 'refs/pr/1' });
    expect(canonicalRef('hf:a/b@main')).toBe('hf:a/b');
    for (const junk of ['', 'Bundled', 'hf:', 'hf:nope', 'url:https://x/', 'file:', 'https://huggingface.co/a/b', null, undefined]) {
      expect(parseRef(junk as string), String(junk)).toBeNull();
    }
  });

  it('name the sources they load, and back', () => {
    const o = { defaultSource: DEFAULT_SOURCE, fallbackSource: FALLBACK_SOURCE, endpoint: 'http://127.0.0.1:7000' };
    expect(sourceForRef({ kind: 'bundled' }, o)).toBe(DEFAULT_SOURCE);
    expect(sourceForRef({ kind: 'random' }, o)).toBe(FALLBACK_SOURCE);
    expect(sourceForRef({ kind: 'file', name: 'x.pth' }, o)).toBeNull();
    const hub = sourceForRef({ kind: 'hub', repo: 'a/b', revision: 'v2' }, o)!;
    expect(hub).toEqual({ kind: 'hub', repo: 'a/b', revision: 'v2', endpoint: 'http://127.0.0.1:7000', label: 'a/b@v2' });
    expect(refForSource(hub, DEFAULT_SOURCE)).toBe('hf:a/b@v2');
    expect(refForSource(DEFAULT_SOURCE, DEFAULT_SOURCE)).toBe('bundled');
    expect(refForSource(FALLBACK_SOURCE, DEFAULT_SOURCE)).toBe('random');
    expect(refForSource({ kind: 'url', baseUrl: './other/', label: 'other' }, DEFAULT_SOURCE)).toBeNull();
    expect(refForSource({ kind: 'files', files: [], label: 'mae_visualize_vit_base.pth' }, DEFAULT_SOURCE)).toBe('file:mae_visualize_vit_base.pth');
  });
});

describe('URL ckpt / cmp / hf', () => {
  it('round-trips the checkpoint, the comparison and the hub address with the other settings', () => {
    const endpoint = fc.constantFrom('https://huggingface.co', 'http://127.0.0.1:8123', 'https://hf-mirror.com/x');
    fc.assert(fc.property(refArb, fc.option(refArb, { nil: null }), endpoint, fc.string(), (a, b, hf, foreign) => {
      const settings = { ...DEFAULT_SETTINGS, hfEndpoint: hf, ratioPct: 40 };
      const refs = { ckpt: formatRef(a), compare: b ? formatRef(b) : null };
      const search = serializeUrlCheckpoints(refs, serializeSettings(settings, `?x=${encodeURIComponent(foreign)}`));
      const params = new URLSearchParams(search);
      expect(params.get('x')).toBe(foreign);
      expect({ ...DEFAULT_SETTINGS, ...parseUrlSettings(search) }).toEqual(settings);
      const back = parseUrlCheckpoints(search);
      expect(parseRef(back.ckpt)).toEqual(a);
      expect(back.compare === undefined ? null : parseRef(back.compare)).toEqual(b);
    }));
  });

  it('writes the documented query', () => {
    const search = serializeUrlCheckpoints({ ckpt: 'hf:facebook/vit-mae-large@refs/pr/1', compare: 'bundled' },
      serializeSettings({ ...DEFAULT_SETTINGS, hfEndpoint: 'http://127.0.0.1:9000' }));
    expect(search).toContain('ckpt=hf%3Afacebook%2Fvit-mae-large%40refs%2Fpr%2F1');
    expect(search).toContain('cmp=bundled');
    expect(search).toContain('hf=http%3A%2F%2F127.0.0.1%3A9000');
    expect(parseUrlCheckpoints('?ckpt=random')).toEqual({ ckpt: 'random' });
    expect(serializeUrlCheckpoints({ ckpt: 'random', compare: null }, '?cmp=bundled&a=1')).toBe('?a=1&ckpt=random');
  });
});
