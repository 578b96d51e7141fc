// How the command line finds checkpoint files: the folder rule, and hub downloads through a cache
// keyed by endpoint that keeps only files that were checked. In-process, against a local hub.
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../../src/checkpoints/load';
import { LoadError } from '../../../src/shared/errors';
import { endpointCacheKey } from '../../../src/shared/hub';
import { pickWeightFile, readCheckpointFolder, readHubCheckpoint, UsageError } from '../../../tools/lib/checkpoint';
import { startHubServer } from '../../helpers/hub-server';

const GOLDEN = path.resolve(__dirname, '..', '..', 'fixtures', 'golden', 'tiny-p16');
const CONFIG = new Uint8Array(readFileSync(path.join(GOLDEN, 'hf', 'config.json')));
const WEIGHTS = new Uint8Array(readFileSync(path.join(GOLDEN, 'hf', 'model.safetensors')));
const PTH = new Uint8Array(readFileSync(path.join(GOLDEN, 'checkpoint.pth')));

describe('a checkpoint folder', () => {
  it('uses model.safetensors, else pytorch_model.bin, else its one weight file, and says which', () => {
    expect(pickWeightFile(['config.json', 'pytorch_model.bin', 'model.safetensors'], 'd'))
      .toEqual({ file: 'model.safetensors', note: 'using model.safetensors from d (it also holds pytorch_model.bin)' });
    expect(pickWeightFile(['pytorch_model.bin', 'mae.pth'], 'd')).toEqual({ file: 'pytorch_model.bin', note: 'using pytorch_model.bin from d (it also holds mae.pth)' });
    expect(pickWeightFile(['mae.pth', 'README.md'], 'd')).toEqual({ file: 'mae.pth' });
    expect(() => pickWeightFile(['a.pth', 'b.pth'], 'd')).toThrow('several checkpoint files in d: a.pth, b.pth; name one');
    expect(() => pickWeightFile(['config.json'], 'd')).toThrow(UsageError);
  });

  it('loads a hub snapshot holding both files from its safetensors', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mae-snapshot-'));
    writeFileSync(path.join(dir, 'config.json'), CONFIG);
    writeFileSync(path.join(dir, 'model.safetensors'), WEIGHTS);
    writeFileSync(path.join(dir, 'pytorch_model.bin'), PTH);
    const picked = await readCheckpointFolder(dir);
    expect(picked.files.map((f) => f.name).sort()).toEqual(['config.json', 'model.safetensors']);
    expect(picked.notes).toHaveLength(1);
    expect((await loadCheckpoint(picked.files)).layout).toBe('hf');
  });
});

describe('hub checkpoints on the command line', () => {
  let hub: Awaited<ReturnType<typeof startHubServer>>;
  let mirror: Awaited<ReturnType<typeof startHubServer>>;
  const env = { cache: process.env.MAE_CACHE, endpoint: process.env.HF_ENDPOINT };
  beforeAll(async () => {
    const files = new Map([
      ['/o/m/resolve/main/config.json', CONFIG],
      ['/o/m/resolve/main/model.safetensors', WEIGHTS],
      // Served whole but cut where it is stored: Content-Length says the short size.
      ['/o/short/resolve/main/model.safetensors', WEIGHTS.subarray(0, 50_000)],
    ]);
    hub = await startHubServer(files);
    mirror = await startHubServer(files);
  });
  afterAll(async () => {
    await hub.close();
    await mirror.close();
  });
  afterEach(() => {
    for (const [k, v] of [['MAE_CACHE', env.cache], ['HF_ENDPOINT', env.endpoint]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  const useHub = (url: string) => {
    process.env.HF_ENDPOINT = url;
    const cache = mkdtempSync(path.join(os.tmpdir(), 'mae-cache-'));
    process.env.MAE_CACHE = cache;
    return cache;
  };

  it('keys the cache by endpoint: weights from one mirror are not used with another', async () => {
    const cache = useHub(hub.url);
    const a = await readHubCheckpoint('hf:o/m');
    expect((await loadCheckpoint(a.files)).params.size).toBe(62);
    process.env.HF_ENDPOINT = mirror.url;
    await readHubCheckpoint('hf:o/m');
    expect(mirror.requests).toContain('/o/m/resolve/main/model.safetensors');
    expect(readdirSync(path.join(cache, 'hub')).sort()).toEqual([endpointCacheKey(hub.url), endpointCacheKey(mirror.url)].sort());
    const n = hub.requests.length;
    process.env.HF_ENDPOINT = hub.url;
    await readHubCheckpoint('hf:o/m');
    expect(hub.requests.length).toBe(n);
  });

  it('never keeps a download that does not check out', async () => {
    const cache = useHub(hub.url);
    const e = await readHubCheckpoint('hf:o/short').then(() => null, (err: unknown) => err);
    expect(e).toBeInstanceOf(LoadError);
    expect((e as LoadError).message).toMatch(/^truncated: the header says \d+ bytes, file has 50000$/);
    const dir = path.join(cache, 'hub', endpointCacheKey(hub.url), 'o', 'short', 'main');
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(path.join(dir, 'model.safetensors'))).toBe(false);
  });

  it('takes references in the page’s grammar and refuses the rest before any request', async () => {
    useHub(hub.url);
    const n = hub.requests.length;
    for (const bad of ['hf:dot/.@..', 'hf:a/b/c', 'hf:o/m@x/../y']) {
      await expect(readHubCheckpoint(bad), bad).rejects.toThrow(UsageError);
    }
    process.env.HF_ENDPOINT = 'ftp://mirror';
    await expect(readHubCheckpoint('hf:o/m')).rejects.toThrow(/HF_ENDPOINT must be an http\(s\) address/);
    expect(hub.requests.length).toBe(n);
  });
});
