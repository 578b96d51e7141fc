// Choosing checkpoints: links (ckpt=, hf=), loads with progress, cancel, retry and failures that
// keep the previous checkpoint, dropped files, and asking the browser to keep hub downloads.
import { describe, expect, it } from 'vitest';
import type { CheckpointSource, ModelInfo } from '../protocol/messages';
import { FakeClient, FakeDecoder, file, flush, TINY_INFO } from '../../tests/unit/fakes';
import { LoadError } from '../worker-client/errors';
import { createAppStore } from './createAppStore';
import { memoryPersistence } from './persistence';
import { parseUrlSettings } from './settings';
import type { AppDeps, StorageLike } from './types';

const BIG_INFO: ModelInfo = { ...TINY_INFO, imgSize: 64, patchSize: 8, parameters: 99_999 };

/** A client whose loads wait until the test settles them. */
class ManualClient extends FakeClient {
  pendingLoads: { source: CheckpointSource; resolve: (info?: ModelInfo) => void; reject: (e: Error) => void }[] = [];
  cancels = 0;
  /** Sources that load at once (the rest wait). */
  instant = new Set<CheckpointSource['kind']>(['url', 'random']);
  override async loadCheckpoint(source: CheckpointSource): Promise<{ label: string; info: ModelInfo; notes: never[] }> {
    this.loads.push(source);
    if (this.instant.has(source.kind)) {
      if (this.failAllLoads || (this.failUrlLoad && source.kind === 'url')) throw new Error('HTTP 404 for config.json');
      return { label: source.label, info: this.info, notes: [] };
    }
    return new Promise((resolve, reject) => {
      this.pendingLoads.push({ source, resolve: (info = this.info) => resolve({ label: source.label, info, notes: [] }), reject });
    });
  }
  override cancelLoad(): void {
    this.cancels++;
    const p = this.pendingLoads.shift();
    p?.reject(new Error('cancelled'));
  }
}

function setup(over: Partial<AppDeps> = {}) {
  const client = (over.client as ManualClient | undefined) ?? new ManualClient();
  let t = 1000;
  const store = createAppStore({
    client, decoder: new FakeDecoder(), persistence: memoryPersistence(), schedule: (fn) => fn(), now: () => t, settingsSaveDelayMs: 0, ...over,
  });
  return { store, client, get: () => store.getState(), tick: (ms: number) => (t += ms) };
}

const hub = (repo: string, revision = 'main', endpoint = 'https://huggingface.co'): CheckpointSource => ({ kind: 'hub', repo, revision, endpoint, label: repo });

/** A fake of the page's look into Cache Storage: the repositories (`repo@revision`) already downloaded, and what was asked. */
function fakeHubCache(cached: string[] = []) {
  const asked: string[] = [];
  const isHubCached = async (h: { repo: string; revision: string; endpoint: string }) => {
    asked.push(`${h.endpoint} ${h.repo}@${h.revision}`);
    return cached.includes(`${h.repo}@${h.revision}`);
  };
  return { isHubCached, asked };
}

