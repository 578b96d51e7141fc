// A local HTTP server in the hub's URL layout, `/{org}/{name}/resolve/{revision}/{file}`, with
// Content-Length, range requests and CORS, serving files from memory. Loopback only.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Files by URL path, e.g. '/test/tiny/resolve/main/model.safetensors'. */
export type HubFiles = Map<string, Uint8Array>;

/** Options to exercise failures. */
export interface HubServerOptions {
  /** Paths answered with this HTTP status instead. */
  failWith?: Map<string, number>;
  /** Paths whose body is cut short after this many bytes (Content-Length still says the full size). */
  truncateAt?: Map<string, number>;
  /** Delay per 64 KiB chunk, in ms, so progress and cancellation can be watched. */
  chunkDelayMs?: number;
}

/** Starts the server on 127.0.0.1 and a free port. */
export async function startHubServer(files: HubFiles, opts: HubServerOptions = {}): Promise<{ url: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const CHUNK = 64 * 1024;
  const server = http.createServer(async (req, res) => {
    const p = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(p);
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Length, Content-Range, Accept-Ranges');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Headers', 'Range');
      res.writeHead(204).end();
      return;
    }
    const status = opts.failWith?.get(p);
    if (status) {
      res.writeHead(status).end('failure for testing');
      return;
    }
    const body = files.get(p);
    if (!body) {
      res.writeHead(404).end('Entry not found');
      return;
    }
    let start = 0;
    let end = body.length - 1;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), end) : end;
      res.statusCode = 206;
      res.setHeader('Content-Range', `bytes ${start}-${end}/${body.length}`);
    }
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Content-Length', String(end - start + 1));
    res.setHeader('Content-Type', 'application/octet-stream');
    const cut = opts.truncateAt?.get(p);
    const stop = cut !== undefined ? Math.min(end + 1, start + cut) : end + 1;
    for (let o = start; o < stop; o += CHUNK) {
      if (res.destroyed) return;
      res.write(body.subarray(o, Math.min(stop, o + CHUNK)));
      if (opts.chunkDelayMs) await new Promise((r) => setTimeout(r, opts.chunkDelayMs));
    }
    if (cut !== undefined) res.destroy();
    else res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
