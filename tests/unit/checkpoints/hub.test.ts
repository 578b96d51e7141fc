// Hub downloads against a scripted fetch: each way a download fails carries its own code.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { downloadBytes as download, fetchHubFiles, NotFoundError, type ProgressFn } from '../../../src/checkpoints/hub';
import { LoadError } from '../../../src/shared/errors';

const URL_ = 'https://hub.example/org/name/resolve/main/model.safetensors';
/** The size limit of these downloads, in bytes. */
const TEST_MAX_BYTES = 1000;

const downloadBytes = (url: string, onProgress?: ProgressFn, signal?: AbortSignal, maxBytes = TEST_MAX_BYTES) =>
  download(url, { onProgress, signal, maxBytes });

/** A response whose body sends `chunks`, then ends (or breaks with `breakWith`). */
function response(chunks: Uint8Array[], init: ResponseInit = {}, breakWith?: Error): Response {
  let next = 0;
  // One chunk a read, so the bytes before a break are delivered.
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (next < chunks.length) c.enqueue(chunks[next++]);
      else if (breakWith) c.error(breakWith);
      else c.close();
    },
  });
  return new Response(body, init);
}

async function failure(p: Promise<unknown>): Promise<LoadError> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(LoadError);
  return e as LoadError;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('downloadBytes', () => {
  it('downloads with progress when all goes well', async () => {
    vi.stubGlobal('fetch', async () => response([Uint8Array.of(1, 2), Uint8Array.of(3)], { headers: { 'content-length': '3' } }));
    const seen: [number, number | null][] = [];
    expect(Array.from(await downloadBytes(URL_, (l, t) => seen.push([l, t])))).toEqual([1, 2, 3]);
    expect(seen.at(-1)).toEqual([3, 3]);
  });

  it('codes a failed connection as network', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch');
    });
    const e = await failure(downloadBytes(URL_));
    expect(e.code).toBe('network');
    expect(e.message).toBe(`network error fetching ${URL_}: Failed to fetch`);
  });

  it('codes a 404 as not-found', async () => {
    vi.stubGlobal('fetch', async () => response([], { status: 404, statusText: 'Not Found' }));
    const e = await failure(downloadBytes(URL_));
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e.code).toBe('not-found');
  });

  it('codes another refusal as server, with its status', async () => {
    for (const status of [401, 503]) {
      vi.stubGlobal('fetch', async () => response([], { status, statusText: 'Nope' }));
      const e = await failure(downloadBytes(URL_));
      expect(e).not.toBeInstanceOf(NotFoundError);
      expect(e).toMatchObject({ code: 'server', status, message: `the server answered ${status} Nope for ${URL_}` });
    }
  });

  it('codes fewer bytes than announced as truncated, and a broken stream as network', async () => {
    vi.stubGlobal('fetch', async () => response([Uint8Array.of(1, 2)], { headers: { 'content-length': '5' } }));
    const short = await failure(downloadBytes(URL_));
    expect(short).toMatchObject({ code: 'truncated', message: `download of ${URL_} is truncated: 2 of 5 bytes` });
    vi.stubGlobal('fetch', async () => response([Uint8Array.of(1)], {}, new Error('connection reset')));
    const broken = await failure(downloadBytes(URL_));
    expect(broken).toMatchObject({ code: 'network', message: `download of ${URL_} broke off after 1 bytes: connection reset` });
  });

  it('takes Content-Length as a hint only when the body is encoded (a gzip mirror)', async () => {
    // fetch hands over the decoded body: more bytes than the encoded length announced.
    vi.stubGlobal('fetch', async () => response([Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5)],
      { headers: { 'content-length': '3', 'content-encoding': 'gzip' } }));
    const seen: (number | null)[] = [];
    expect(Array.from(await downloadBytes(URL_, (_l, t) => seen.push(t)))).toEqual([1, 2, 3, 4, 5]);
    expect(seen.at(-1)).toBeNull();
    // A cross-origin page may not see Content-Encoding at all: more bytes than announced is still no error.
    vi.stubGlobal('fetch', async () => response([Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5)], { headers: { 'content-length': '3' } }));
    expect(Array.from(await downloadBytes(URL_))).toEqual([1, 2, 3, 4, 5]);
    // Fewer decoded bytes than the encoded length is normal too.
    vi.stubGlobal('fetch', async () => response([Uint8Array.of(1)], { headers: { 'content-length': '9', 'content-encoding': 'br' } }));
    expect(Array.from(await downloadBytes(URL_))).toEqual([1]);
  });

  it('refuses a body over the size limit, announced or not, before holding it', async () => {
    let pulled = 0;
    const endless = () => new Response(new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(new Uint8Array(400));
      },
    }));
    vi.stubGlobal('fetch', async () => endless());
    const e = await failure(downloadBytes(URL_));
    expect(e).toMatchObject({ code: 'unsupported' });
    expect(e.message).toMatch(/over the 1\.0 kB limit/);
    expect(pulled).toBeLessThan(10);
    // Content-Length: 8e9 over the limit is refused at once; under it, it is never allocated up front.
    pulled = 0;
    vi.stubGlobal('fetch', async () => new Response(new ReadableStream<Uint8Array>({ pull(c) { pulled++; c.enqueue(new Uint8Array(1)); } }),
      { headers: { 'content-length': '8000000000' } }));
    const big = await failure(downloadBytes(URL_));
    expect(big).toMatchObject({ code: 'unsupported' });
    expect(big.message).toMatch(/8\.0 GB or more, over the 1\.0 kB limit/);
    expect(pulled).toBeLessThan(3);
    vi.stubGlobal('fetch', async () => response([Uint8Array.of(1, 2, 3)], { headers: { 'content-length': '8000000000' } }));
    expect(await failure(downloadBytes(URL_, undefined, undefined, 2 ** 33)))
      .toMatchObject({ code: 'truncated', message: `download of ${URL_} is truncated: 3 of 8000000000 bytes` });
  });

  it('prints a hostile URL or status text on one line', async () => {
    vi.stubGlobal('fetch', async () => response([], { status: 500, statusText: 'Oops' }));
    const e = await failure(downloadBytes('https://x.example/a\nb\u001b[31m'));
    expect(e.message.includes('\n') || e.message.includes('\u001b')).toBe(false);
    expect(e.message).toContain('a\\nb\\x1b[31m');
  });

  it('codes an aborted download as cancelled', async () => {
    const ctrl = new AbortController();
    vi.stubGlobal('fetch', async () => {
      ctrl.abort();
      throw new DOMException('aborted', 'AbortError');
    });
    const e = await failure(downloadBytes(URL_, undefined, ctrl.signal));
    expect(e).toMatchObject({ code: 'cancelled', message: 'cancelled' });
  });
});

describe('fetchHubFiles', () => {
  it('codes a repository without weights as not-a-checkpoint, and passes other failures on', async () => {
    const missing = (file: string) => Promise.reject(new NotFoundError(file));
    const e = await failure(fetchHubFiles(missing));
    expect(e).toMatchObject({ code: 'not-a-checkpoint', message: 'the repository has neither model.safetensors nor pytorch_model.bin' });
    const refused = () => Promise.reject(new LoadError('the server answered 403 Forbidden for x', 'server', 403));
    expect(await failure(fetchHubFiles(refused))).toMatchObject({ code: 'server', status: 403 });
  });
});
