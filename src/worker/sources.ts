// Turning a CheckpointSource into files (Blobs, never one whole ArrayBuffer): the bundled URL, a hub
// repository (through Cache Storage), dropped files, or random weights (none).
import { downloadBlob, downloadBytes, fetchHubFiles, openDownload, type DownloadOptions, type ProgressFn } from '../checkpoints/hub';
import { MAX_CONFIG_BYTES, MAX_DOWNLOAD_BYTES } from '../checkpoints/limits';
import { openCheckpoint } from '../checkpoints/load';
import type { CheckpointFile } from '../checkpoints/source';
import { HUB_CACHE, type CheckpointSource } from '../protocol/messages';
import { LoadError } from '../shared/errors';
import { DEFAULT_REVISION, HUB_CONFIG_FILE, hubFileUrl } from '../shared/hub';

/** Cache Storage bucket where hub downloads wait until they are checked; emptied after every load. */
export const HUB_STAGING_CACHE = 'mae-hub-staging-v1';
const CONFIG_NAME = 'config.json';
const BUNDLED_WEIGHTS = 'model.safetensors';

/** The part of Cache Storage used here (a fake in tests). */
export interface CacheLike {
  match(url: string): Promise<Response | undefined>;
  put(url: string, res: Response): Promise<void>;
  delete(url: string): Promise<boolean>;
}
export interface CachesLike {
  open(name: string): Promise<CacheLike>;
}

/** The browser's Cache Storage; null where there is none (plain http, some private modes, Node). */
export function browserCaches(): CachesLike | null {
  return typeof caches !== 'undefined' ? (caches as unknown as CachesLike) : null;
}

const limitFor = (file: string): number => (file === HUB_CONFIG_FILE ? MAX_CONFIG_BYTES : MAX_DOWNLOAD_BYTES);

/** One hub file: from the cache, else downloaded (into the staging bucket when there is one). */
interface Fetched {
  url: string;
  blob: Blob;
  cached: boolean;
}

async function fetchInto(staging: CacheLike | null, url: string, opts: DownloadOptions): Promise<Blob> {
  if (!staging) return downloadBlob(url, opts);
  const dl = await openDownload(url, opts);
  // Streamed to disk: the download is never held in memory.
  try {
    await staging.put(url, new Response(dl.body));
  } catch (e) {
    throw dl.failure(e);
  }
  const res = await staging.match(url);
  if (!res) throw new LoadError(`the browser did not keep the download of ${url}`, 'other');
  return res.blob();
}

/**
 * A hub repository's files as Blobs read from Cache Storage. New downloads wait in HUB_STAGING_CACHE
 * until openCheckpoint has checked them (sizes, headers, names, shapes), so a truncated, oversized
 * or hostile file never enters HUB_CACHE and is never reused.
 */
export async function hubFiles(source: Extract<CheckpointSource, { kind: 'hub' }>, onProgress: (stage: string) => ProgressFn,
  signal: AbortSignal, storage: CachesLike | null = browserCaches()): Promise<CheckpointFile[]> {
  const ref = { repo: source.repo, revision: source.revision || DEFAULT_REVISION };
  // A full cache or private mode must not fail the load: without a cache the files are Blobs in hand.
  const cache = storage ? await storage.open(HUB_CACHE).catch(() => null) : null;
  const staging = cache && storage ? await storage.open(HUB_STAGING_CACHE).catch(() => null) : null;
  const staged: string[] = [];
  try {
    const got = await fetchHubFiles(async (file): Promise<Fetched> => {
      const url = hubFileUrl(source.endpoint, ref, file);
      const progress = onProgress(file);
      const hit = await cache?.match(url);
      if (hit) {
        const blob = await hit.blob();
        progress(blob.size, blob.size);
        return { url, blob, cached: true };
      }
      const blob = await fetchInto(staging, url, { maxBytes: limitFor(file), onProgress: progress, signal });
      if (staging) staged.push(url);
      return { url, blob, cached: false };
    });
    const files = got.map((g) => ({ name: g.name, blob: g.file.blob }));
    await openCheckpoint(files);
    if (!cache) return files;
    const kept: CheckpointFile[] = [];
    for (const g of got) {
      if (!g.file.cached) {
        const headers = { 'content-length': String(g.file.blob.size), 'content-type': 'application/octet-stream' };
        await cache.put(g.file.url, new Response(g.file.blob, { headers })).catch(() => undefined);
      }
      // Read from the kept copy, so the staged one can go.
      const res = g.file.cached ? undefined : await cache.match(g.file.url).catch(() => undefined);
      kept.push({ name: g.name, blob: res ? await res.blob() : g.file.blob });
    }
    return kept;
  } finally {
    for (const url of staged) await staging?.delete(url).catch(() => false);
  }
}

/** Fetches the files of a URL, hub or files source (random sources have none), as Blobs. */
export async function sourceFiles(source: CheckpointSource, onProgress: (stage: string) => ProgressFn,
  signal: AbortSignal): Promise<CheckpointFile[]> {
  switch (source.kind) {
    case 'files':
      return source.files.map((f) => ({ name: f.name, blob: f.blob }));
    case 'url': {
      const base = source.baseUrl.endsWith('/') ? source.baseUrl : `${source.baseUrl}/`;
      const resolved = new URL(base, self.location.href).href;
      const config = await downloadBytes(resolved + CONFIG_NAME, { maxBytes: MAX_CONFIG_BYTES, signal });
      // Dev servers answer missing files with the app's index.html: say what is really wrong.
      if (new TextDecoder().decode(config.subarray(0, 64)).trimStart()[0] !== '{') {
        throw new LoadError(`no checkpoint at ${resolved} (config.json is missing)`, 'not-found');
      }
      const weights = await downloadBlob(resolved + BUNDLED_WEIGHTS,
        { maxBytes: MAX_DOWNLOAD_BYTES, onProgress: onProgress(BUNDLED_WEIGHTS), signal });
      return [{ name: CONFIG_NAME, blob: new Blob([config as BlobPart]) }, { name: BUNDLED_WEIGHTS, blob: weights }];
    }
    case 'hub':
      return hubFiles(source, onProgress, signal);
    case 'random':
      return [];
  }
}
