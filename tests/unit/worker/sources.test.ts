// Hub downloads in the worker: streamed into Cache Storage, checked before they are kept, read back as
// Blobs; a truncated, oversized or hostile file never enters the cache the page lists and reuses.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadCheckpoint } from '../../../src/checkpoints/load';
import { HUB_CACHE } from '../../../src/protocol/messages';
import { LoadError } from '../../../src/shared/errors';
import { hubFileUrl } from '../../../src/shared/hub';
import { HUB_STAGING_CACHE, hubFiles, type CacheLike, type CachesLike } from '../../../src/worker/sources';

const GOLDEN = path.resolve(__dirname, '..', '..', 'fixtures', 'golden', 'tiny-p16', 'hf');
const CONFIG = new Uint8Array(readFileSync(path.join(GOLDEN, 'config.json')));
const WEIGHTS = new Uint8Array(readFileSync(path.join(GOLDEN, 'model.safetensors')));

/** Cache Storage in memory: bucket -> url -> Blob (with its headers). */
function fakeCaches(): CachesLike & { buckets: Map<string, Map<string, { blob: Blob; headers: Headers }>> } {
  const buckets = new Map<string, Map<string, { blob: Blob; headers: Headers }>>();
  return {
    buckets,
    async open(name) {
      const bucket = buckets.get(name) ?? new Map();
      buckets.set(name, bucket);
      const cache: CacheLike = {
        async match(url) {
          const e = bucket.get(url);
          return e ? new Response(e.blob, { headers: e.headers }) : undefined;
        },
        async put(url, res) {
          bucket.set(url, { blob: await res.blob(), headers: res.headers });
        },
        async delete(url) {
          return bucket.delete(url);
        },
      };
      return cache;
    },
  };
}

/** A hub answering from a table of URL -> body (with headers); 404 otherwise. Records requests. */
function fakeHub(files: Record<string, { body: Uint8Array; headers?: Record<string, string> }>): string[] {
  const requests: string[] = [];
  vi.stubGlobal('fetch', async (url: string) => {
    requests.push(url);
    const f = files[url];
    if (!f) return new Response('Entry not found', { status: 404 });
    return new Response(f.body as BodyInit, { headers: { 'content-length': String(f.body.length), ...f.headers } });
  });
  return requests;
}

const EP = 'https://mirror.example/hf';
const source = (repo: string, endpoint = EP) => ({ kind: 'hub' as const, repo, revision: 'main', endpoint, label: repo });
const url = (repo: string, file: string, endpoint = EP) => hubFileUrl(endpoint, { repo, revision: 'main' }, file);
const noProgress = () => () => undefined;

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('hub files through Cache Storage', () => {
  it('downloads, checks, keeps, then reuses a repository; the staging bucket ends empty', async () => {
    const storage = fakeCaches();
    const requests = fakeHub({ [url('o/m', 'config.json')]: { body: CONFIG }, [url('o/m', 'model.safetensors')]: { body: WEIGHTS } });
    const files = await hubFiles(source('o/m'), noProgress, new AbortController().signal, storage);
    expect(files.map((f) => [f.name, f.blob.size])).toEqual([['config.json', CONFIG.length], ['model.safetensors', WEIGHTS.length]]);
    expect((await loadCheckpoint(files)).params.size).toBe(62);
    const kept = storage.buckets.get(HUB_CACHE)!;
    expect([...kept.keys()].sort()).toEqual([url('o/m', 'config.json'), url('o/m', 'model.safetensors')]);
    expect(kept.get(url('o/m', 'model.safetensors'))!.headers.get('content-length')).toBe(String(WEIGHTS.length));
    expect(storage.buckets.get(HUB_STAGING_CACHE)!.size).toBe(0);
    const n = requests.length;
    await hubFiles(source('o/m'), noProgress, new AbortController().signal, storage);
    expect(requests.length).toBe(n);
  });

  it('never keeps a truncated, oversized or hostile download', async () => {
    const storage = fakeCaches();
    fakeHub({
      // A short Content-Length: fetch stops where it says, the file is cut.
      [url('o/short', 'model.safetensors')]: { body: WEIGHTS.subarray(0, 1000), headers: { 'content-length': '1000' } },
      [url('o/junk', 'model.safetensors')]: { body: new TextEncoder().encode('<html>not a checkpoint</html>') },
    });
    for (const repo of ['o/short', 'o/junk']) {
      const e = await hubFiles(source(repo), noProgress, new AbortController().signal, storage).then(() => null, (err: unknown) => err);
      expect(e, repo).toBeInstanceOf(LoadError);
    }
    expect(storage.buckets.get(HUB_CACHE)!.size).toBe(0);
    expect(storage.buckets.get(HUB_STAGING_CACHE)!.size).toBe(0);
  });

  it('keys the cache by endpoint: another mirror’s files are not reused', async () => {
    const storage = fakeCaches();
    const other = 'http://127.0.0.1:9';
    const requests = fakeHub({
      [url('o/m', 'config.json')]: { body: CONFIG }, [url('o/m', 'model.safetensors')]: { body: WEIGHTS },
      [url('o/m', 'config.json', other)]: { body: CONFIG }, [url('o/m', 'model.safetensors', other)]: { body: WEIGHTS },
    });
    await hubFiles(source('o/m'), noProgress, new AbortController().signal, storage);
    await hubFiles(source('o/m', other), noProgress, new AbortController().signal, storage);
    expect(requests.filter((r) => r.endsWith('model.safetensors'))).toEqual([url('o/m', 'model.safetensors'), url('o/m', 'model.safetensors', other)]);
  });

  it('works without Cache Storage (private mode): Blobs in hand, nothing kept', async () => {
    fakeHub({ [url('o/m', 'model.safetensors')]: { body: WEIGHTS } });
    const files = await hubFiles(source('o/m'), noProgress, new AbortController().signal, null);
    expect(files.map((f) => f.name)).toEqual(['model.safetensors']);
  });
});
