// Browser test plumbing: Debian's Chromium through playwright-core, and Vite servers.
import { afterAll, beforeAll } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { createServer, preview, type ViteDevServer, type PreviewServer } from 'vite';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Chromium the project tests with (Debian's package). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Flags that work in this sandbox: WebGPU on SwiftShader, no background network. */
export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-sandbox',
];
/** Repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The flags without WebGPU: a browser with no WebGPU adapter at all. */
export const CHROMIUM_ARGS_NO_WEBGPU = CHROMIUM_ARGS.filter((a) => a !== '--enable-unsafe-webgpu' && a !== '--enable-features=Vulkan');

/** Launches headless Chromium (with `args`, CHROMIUM_ARGS by default). */
export async function launchBrowser(args: readonly string[] = CHROMIUM_ARGS): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, args: [...args], headless: true });
}

/** A Vite dev server on a free loopback port, serving the repository root. */
export async function startDevServer(): Promise<{ url: string; close: () => Promise<void>; server: ViteDevServer }> {
  const server = await createServer({ root: ROOT, configFile: path.join(ROOT, 'vite.config.ts'), logLevel: 'error', server: { host: '127.0.0.1', port: 0 } });
  await server.listen();
  const addr = server.httpServer!.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close(), server };
}

/** `vite preview` of the built site (dist/) on a free loopback port. */
export async function startPreview(): Promise<{ url: string; close: () => Promise<void>; server: PreviewServer }> {
  const server = await preview({ root: ROOT, configFile: path.join(ROOT, 'vite.config.ts'), logLevel: 'error', preview: { host: '127.0.0.1', port: 0 } });
  const addr = server.httpServer.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise<void>((r) => server.httpServer.close(() => r())), server };
}

/** Chromium's fake camera (a test pattern) with its permission prompt answered yes. */
export const FAKE_CAMERA_ARGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] as const;

/**
 * The built site and a browser for one test file: started before its tests, closed after them.
 * `extraArgs`: Chromium flags added to CHROMIUM_ARGS (e.g. FAKE_CAMERA_ARGS).
 */
export function useSite(o: { extraArgs?: readonly string[] } = {}): { readonly browser: Browser; readonly url: string } {
  const site = {} as { browser: Browser; url: string };
  let server: Awaited<ReturnType<typeof startPreview>> | null = null;
  beforeAll(async () => {
    server = await startPreview();
    site.url = server.url;
    site.browser = await launchBrowser([...CHROMIUM_ARGS, ...(o.extraArgs ?? [])]);
  });
  afterAll(async () => {
    await site.browser?.close();
    await server?.close();
  });
  return site;
}
