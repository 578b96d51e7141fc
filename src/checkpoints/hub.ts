// Checked downloads over fetch (the same code runs in the worker and in Node): a body stream that
// counts, bounds and checks its bytes, so a caller can write it straight to Cache Storage or a
// file without holding it. The hub's grammar, URL layout and file list live in src/shared/hub.ts.
import { LoadError, printable } from '../shared/errors';
import { HUB_CONFIG_FILE, HUB_WEIGHT_FILES } from '../shared/hub';
import { formatBytes } from './limits';

/** Download progress: bytes so far and the total when the server says it (a hint only). */
export type ProgressFn = (loaded: number, total: number | null) => void;

const HTTP_NOT_FOUND = 404;
/** Longest URL quoted in a message, in characters. */
const MAX_URL_CHARS = 200;

const shownUrl = (url: string): string => printable(url, MAX_URL_CHARS);

/** A file the server does not have (HTTP 404). */
export class NotFoundError extends LoadError {
  constructor(url: string) {
    super(`not found: ${shownUrl(url)}`, 'not-found');
    this.name = 'NotFoundError';
  }
}

/** Options of a checked download. */
export interface DownloadOptions {
  /** Largest body accepted, in bytes; a larger announcement is refused before reading. */
  maxBytes: number;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

/** A download under way: its checked body and the failure that stopped it, if any. */
export interface Download {
  /** The body: errors with a LoadError when it passes maxBytes or ends short of its announced length. */
  body: ReadableStream<Uint8Array>;
  /** Bytes announced by Content-Length, null when none (or when the body is encoded, since it is a hint then). */
  total: number | null;
  /**
   * What to throw for a consumer that failed on the body: the LoadError the body failed with, or a
   * 'cancelled' / 'network' one for an abort or a broken connection.
   */
  failure(e: unknown): LoadError;
}

/**
 * Starts a download, checking status and announced size. Throws NotFoundError for 404 and a
 * LoadError coded network, server (with the status), unsupported (too large) or cancelled.
 * `Content-Length` is only a hint when the body is encoded (Content-Encoding): the decoded bytes differ.
 */
export async function openDownload(url: string, opts: DownloadOptions): Promise<Download> {
  const { maxBytes, onProgress, signal } = opts;
  let res: Response;
  try {
    res = await fetch(url, { signal, redirect: 'follow' });
  } catch (e) {
    if (signal?.aborted) throw new LoadError('cancelled', 'cancelled');
    throw new LoadError(`network error fetching ${shownUrl(url)}: ${(e as Error).message}`, 'network');
  }
  if (res.status === HTTP_NOT_FOUND) {
    await res.body?.cancel().catch(() => undefined);
    throw new NotFoundError(url);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new LoadError(`the server answered ${res.status} ${res.statusText} for ${shownUrl(url)}`, 'server', res.status);
  }
  const encoding = res.headers.get('content-encoding');
  const encoded = encoding !== null && encoding.trim().toLowerCase() !== 'identity';
  const lenHeader = res.headers.get('content-length');
  const announced = lenHeader !== null && /^\d+$/.test(lenHeader.trim()) ? Number(lenHeader.trim()) : null;
  const tooLarge = (n: number) => new LoadError(`${shownUrl(url)} is ${formatBytes(n)} or more, over the `
    + `${formatBytes(maxBytes)} limit for one file`, 'unsupported');
  if (!encoded && announced !== null && announced > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge(announced);
  }
  if (!res.body) throw new LoadError(`empty response from ${shownUrl(url)}`, 'network');

  let loaded = 0;
  let failed: LoadError | null = null;
  const fail = (e: LoadError): LoadError => {
    failed ??= e;
    return failed;
  };
  // Progress shows the announced total only while it can still be right.
  const hint = (): number | null => (announced !== null && loaded <= announced ? announced : null);
  onProgress?.(0, hint());
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, ctrl) {
      loaded += chunk.byteLength;
      // More than announced means an encoded body whose Content-Encoding a cross-origin page cannot
      // see (the length was the encoded one): not an error, fetch itself enforces HTTP framing.
      if (loaded > maxBytes) throw fail(tooLarge(loaded));
      ctrl.enqueue(chunk);
      onProgress?.(loaded, hint());
    },
    flush() {
      if (!encoded && announced !== null && loaded < announced) {
        throw fail(new LoadError(`download of ${shownUrl(url)} is truncated: ${loaded} of ${announced} bytes`, 'truncated'));
      }
    },
  });
  return {
    body: res.body.pipeThrough(counter, { signal }),
    total: encoded ? null : announced,
    failure(e: unknown): LoadError {
      if (failed) return failed;
      if (signal?.aborted) return new LoadError('cancelled', 'cancelled');
      if (e instanceof LoadError) return e;
      const why = e instanceof Error ? e.message : 'the connection broke';
      return new LoadError(`download of ${shownUrl(url)} broke off after ${loaded} bytes: ${why}`, 'network');
    },
  };
}

/** Downloads into a Blob (in the browser, blob storage, not the JS heap), checked as openDownload says. */
export async function downloadBlob(url: string, opts: DownloadOptions): Promise<Blob> {
  const dl = await openDownload(url, opts);
  try {
    return await new Response(dl.body).blob();
  } catch (e) {
    throw dl.failure(e);
  }
}

/** Downloads into memory: for small files (config.json) and tests. */
export async function downloadBytes(url: string, opts: DownloadOptions): Promise<Uint8Array> {
  return new Uint8Array(await (await downloadBlob(url, opts)).arrayBuffer());
}

/**
 * The files a hub repository offers the model: `config.json` when it has one, then the first weight
 * file of HUB_WEIGHT_FILES it has. `fetchFile` returns what the caller keeps of a file (a Blob, a
 * path) or throws NotFoundError; it supplies caching.
 */
export async function fetchHubFiles<T>(fetchFile: (file: string) => Promise<T>): Promise<{ name: string; file: T }[]> {
  const files: { name: string; file: T }[] = [];
  try {
    files.push({ name: HUB_CONFIG_FILE, file: await fetchFile(HUB_CONFIG_FILE) });
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
  }
  for (const name of HUB_WEIGHT_FILES) {
    try {
      files.push({ name, file: await fetchFile(name) });
      return files;
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
  }
  throw new LoadError(`the repository has neither ${HUB_WEIGHT_FILES.join(' nor ')}`, 'not-a-checkpoint');
}
