// Hub downloads against a scripted fetch: each way a download fails carries its own code.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { downloadBytes, fetchHubCheckpoint, NotFoundError } from '../../../src/checkpoints/hub';
import { CheckpointError } from '../../../src/checkpoints/types';

const URL_ = 'https://hub.example/org/name/resolve/main/model.safetensors';

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

async function failure(p: Promise<unknown>): Promise<CheckpointError> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(CheckpointError);
  return e as CheckpointError;
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

describe('fetchHubCheckpoint', () => {
  it('codes a repository without weights as not-a-checkpoint, and passes other failures on', async () => {
    const missing = (file: string) => Promise.reject(new NotFoundError(file));
    const e = await failure(fetchHubCheckpoint(missing));
    expect(e).toMatchObject({ code: 'not-a-checkpoint', message: 'the repository has neither model.safetensors nor pytorch_model.bin' });
    const refused = () => Promise.reject(new CheckpointError('the server answered 403 Forbidden for x', 'server', 403));
    expect(await failure(fetchHubCheckpoint(refused))).toMatchObject({ code: 'server', status: 403 });
  });
});
