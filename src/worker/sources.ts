// Turning a CheckpointSource into files: bundled URL, hub repository (with Cache Storage),
// dropped files, or random weights.
import { DEFAULT_REVISION, downloadBytes, fetchHubCheckpoint, hubFileUrl, type ProgressFn } from '../checkpoints/hub';
import { HUB_CACHE, type CheckpointSource } from '../protocol/messages';
import { CheckpointError } from '../checkpoints/types';


/** A named file's bytes. */
export interface NamedBytes {
  name: string;
  bytes: Uint8Array;
}

async function cachedDownload(url: string, onProgress: ProgressFn, signal: AbortSignal): Promise<Uint8Array> {
  const cache = typeof caches !== 'undefined' ? await caches.open(HUB_CACHE).catch(() => null) : null;
  const hit = await cache?.match(url);
  if (hit) {
    const bytes = new Uint8Array(await hit.arrayBuffer());
    onProgress(bytes.length, bytes.length);
    return bytes;
  }
  const bytes = await downloadBytes(url, onProgress, signal);
  // A full cache or private mode must not fail the load: the bytes are in hand.
  await cache?.put(url, new Response(bytes as BlobPart, { headers: { 'content-length': String(bytes.length) } })).catch(() => undefined);
  return bytes;
}

/** Fetches the files of a URL, hub or files source (random sources have none). */
export async function sourceFiles(source: CheckpointSource, onProgress: (stage: string) => ProgressFn,
  signal: AbortSignal): Promise<NamedBytes[]> {
  switch (source.kind) {
    case 'files':
      return Promise.all(source.files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.blob.arrayBuffer()) })));
    case 'url': {
      const base = source.baseUrl.endsWith('/') ? source.baseUrl : `${source.baseUrl}/`;
      const resolved = new URL(base, self.location.href).href;
      const config = await downloadBytes(resolved + 'config.json', undefined, signal);
      // Dev servers answer missing files with the app's index.html: say what is really wrong.
      if (new TextDecoder().decode(config.subarray(0, 64)).trimStart()[0] !== '{') {
        throw new CheckpointError(`no checkpoint at ${resolved} (config.json is missing)`, 'not-found');
      }
      const weights = await downloadBytes(resolved + 'model.safetensors', onProgress('model.safetensors'), signal);
      return [{ name: 'config.json', bytes: config }, { name: 'model.safetensors', bytes: weights }];
    }
    case 'hub': {
      const ref = { repo: source.repo, revision: source.revision || DEFAULT_REVISION };
      return fetchHubCheckpoint((file) => cachedDownload(hubFileUrl(source.endpoint, ref, file), onProgress(file), signal));
    }
    case 'random':
      return [];
  }
}
