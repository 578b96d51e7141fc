// The playground as a visitor uses it, against the built site (vite preview) in Debian's Chromium.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import path from 'node:path';
import { writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import { launchBrowser, startPreview, ROOT } from './browser';
import { countGreyPatches, MEAN_GREY_RGB } from '../../src/shared/panels';

const SAMPLE = path.join(ROOT, 'public', 'samples', 'canyon.jpg');
const SAMPLE2 = path.join(ROOT, 'public', 'samples', 'chelsea-cat.jpg');
/** Patches of the models under test: 224 px images, 16 px patches. */
const L = 196;
/** Patches per side. */
const GRID = 14;
/** Largest per-channel difference (8-bit levels) allowed between a backend's reconstruction and the CPU backend's. */
const BACKEND_PIXEL_TOL = 2;
/** How long a page may take to reach "ready" or draw a result, in ms (SwiftShader is slow). */
const READY_MS = 120_000;

let browser: Browser;
let server: Awaited<ReturnType<typeof startPreview>>;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'mae-e2e-'));

beforeAll(async () => {
  server = await startPreview();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Uncaught errors of every page opened, in its workers too. */
const pageErrors: string[] = [];

async function open(ctx: BrowserContext, query: string): Promise<Page> {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => {
    pageErrors.push(e.message);
    console.error('pageerror:', e.message);
  });
  await page.goto(`${server.url}?${query}`);
  await page.waitForSelector('[data-testid="status-phase"][data-phase="ready"]', { timeout: READY_MS });
  return page;
}

/** Waits until the row shows a finished result for the given ratio (percent). */
async function waitForResult(page: Page, ratioPct?: number): Promise<void> {
  await page.waitForFunction((r) => {
    const row = document.querySelector('[data-testid="image-row"]');
    if (!row || row.getAttribute('data-pending') === 'true') return false;
    if (!row.querySelector('canvas[data-testid="panel-pasted"][data-drawn="true"]')) return false;
    return r === null || row.getAttribute('data-result-ratio') === String(r);
  }, ratioPct ?? null, { timeout: READY_MS });
}

/** Pixels of a panel canvas in the first image row. */
function panelPixels(page: Page, testId: string, row = 0): Promise<{ width: number; data: number[] }> {
  return page.evaluate(([id, r]) => {
    const rows = document.querySelectorAll('[data-testid="image-row"]');
    const c = rows[r as number].querySelector(`canvas[data-testid="${id}"]`) as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
    return { width: c.width, data: Array.from(d.data) };
  }, [testId, row] as const);
}

/** Masked patches in the masked panel: patches whose every pixel is the reference demo's mean grey. */
async function countMaskedPatches(page: Page): Promise<number> {
  const { width, data } = await panelPixels(page, 'panel-masked');
  return countGreyPatches(Uint8ClampedArray.from(data), width, width / GRID);
}

const expectedMasked = (pct: number) => L - Math.trunc(L * (1 - pct / 100));

describe('playground (wasm)', () => {
  let ctx: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    ctx = await browser.newContext({ viewport: { width: 1300, height: 900 } });
    page = await open(ctx, 'backend=wasm');
  });
  afterAll(() => ctx.close());

  it('shows the backend in use and an honest checkpoint label', async () => {
    expect(await page.textContent('[data-testid="status-backend"]')).toMatch(/WebAssembly|wasm/i);
    const label = await page.textContent('[data-testid="status-checkpoint"]');
    expect(label).toMatch(/mae-small|random weights/i);
  });

  it('runs the threaded WASM build from the minified bundle: every pthread worker loads the module', async () => {
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    // tfjs-backend-wasm starts its pthreads from blob: URLs, each with a stringified copy of its factory.
    const threads = () => page.workers().filter((w) => w.url().startsWith('blob:'));
    await expect.poll(() => threads().length, { timeout: READY_MS }).toBeGreaterThan(0);
    for (const w of threads()) {
      await expect.poll(() => w.evaluate(() => typeof (self as unknown as { Module?: { _pthread_self?: unknown } }).Module?._pthread_self), { timeout: READY_MS }).toBe('function');
    }
    expect(pageErrors).toEqual([]);
  });

  it('a dropped-in picture gets four rendered panels, with the masked patch count of the ratio', async () => {
    await page.setInputFiles('[data-testid="image-input"]', SAMPLE);
    await waitForResult(page, 75);
    for (const id of ['panel-original', 'panel-masked', 'panel-reconstruction', 'panel-pasted']) {
      expect(await page.locator(`[data-testid="image-row"] canvas[data-testid="${id}"][data-drawn="true"]`).count()).toBe(1);
    }
    expect(await countMaskedPatches(page)).toBe(expectedMasked(75));
    const psnr = await page.textContent('[data-testid="image-row"] [data-testid="metric-psnr"]');
    expect(psnr).toMatch(/\d+(\.\d+)? ?dB/);
  });

  it('moving the slider quickly across many values ends on panels that match the final ratio', async () => {
    const slider = page.getByLabel('Mask ratio');
    await slider.focus();
    for (let i = 0; i < 25; i++) await page.keyboard.press('ArrowLeft'); // 75 -> 50, no waiting
    for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowRight'); // -> 60
    expect(await slider.inputValue()).toBe('60');
    await waitForResult(page, 60);
    expect(await countMaskedPatches(page)).toBe(expectedMasked(60));
    expect(page.url()).toMatch(/ratio=60/);
  });

  it('painting a patch on the masked panel hides it, live', async () => {
    await page.selectOption('[data-testid="mask-pattern"]', 'painted');
    await waitForResult(page);
    const before = await countMaskedPatches(page);
    // Find a visible patch and click its centre.
    const { width, data } = await panelPixels(page, 'panel-masked');
    const p = width / GRID;
    let target = -1;
    for (let k = 0; k < L && target < 0; k++) {
      const i = ((Math.floor(k / GRID) * p + p / 2) * width + (k % GRID) * p + p / 2) * 4;
      if (MEAN_GREY_RGB.some((v, ch) => data[i + ch] !== v)) target = k;
    }
    expect(target).toBeGreaterThanOrEqual(0);
    const box = (await page.locator('[data-testid="image-row"] canvas[data-testid="panel-masked"]').boundingBox())!;
    const scale = box.width / width;
    await page.mouse.click(box.x + ((target % GRID) * p + p / 2) * scale, box.y + (Math.floor(target / GRID) * p + p / 2) * scale);
    await page.waitForFunction((b) => {
      const row = document.querySelector('[data-testid="image-row"]');
      return row?.getAttribute('data-pending') !== 'true' && row?.querySelector('[data-testid="metric-masked"]')?.textContent?.includes(String(b + 1));
    }, before, { timeout: READY_MS });
    expect(await countMaskedPatches(page)).toBe(before + 1);
  });

  it('a reload brings the pictures and settings back', async () => {
    await page.setInputFiles('[data-testid="image-input"]', SAMPLE2);
    // A picture is kept once it has decoded (broken files are never stored).
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="image-row"][data-status="ready"]').length === 2, null, { timeout: READY_MS });
    await page.reload();
    await page.waitForSelector('[data-testid="status-phase"][data-phase="ready"]', { timeout: READY_MS });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="image-row"][data-status="ready"]').length === 2, null, { timeout: READY_MS });
    expect(await page.inputValue('[data-testid="mask-pattern"]')).toBe('painted');
  });

  it('a file that is not an image gets a clear message and the rest keep working', async () => {
    const bad = path.join(tmp, 'notes.png');
    writeFileSync(bad, 'this is not a picture');
    await page.setInputFiles('[data-testid="image-input"]', bad);
    const msg = await page.waitForSelector('[data-testid="image-error-message"]', { timeout: READY_MS });
    expect(await msg.textContent()).toMatch(/not|corrupt|decode|image/i);
    expect(await page.locator('[data-testid="image-row"]').count()).toBe(2);
  });
});