describe('checkpoint from the link', () => {
  it('ckpt=random loads random weights and nothing else', async () => {
    const cache = fakeHubCache();
    const { get, client } = setup({ urlCheckpoints: { ckpt: 'random' }, isHubCached: cache.isHubCached });
    expect(get().model.ref).toBe('random');
    await get().boot();
    expect(client.loads.map((s) => s.kind)).toEqual(['random']);
    expect(get().model).toMatchObject({ phase: 'ready', ref: 'random', fallbackReason: null, checkpoint: { kind: 'random', ref: 'random' }, pendingDownload: null });
    expect(cache.asked).toEqual([]);
  });

  it('ckpt=hf:org/name@rev, already downloaded, loads from the hub address of hf=', async () => {
    const client = new ManualClient();
    const cache = fakeHubCache(['org/mae@v2']);
    const { get } = setup({
      client, urlCheckpoints: { ckpt: 'hf:org/mae@v2' }, urlSettings: parseUrlSettings('?hf=http%3A%2F%2F127.0.0.1%3A9000%2F'), isHubCached: cache.isHubCached,
    });
    const booted = get().boot();
    await flush();
    expect(cache.asked).toEqual(['http://127.0.0.1:9000 org/mae@v2']);
    expect(get().model.phase).toBe('loading');
    expect(get().model.ref).toBe('hf:org/mae@v2');
    expect(client.pendingLoads[0].source).toEqual({ kind: 'hub', repo: 'org/mae', revision: 'v2', endpoint: 'http://127.0.0.1:9000', label: 'org/mae@v2' });
    client.pendingLoads.shift()!.resolve();
    await booted;
    expect(get().model).toMatchObject({ phase: 'ready', ref: 'hf:org/mae@v2', checkpoint: { kind: 'hub', label: 'org/mae@v2' } });
  });

  it('falls back to the bundled checkpoint when the linked one fails, and offers a retry', async () => {
    const client = new ManualClient();
    const { get } = setup({ client, urlCheckpoints: { ckpt: 'hf:org/mae' }, isHubCached: fakeHubCache(['org/mae@main']).isHubCached });
    const booted = get().boot();
    await flush();
    client.pendingLoads.shift()!.reject(new Error('network error fetching https://huggingface.co/org/mae/resolve/main/config.json: Failed to fetch'));
    await booted;
    expect(client.loads.map((s) => s.kind)).toEqual(['hub', 'url']);
    expect(get().model).toMatchObject({ phase: 'ready', ref: 'bundled', checkpoint: { kind: 'url', ref: 'bundled' } });
    expect(get().model.loadError).toMatchObject({ kind: 'network', ref: 'hf:org/mae', retry: { kind: 'hub', repo: 'org/mae' } });
    expect(get().notices.at(-1)?.text).toMatch(/could not be downloaded.*bundled checkpoint is loaded instead/);
    const retried = get().retryLoad();
    await flush();
    expect(get().model.loadError).toBeNull();
    client.pendingLoads.shift()!.resolve(BIG_INFO);
    expect(await retried).toBe(true);
    expect(get().model).toMatchObject({ ref: 'hf:org/mae', info: BIG_INFO });
  });

  it('ckpt=hf: not downloaded yet loads the bundled checkpoint and asks before downloading', async () => {
    const client = new ManualClient();
    const cache = fakeHubCache(['other/repo@main']);
    const { get } = setup({ client, urlCheckpoints: { ckpt: 'hf:facebook/vit-mae-base' }, isHubCached: cache.isHubCached });
    await get().boot();
    expect(cache.asked).toEqual(['https://huggingface.co facebook/vit-mae-base@main']);
    expect(client.loads.map((s) => s.kind)).toEqual(['url']);
    expect(client.pendingLoads).toEqual([]);
    expect(get().model).toMatchObject({
      phase: 'ready', ref: 'bundled', loadError: null, checkpoint: { kind: 'url' },
      pendingDownload: { ref: 'hf:facebook/vit-mae-base', source: { kind: 'hub', repo: 'facebook/vit-mae-base', revision: 'main' } },
    });
    expect(get().notices).toEqual([]);

    // Yes: the download starts, at the hub address set now.
    get().setHfEndpoint('http://127.0.0.1:8000/');
    const confirmed = get().confirmDownload();
    await flush();
    expect(get().model.pendingDownload).toBeNull();
    expect(get().model.loading).toMatchObject({ ref: 'hf:facebook/vit-mae-base', kind: 'hub' });
    expect(client.pendingLoads[0].source).toMatchObject({ kind: 'hub', repo: 'facebook/vit-mae-base', endpoint: 'http://127.0.0.1:8000' });
    client.pendingLoads.shift()!.resolve(BIG_INFO);
    expect(await confirmed).toBe(true);
    expect(get().model).toMatchObject({ ref: 'hf:facebook/vit-mae-base', info: BIG_INFO });
    expect(await get().confirmDownload()).toBe(false);
  });

  it('asks too when it cannot tell (no cache look, or the look fails); Not now keeps the bundled checkpoint', async () => {
    const failing = async () => {
      throw new Error('SecurityError');
    };
    for (const isHubCached of [undefined, failing]) {
      const { get, client } = setup({ urlCheckpoints: { ckpt: 'hf:org/mae@v2' }, isHubCached });
      await get().boot();
      expect(client.loads.map((s) => s.kind)).toEqual(['url']);
      expect(get().model.pendingDownload).toMatchObject({ ref: 'hf:org/mae@v2', source: { label: 'org/mae@v2' } });
      get().dismissDownload();
      expect(get().model).toMatchObject({ pendingDownload: null, ref: 'bundled', checkpoint: { kind: 'url' } });
      expect(client.loads.map((s) => s.kind)).toEqual(['url']);
    }
  });

  it('choosing another checkpoint replaces the question', async () => {
    const { get, client } = setup({ urlCheckpoints: { ckpt: 'hf:org/mae' } });
    await get().boot();
    expect(get().model.pendingDownload).not.toBeNull();
    const p = get().loadCheckpoint(hub('org/other'));
    expect(get().model.pendingDownload).toBeNull();
    client.pendingLoads.shift()!.resolve();
    expect(await p).toBe(true);
  });

  it('reports links it cannot follow and loads the bundled checkpoint', async () => {
    for (const ckpt of ['nonsense', 'file:mae_visualize_vit_base.pth']) {
      const { get, client } = setup({ urlCheckpoints: { ckpt } });
      await get().boot();
      expect(client.loads.map((s) => s.kind)).toEqual(['url']);
      expect(get().model.ref).toBe('bundled');
      expect(get().notices).toHaveLength(1);
    }
  });
});

