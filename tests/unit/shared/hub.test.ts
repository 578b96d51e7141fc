// The one hub module: the grammar the page and the command line share, the URL layout every cache
// key follows, the weight-file order, and the cache folder of an endpoint.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hubFilePrefix as catalogueHubFilePrefix } from '../../../src/features/checkpoint/catalogue';
import { describeCacheUrl } from '../../../src/features/checkpoint/hubCache';
import {
  DEFAULT_HF_ENDPOINT, DEFAULT_REVISION, HUB_WEIGHT_FILES, MAX_HUB_NAME_CHARS, endpointCacheKey, hubCacheSegments,
  hubFilePrefix, hubFileUrl, isHubWeightFile, normaliseEndpoint, parseHubFileUrl, parseHubInput, validRevision,
} from '../../../src/shared/hub';
import { parseHubInput as pageParseHubInput } from '../../../src/store/checkpointRef';

describe('hub references', () => {
  it('parse org/name[@revision] with or without hf:, and hub page addresses', () => {
    expect(parseHubInput('facebook/vit-mae-base')).toEqual({ ok: true, repo: 'facebook/vit-mae-base', revision: DEFAULT_REVISION });
    expect(parseHubInput('hf:facebook/vit-mae-large@refs/pr/1')).toEqual({ ok: true, repo: 'facebook/vit-mae-large', revision: 'refs/pr/1' });
    expect(parseHubInput('https://huggingface.co/a/b/tree/v1.0')).toEqual({ ok: true, repo: 'a/b', revision: 'v1.0' });
  });

  it('refuse what the hub could not have, with a reason (the CLI once fetched hf:dot/.@..)', () => {
    for (const bad of ['hf:dot/.@..', 'a/.', 'a/..', './b', 'a/b@.', 'a/b@x/../y', 'a/b@x//y', 'a/b@', 'a', 'a/b/c', '-a/b', 'a/b-',
      `a/${'x'.repeat(MAX_HUB_NAME_CHARS + 1)}`, 'https://huggingface.co/a/b/tree/%E0%A4%A']) {
      const r = parseHubInput(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.message.length, bad).toBeGreaterThan(0);
    }
    expect(validRevision('refs/pr/1')).toBe(true);
    expect(validRevision('..')).toBe(false);
  });

  it('are the page’s own grammar (the store re-exports this one)', () => {
    expect(pageParseHubInput).toBe(parseHubInput);
  });
});

describe('hub URL layout', () => {
  it('is {endpoint}/{org}/{name}/resolve/{revision}/{file}, and reads back (property)', () => {
    const part = fc.stringMatching(/^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,10}[A-Za-z0-9_])?$/).filter((p) => !p.includes('..') && !p.includes('--'));
    const revision = fc.oneof(fc.constantFrom('main', 'refs/pr/1', 'v1.0', '0123abcd'), part);
    const endpoint = fc.constantFrom(DEFAULT_HF_ENDPOINT, 'http://127.0.0.1:8123/', 'https://mirror.example/hf');
    fc.assert(fc.property(endpoint, part, part, revision, fc.constantFrom(...HUB_WEIGHT_FILES, 'config.json'), (ep, org, name, rev, file) => {
      const ref = { repo: `${org}/${name}`, revision: rev };
      const url = hubFileUrl(ep, ref, file);
      expect(url).toBe(`${ep.replace(/\/+$/, '')}/${org}/${name}/resolve/${encodeURIComponent(rev)}/${file}`);
      expect(url.startsWith(hubFilePrefix(ep, ref))).toBe(true);
      expect(parseHubFileUrl(url)).toEqual({ endpoint: ep.replace(/\/+$/, ''), ...ref, file });
      // The page finds the worker's downloads by these keys.
      expect(url.startsWith(catalogueHubFilePrefix(ref.repo, rev, ep))).toBe(true);
      expect(describeCacheUrl(url)).toMatchObject({ endpoint: ep.replace(/\/+$/, ''), repo: ref.repo, revision: rev, file });
    }), { numRuns: 200 });
    expect(parseHubFileUrl('https://other.example/x.bin')).toBeNull();
  });

  it('tries model.safetensors before pytorch_model.bin, as transformers does', () => {
    expect(HUB_WEIGHT_FILES).toEqual(['model.safetensors', 'pytorch_model.bin']);
    expect(isHubWeightFile('pytorch_model.bin')).toBe(true);
    expect(isHubWeightFile('config.json')).toBe(false);
  });
});

describe('hub endpoints', () => {
  it('normalise http(s) addresses and refuse others', () => {
    expect(normaliseEndpoint(' https://huggingface.co/ ')).toBe('https://huggingface.co');
    expect(normaliseEndpoint('http://127.0.0.1:8123/hub//')).toBe('http://127.0.0.1:8123/hub');
    for (const bad of ['', 'huggingface.co', 'ftp://x', 'javascript:alert(1)', 'https://u:p@h', 'https://h/?q=1', 'https://h/#x', 42, null]) {
      expect(normaliseEndpoint(bad), String(bad)).toBeNull();
    }
  });

  it('key the command line cache, so two mirrors never share files', () => {
    const a = endpointCacheKey('https://mirror-a.example/hf');
    const b = endpointCacheKey('https://mirror-b.example/hf');
    expect(a).not.toBe(b);
    expect(endpointCacheKey('https://mirror-a.example/hf/')).toBe(a);
    // Hosts that differ only in characters a folder name cannot hold still get their own folder.
    expect(endpointCacheKey('http://h.example:1/x_y')).not.toBe(endpointCacheKey('http://h.example:1/x/y'));
    for (const k of [a, b, endpointCacheKey('http://127.0.0.1:8123')]) expect(k).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(hubCacheSegments(DEFAULT_HF_ENDPOINT, { repo: 'facebook/vit-mae-large', revision: 'refs/pr/1' }))
      .toEqual([endpointCacheKey(DEFAULT_HF_ENDPOINT), 'facebook', 'vit-mae-large', 'refs%2Fpr%2F1']);
  });
});
