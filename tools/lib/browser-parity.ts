// Golden parity in Chromium (webgpu, webgl): a Vite dev server serves tests/browser/parity.html,
// which runs the case on the chosen backend and reports back.
import path from 'node:path';
import { launchBrowser, startDevServer, ROOT } from '../../tests/e2e/browser';
import type { CaseReport, Layout } from './golden';

/** Longest a browser case may take, in ms (SwiftShader is slow). */
const BROWSER_CASE_TIMEOUT_MS = 300_000;

/** Runs a case folder (inside the repository) in Chromium on the given backend. */
export async function runBrowserCase(dir: string, layout: Layout, backend: 'webgpu' | 'webgl' | 'wasm' | 'cpu', tolerance?: number): Promise<CaseReport> {
  const rel = path.relative(ROOT, path.resolve(dir));
  if (rel.startsWith('..')) throw new Error(`browser parity needs the case folder inside the repository, got ${dir}`);
  const server = await startDevServer();
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const q = new URLSearchParams({ case: `/${rel.split(path.sep).join('/')}/`, layout, backend });
    if (tolerance !== undefined) q.set('tol', String(tolerance));
    await page.goto(`${server.url}tests/browser/parity.html?${q}`);
    await page.waitForFunction(() => (window as unknown as { __parity?: unknown }).__parity !== undefined, null, { timeout: BROWSER_CASE_TIMEOUT_MS });
    const r = await page.evaluate(() => (window as unknown as { __parity: CaseReport & { error?: string } }).__parity);
    if (r.error) throw new Error(r.error);
    return r;
  } finally {
    await browser.close();
    await server.close();
  }
}

/** The parity command's webgpu path. */
export function runWebgpuCase(dir: string, layout: Layout): Promise<CaseReport> {
  return runBrowserCase(dir, layout, 'webgpu');
}