describe('every backend in Chromium (GPU ones on SwiftShader, small model) matches the CPU backend', () => {
  async function reconstructionOn(backend: string): Promise<{ backend: string; pixels: number[] }> {
    const ctx = await browser.newContext({ viewport: { width: 1300, height: 900 } });
    try {
      const page = await open(ctx, `backend=${backend}&ckpt=random&ratio=75&seed=5&pattern=random`);
      await page.setInputFiles('[data-testid="image-input"]', SAMPLE);
      await waitForResult(page, 75);
      const shown = (await page.textContent('[data-testid="status-backend"]')) ?? '';
      return { backend: shown, pixels: (await panelPixels(page, 'panel-reconstruction')).data };
    } finally {
      await ctx.close();
    }
  }

  it('webgpu, webgl and wasm reconstructions equal the cpu one within BACKEND_PIXEL_TOL', async () => {
    const ref = await reconstructionOn('cpu');
    expect(ref.backend.toLowerCase()).toMatch(/cpu/);
    const shownName = { webgpu: /webgpu/, webgl: /webgl/, wasm: /webassembly|wasm/ } as const;
    for (const b of ['webgpu', 'webgl', 'wasm'] as const) {
      const r = await reconstructionOn(b);
      expect(r.backend.toLowerCase()).toMatch(shownName[b]);
      let max = 0;
      for (let i = 0; i < ref.pixels.length; i++) max = Math.max(max, Math.abs(ref.pixels[i] - r.pixels[i]));
      expect(max, b).toBeLessThanOrEqual(BACKEND_PIXEL_TOL);
    }
  });
});
