import { describe, expect, it } from 'vitest';
import { HUB_CACHE } from '../../protocol/messages';
import { cachedWeightsOf, deleteHubFiles, describeCacheUrl, filesOf, hubWeightsCached, listHubCache, totalSize, type CachesLike } from './hubCache';
import { hubFilePrefix } from './catalogue';

/** Cache Storage in memory: url -> content-length (null: none). */
function fakeCaches(entries: Record<string, number | null>): CachesLike & { opened: string[]; store: Map<string, number | null> } {
  const store = new Map(Object.entries(entries));
  const opened: string[] = [];
  return {
    opened, store,
    has: async (name) => name === HUB_CACHE && store.size > 0,
    async open(name) {
      opened.push(name);
      return {
        keys: async () => [...store.keys()].map((url) => ({ url })),
        match: async (url) => (store.has(url) ? { headers: { get: (h: string) => (h === 'content-length' && store.get(url) !== null ? String(store.get(url)) : null) } } : undefined),
        delete: async (url) => store.delete(url),
      };
    },
  };
}

const HF = 'https://huggingface.co';
const base = `${HF}/facebook/vit-mae-base/resolve/main/`;
const large = `${HF}/facebook/vit-mae-large/resolve/refs%2Fpr%2F1/`;

describe('hub cache', () => {
  it('lists the cached files with their repository, revision and size, largest first', async () => {
    const c = fakeCaches({ [`${base}config.json`]: 700, [`${base}model.safetensors`]: 447_631_360, [`${large}model.safetensors`]: 1_318_167_552, 'https://other/x.bin': null });
    const files = await listHubCache(c);
    expect(c.opened).toEqual([HUB_CACHE]);
    expect(files.map((f) => f.size)).toEqual([1_318_167_552, 447_631_360, 700, null]);
    expect(files[0]).toMatchObject({ repo: 'facebook/vit-mae-large', revision: 'refs/pr/1', file: 'model.safetensors', endpoint: HF });
    expect(files[3]).toMatchObject({ repo: null, file: 'x.bin' });
    expect(totalSize(files)).toBe(1_318_167_552 + 447_631_360 + 700);
    expect(filesOf(files, hubFilePrefix('facebook/vit-mae-base', 'main', HF)).map((f) => f.file).sort()).toEqual(['config.json', 'model.safetensors']);
    expect(filesOf(files, hubFilePrefix('facebook/vit-mae-base', 'main', 'http://127.0.0.1:1'))).toEqual([]);
  });

  it('is empty without opening (creating) the bucket when there is none', async () => {
    const c = fakeCaches({});
    expect(await listHubCache(c)).toEqual([]);
    expect(c.opened).toEqual([]);
  });

  it('tells whether a repository’s weights are in this browser (a config.json alone does not count)', async () => {
    const c = fakeCaches({ [`${base}config.json`]: 700, [`${large}model.safetensors`]: 1_318_167_552 });
    const basePrefix = hubFilePrefix('facebook/vit-mae-base', 'main', HF);
    const largePrefix = hubFilePrefix('facebook/vit-mae-large', 'refs/pr/1', HF);
    expect(await hubWeightsCached(c, basePrefix)).toBe(false);
    expect(await hubWeightsCached(c, largePrefix)).toBe(true);
    expect(await hubWeightsCached(c, hubFilePrefix('facebook/vit-mae-large', 'refs/pr/1', 'http://127.0.0.1:1'))).toBe(false);
    expect(await hubWeightsCached(null, largePrefix)).toBe(false);
    expect(cachedWeightsOf(await listHubCache(c), basePrefix)).toEqual([]);
  });

  it('deletes files by URL', async () => {
    const c = fakeCaches({ [`${base}config.json`]: 1, [`${base}model.safetensors`]: 2 });
    expect(await deleteHubFiles(c, [`${base}model.safetensors`, 'https://missing/'])).toBe(1);
    expect([...c.store.keys()]).toEqual([`${base}config.json`]);
  });

  it('reads the hub URL layout', () => {
    expect(describeCacheUrl('http://127.0.0.1:8/hub/org/name/resolve/v1.0/sub/model.safetensors'))
      .toEqual({ url: 'http://127.0.0.1:8/hub/org/name/resolve/v1.0/sub/model.safetensors', endpoint: 'http://127.0.0.1:8/hub', repo: 'org/name', revision: 'v1.0', file: 'sub/model.safetensors' });
  });
});