describe('loading another checkpoint', () => {
  it('keeps the page ready and the old model answering while it downloads, with rate and time left', async () => {
    const { get, client, tick } = setup();
    await get().boot();
    await get().addFiles([file('a.png')]);
    await flush();
    const loading = get().loadCheckpoint(hub('facebook/vit-mae-base'));
    expect(get().model.phase).toBe('ready');
    expect(get().model.loading).toMatchObject({ ref: 'hf:facebook/vit-mae-base', kind: 'hub' });
    const MB = 1e6;
    for (let i = 0; i <= 10; i++) {
      client.emit({ type: 'progress', loaded: i * 10 * MB, total: 448 * MB, stage: 'model.safetensors' });
      tick(1000);
    }
    expect(get().model.progress).toMatchObject({ loaded: 100 * MB, total: 448 * MB, stage: 'model.safetensors' });
    expect(get().model.progress!.rate).toBeCloseTo(10 * MB, -4);
    expect(get().model.progress!.etaS).toBeCloseTo(34.8, 0);
    // The old model keeps reconstructing meanwhile.
    const before = client.calls.length;
    get().setSeed(3);
    expect(client.calls.length).toBe(before + 1);
    client.pendingLoads.shift()!.resolve(BIG_INFO);
    expect(await loading).toBe(true);
    expect(get().model).toMatchObject({ loading: null, progress: null, ref: 'hf:facebook/vit-mae-base', info: BIG_INFO });
  });

  it('keeps the previous checkpoint running and selected when a load fails, and says why', async () => {
    const { get, client } = setup();
    await get().boot();
    const before = get().model;
    const failures: [string, string, boolean][] = [
      ['network error fetching https://x: Failed to fetch', 'network', true],
      ['not a checkpoint: expected a .safetensors or PyTorch .pth/.bin file (x.bin is neither)', 'not-a-checkpoint', false],
      ['this checkpoint has no decoder, so it cannot reconstruct (it is an encoder-only checkpoint, e.g. mae_pretrain_vit_*.pth)', 'encoder-only', false],
      ["the checkpoint does not fit in this device's memory (OOM)", 'too-large', false],
    ];
    for (const [msg, kind] of failures) {
      const p = get().loadCheckpoint(hub('org/x'));
      client.pendingLoads.shift()!.reject(new Error(msg));
      expect(await p).toBe(false);
      expect(get().model).toMatchObject({ phase: 'ready', ref: 'bundled', checkpoint: before.checkpoint, info: before.info, generation: before.generation, loading: null });
      expect(get().model.loadError).toMatchObject({ kind, message: msg });
      expect(get().notices.at(-1)?.text).toMatch(/previous checkpoint keeps running/);
    }
  });

  it('classifies a failure by the code the client gives, not by its words', async () => {
    const { get, client } = setup();
    await get().boot();
    const failures: [LoadError, string][] = [
      [new LoadError('the server answered 503 Service Unavailable for https://x', 'server', 503), 'network'],
      [new LoadError('the server answered 401 Unauthorized for https://x', 'server', 401), 'not-found'],
      [new LoadError('download of https://x is truncated: 2 of 5 bytes', 'truncated'), 'network'],
      [new LoadError('not found: https://x/model.safetensors', 'not-found'), 'not-found'],
      [new LoadError('it has no decoder', 'encoder-only'), 'encoder-only'],
      [new LoadError('unsupported dtype int64 for tensor ids', 'unsupported'), 'not-a-checkpoint'],
      [new LoadError('the repository has neither model.safetensors nor pytorch_model.bin', 'not-a-checkpoint'), 'not-a-checkpoint'],
      [new LoadError('the checkpoint does not fit (Failed)', 'out-of-memory'), 'too-large'],
      [new LoadError('network error fetching https://x: Failed to fetch', 'network'), 'network'],
    ];
    for (const [error, kind] of failures) {
      const p = get().loadCheckpoint(hub('org/x'));
      client.pendingLoads.shift()!.reject(error);
      expect(await p).toBe(false);
      expect(get().model.loadError, error.code).toMatchObject({ kind, message: error.message });
    }
    const p = get().loadCheckpoint(hub('org/x'));
    client.pendingLoads.shift()!.reject(new LoadError('cancelled', 'cancelled'));
    await p;
    expect(get().model.loadError).toMatchObject({ kind: 'cancelled' });
  });

  it('cancels a download; the cancelled load is not an error', async () => {
    const { get, client } = setup();
    await get().boot();
    const notices = get().notices.length;
    const p = get().loadCheckpoint(hub('facebook/vit-mae-huge'));
    get().cancelLoad();
    expect(client.cancels).toBe(1);
    expect(await p).toBe(false);
    expect(get().model.loadError).toMatchObject({ kind: 'cancelled' });
    expect(get().notices.length).toBe(notices);
    expect(get().model.ref).toBe('bundled');
    // Nothing in flight: cancel does nothing.
    get().cancelLoad();
    expect(client.cancels).toBe(1);
  });

  it('retries at the hub address set now', async () => {
    const { get, client } = setup();
    await get().boot();
    const p = get().loadCheckpoint(hub('org/x', 'main', 'https://wrong.example'));
    client.pendingLoads.shift()!.reject(new Error('network error fetching https://wrong.example/org/x: Failed to fetch'));
    await p;
    get().setHfEndpoint('http://127.0.0.1:8000/');
    void get().retryLoad();
    await flush();
    expect(client.pendingLoads[0].source).toMatchObject({ kind: 'hub', repo: 'org/x', endpoint: 'http://127.0.0.1:8000' });
  });

  it('a newer choice replaces a download in flight', async () => {
    const { get, client } = setup();
    await get().boot();
    const first = get().loadCheckpoint(hub('org/one'));
    const second = get().loadCheckpoint(hub('org/two'));
    expect(client.cancels).toBe(1);
    expect(await first).toBe(false);
    expect(get().model.loadError).toBeNull();
    expect(get().model.loading?.ref).toBe('hf:org/two');
    client.pendingLoads.shift()!.resolve();
    expect(await second).toBe(true);
    expect(get().model.ref).toBe('hf:org/two');
  });

  it('loads checkpoint files from disk with their config.json', async () => {
    const { get, client } = setup();
    client.instant.add('files');
    await get().boot();
    const weights = { name: 'model.safetensors', blob: new Blob([new Uint8Array([1, 2, 3])]) };
    const config = { name: 'config.json', blob: new Blob(['{}']) };
    expect(await get().loadCheckpointFiles([weights, config])).toBe(true);
    const src = client.loads.at(-1)!;
    expect(src.kind).toBe('files');
    if (src.kind !== 'files') return;
    expect(src.label).toBe('model.safetensors');
    expect(src.files.map((f) => [f.name, f.blob.size])).toEqual([['model.safetensors', 3], ['config.json', 2]]);
    expect(get().model).toMatchObject({ ref: 'file:model.safetensors', checkpoint: { kind: 'files' } });

    const n = client.loads.length;
    expect(await get().loadCheckpointFiles([config])).toBe(false);
    expect(client.loads.length).toBe(n);
    expect(get().notices.at(-1)?.text).toMatch(/none of config\.json is a checkpoint/);
  });

  it('a failed dropped file offers no retry (its bytes are not kept)', async () => {
    const { get, client } = setup();
    await get().boot();
    const p = get().loadCheckpointFiles([{ name: 'encoder.pth', blob: new Blob(['x']) }]);
    await flush();
    client.pendingLoads.shift()!.reject(new Error('this checkpoint has no decoder, so it cannot reconstruct'));
    await p;
    expect(get().model.loadError).toMatchObject({ kind: 'encoder-only', retry: null, label: 'encoder.pth' });
  });
});

describe('keeping hub downloads', () => {
  it('asks the browser once, after the first hub download, and shows the answer', async () => {
    let asked = 0;
    const storage: StorageLike = { persisted: async () => false, persist: async () => (asked++, true) };
    const { get, client } = setup({ storage });
    await get().boot();
    await flush();
    expect(get().model.storagePersisted).toBe(false);
    expect(asked).toBe(0);
    const p = get().loadCheckpoint(hub('org/a'));
    client.pendingLoads.shift()!.resolve();
    await p;
    await flush();
    expect(asked).toBe(1);
    expect(get().model.storagePersisted).toBe(true);
    const q = get().loadCheckpoint(hub('org/b'));
    client.pendingLoads.shift()!.resolve();
    await q;
    await flush();
    expect(asked).toBe(1);
  });
});
