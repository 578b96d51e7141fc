// Hugging Face hub downloads over fetch: the same code runs in the worker and in Node.
import { CheckpointError } from './types';

/** The hub's public address; `HF_ENDPOINT` (Node) or the page's setting overrides it. */
export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';
/** Revision used when a reference names none. */
export const DEFAULT_REVISION = 'main';

/** A hub repository at a revision. */
export interface HubRef {
  repo: string; // org/name
  revision: string;
}

const REPO_RE = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/** Parses `org/name[@revision]` (with or without an `hf:` prefix). */
export function parseHubRef(ref: string): HubRef {
  const s = ref.startsWith('hf:') ? ref.slice(3) : ref;
  const at = s.indexOf('@');
  const repo = at < 0 ? s : s.slice(0, at);
  const revision = at < 0 ? DEFAULT_REVISION : s.slice(at + 1);
  if (!REPO_RE.test(repo) || repo.includes('..')) throw new CheckpointError(`"${ref}" is not a hub repository: expected org/name[@revision]`);
  if (!revision) throw new CheckpointError(`"${ref}" names an empty revision`);
  return { repo, revision };
}

/** `{endpoint}/{org}/{name}/resolve/{revision}/{file}`, the hub's file layout. */
export function hubFileUrl(endpoint: string, ref: HubRef, file: string): string {
  const base = endpoint.replace(/\/+$/, '');
  return `${base}/${ref.repo}/resolve/${encodeURIComponent(ref.revision)}/${file}`;
}

/** Download progress: bytes so far and the total when the server says it. */
export type ProgressFn = (loaded: number, total: number | null) => void;

const HTTP_NOT_FOUND = 404;

/** A file the server does not have (HTTP 404). */
export class NotFoundError extends CheckpointError {
  constructor(url: string) {
    super(`not found: ${url}`, 'not-found');
    this.name = 'NotFoundError';
  }
}

/**
 * Downloads a URL into one buffer with progress, checking the length the server announced.
 * Aborts through `signal`. Throws NotFoundError for 404 and CheckpointError for other failures,
 * coded network, server (with the status), truncated or cancelled.
 */
export async function downloadBytes(url: string, onProgress?: ProgressFn, signal?: AbortSignal): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url, { signal, redirect: 'follow' });
  } catch (e) {
    if (signal?.aborted) throw new CheckpointError('cancelled', 'cancelled');
    throw new CheckpointError(`network error fetching ${url}: ${(e as Error).message}`, 'network');
  }
  if (res.status === HTTP_NOT_FOUND) throw new NotFoundError(url);
  if (!res.ok) throw new CheckpointError(`the server answered ${res.status} ${res.statusText} for ${url}`, 'server', res.status);
  const lenHeader = res.headers.get('content-length');
  const total = lenHeader !== null && /^\d+$/.test(lenHeader) ? Number(lenHeader) : null;
  // One preallocated buffer when the size is known: no second full copy at the end.
  let buf = new Uint8Array(total ?? 1 << 20);
  let loaded = 0;
  const reader = res.body?.getReader();
  if (!reader) throw new CheckpointError(`empty response from ${url}`, 'network');
  onProgress?.(0, total);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (loaded + value.length > buf.length) {
        if (total !== null) throw new CheckpointError(`${url} sent more than the ${total} bytes it announced`, 'network');
        const bigger = new Uint8Array(Math.max(buf.length * 2, loaded + value.length));
        bigger.set(buf.subarray(0, loaded));
        buf = bigger;
      }
      buf.set(value, loaded);
      loaded += value.length;
      onProgress?.(loaded, total);
    }
  } catch (e) {
    if (signal?.aborted) throw new CheckpointError('cancelled', 'cancelled');
    if (e instanceof CheckpointError) throw e;
    throw new CheckpointError(`download of ${url} broke off after ${loaded} bytes: ${(e as Error).message}`, 'network');
  }
  if (total !== null && loaded !== total) {
    throw new CheckpointError(`download of ${url} is truncated: ${loaded} of ${total} bytes`, 'truncated');
  }
  return total !== null ? buf : buf.slice(0, loaded);
}

/** Weight files tried in order for a hub repository. */
export const HUB_WEIGHT_FILES = ['model.safetensors', 'pytorch_model.bin'] as const;

/**
 * Fetches `config.json` (optional) and the first weight file the repository has.
 * `fetchFile` returns bytes or throws NotFoundError; the caller supplies caching.
 */
export async function fetchHubCheckpoint(
  fetchFile: (file: string) => Promise<Uint8Array>,
): Promise<{ name: string; bytes: Uint8Array }[]> {
  const files: { name: string; bytes: Uint8Array }[] = [];
  try {
    files.push({ name: 'config.json', bytes: await fetchFile('config.json') });
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
  }
  for (const name of HUB_WEIGHT_FILES) {
    try {
      files.push({ name, bytes: await fetchFile(name) });
      return files;
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
  }
  throw new CheckpointError(`the repository has neither ${HUB_WEIGHT_FILES.join(' nor ')}`, 'not-a-checkpoint');
}
