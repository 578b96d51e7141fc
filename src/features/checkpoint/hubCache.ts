// The hub downloads the worker keeps in Cache Storage (bucket HUB_CACHE, keyed by file URL):
// listed, sized and deleted from the page. Written against a small interface so tests can fake it.
import { HUB_CACHE } from '../../protocol/messages';
import { isHubWeightFile, parseHubFileUrl } from '../../shared/hub';

interface HeadersLike { get(name: string): string | null }
export interface CacheLike {
  keys(): Promise<readonly { url: string }[]>;
  match(request: string): Promise<{ headers: HeadersLike } | undefined>;
  delete(request: string): Promise<boolean>;
}
export interface CachesLike {
  open(name: string): Promise<CacheLike>;
  has?(name: string): Promise<boolean>;
}

/** One cached file. */
export interface CachedFile {
  url: string;
  /** Hub address, repository and revision, when the URL has the hub's `/resolve/` layout. */
  endpoint: string | null;
  repo: string | null;
  revision: string | null;
  file: string;
  /** Bytes, from the stored response's content-length; null when it has none. */
  size: number | null;
}

/** What a cache key names: `{endpoint}/{org}/{name}/resolve/{revision}/{file}` (the shared hub layout). */
export function describeCacheUrl(url: string): Omit<CachedFile, 'size'> {
  const hub = parseHubFileUrl(url);
  if (!hub) return { url, endpoint: null, repo: null, revision: null, file: url.slice(url.lastIndexOf('/') + 1) || url };
  return { url, endpoint: hub.endpoint, repo: hub.repo, revision: hub.revision, file: hub.file };
}

/** The browser's Cache Storage, if the page has one (not on plain http, nor in some private modes). */
export function browserCaches(): CachesLike | null {
  return typeof caches !== 'undefined' ? (caches as unknown as CachesLike) : null;
}

/** Every file in the hub cache, with sizes, largest first. */
export async function listHubCache(storage: CachesLike): Promise<CachedFile[]> {
  if (storage.has && !(await storage.has(HUB_CACHE))) return [];
  const cache = await storage.open(HUB_CACHE);
  const keys = await cache.keys();
  const files = await Promise.all(keys.map(async (k) => {
    const res = await cache.match(k.url);
    const len = res?.headers.get('content-length') ?? null;
    const size = len !== null && /^\d+$/.test(len) ? Number(len) : null;
    return { ...describeCacheUrl(k.url), size };
  }));
  return files.sort((a, b) => (b.size ?? 0) - (a.size ?? 0) || a.url.localeCompare(b.url));
}

/** Deletes cached files by URL; resolves with how many went. */
export async function deleteHubFiles(storage: CachesLike, urls: readonly string[]): Promise<number> {
  const cache = await storage.open(HUB_CACHE);
  const done = await Promise.all(urls.map((u) => cache.delete(u)));
  return done.filter(Boolean).length;
}

/** Total bytes of the files with a known size. */
export const totalSize = (files: readonly CachedFile[]): number => files.reduce((n, f) => n + (f.size ?? 0), 0);

/** The cached files of one repository at one revision and hub address. */
export function filesOf(files: readonly CachedFile[], prefix: string): CachedFile[] {
  return files.filter((f) => f.url.startsWith(prefix));
}

/** A repository's cached files under `prefix`, if its weights are among them (a config.json alone does not count). */
export function cachedWeightsOf(files: readonly CachedFile[], prefix: string): CachedFile[] {
  const mine = filesOf(files, prefix);
  return mine.some((f) => isHubWeightFile(f.file)) ? mine : [];
}

/** Whether this browser holds a repository's weights under `prefix`; false without Cache Storage. */
export async function hubWeightsCached(storage: CachesLike | null, prefix: string): Promise<boolean> {
  return !!storage && cachedWeightsOf(await listHubCache(storage), prefix).length > 0;
}
