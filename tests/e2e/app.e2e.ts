// The playground as a visitor uses it, against the built site (vite preview) in Debian's Chromium.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import { ROOT, useSite } from './browser';
import { MEAN_GREY_RGB } from '../../src/shared/panels';
import { expectedMasked, Playground, READY_MS } from './pages/playground';

const SAMPLE = path.join(ROOT, 'public', 'samples', 'canyon.jpg');
const SAMPLE2 = path.join(ROOT, 'public', 'samples', 'chelsea-cat.jpg');
/** Patches of the models under test: 224 px images, 16 px patches. */
const L = 196;
/** Patches per side. */
const GRID = 14;
/** Largest per-channel difference (8-bit levels) allowed between a backend's reconstruction and the CPU backend's. */
const BACKEND_PIXEL_TOL = 2;

const site = useSite();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'mae-e2e-'));


const open = (query: string) => Playground.open(site.browser, site.url, query);
const expected = (pct: number) => expectedMasked(L, pct);

describe('playground (wasm)', () => {
  it('shows the backend in use and an honest checkpoint label', async () => {
    const pg = await open('backend=wasm');
    try {
      expect(await pg.statusBackend()).toMatch(/WebAssembly|wasm/i);
      expect(await pg.statusCheckpoint()).toMatch(/mae-small|random weights/i);
    } finally {
      await pg.close();
    }
  });

  it('runs the threaded WASM build from the minified bundle: every pthread worker loads the module', async () => {
    const pg = await open('backend=wasm');
    try {
      expect(await pg.page.evaluate(() => crossOriginIsolated)).toBe(true);
      // tfjs-backend-wasm starts its pthreads from blob: URLs, each with a stringified copy of its factory.
      const threads = () => pg.page.workers().filter((w) => w.url().startsWith('blob:'));
      await expect.poll(() => threads().length, { timeout: READY_MS }).toBeGreaterThan(0);
      for (const w of threads()) {
        await expect.poll(() => w.evaluate(() => typeof (self as unknown as { Module?: { _pthread_self?: unknown } }).Module?._pthread_self), { timeout: READY_MS }).toBe('function');
      }
      // The fast path's own kernels instantiate in the threaded build's shared memory.
      await expect.poll(() => pg.wasmKernelsActive(), { timeout: READY_MS }).toBe(true);
      expect(pg.errors).toEqual([]);
    } finally {
      await pg.close();
    }
  });

  it('a dropped-in picture gets four rendered panels, with the masked patch count of the ratio', async () => {
    const pg = await open('backend=wasm&ratio=75');
    try {
      await pg.addPictures(SAMPLE);
      await pg.waitForResult(75);
      for (const id of ['panel-original', 'panel-masked', 'panel-reconstruction', 'panel-pasted']) {
        expect(await pg.page.locator(`[data-testid="image-row"] canvas[data-testid="${id}"][data-drawn="true"]`).count()).toBe(1);
      }
      expect(await pg.countMaskedPatches(GRID)).toBe(expected(75));
      expect(await pg.page.textContent('[data-testid="image-row"] [data-testid="metric-psnr"]')).toMatch(/\d+(\.\d+)? ?dB/);
    } finally {
      await pg.close();
    }
  });

  it('moving the slider quickly across many values ends on panels that match the final ratio', async () => {
    const pg = await open('backend=wasm&ratio=75');
    try {
      await pg.addPictures(SAMPLE);
      await pg.waitForResult(75);
      await pg.nudgeSlider(-25); // 75 -> 50, no waiting
      await pg.nudgeSlider(10); // -> 60
      expect(await pg.slider().inputValue()).toBe('60');
      // The masked panel follows the slider at once, before the model answers.
      await pg.page.waitForSelector('[data-testid="image-row"] figure[data-mask-ratio="60"] canvas[data-testid="panel-masked"]', { timeout: READY_MS });
      await pg.waitForResult(60);
      expect(await pg.countMaskedPatches(GRID)).toBe(expected(60));
      expect(pg.page.url()).toMatch(/ratio=60/);
    } finally {
      await pg.close();
    }
  });

  it('a step onto a ratio computed ahead shows its reconstruction at once, with no wait for the model', async () => {
    const pg = await open('backend=wasm&ratio=75');
    try {
      await pg.addPictures(SAMPLE);
      await pg.waitForResult(75);
      // While idle the worker reconstructs the neighbouring ratios, the slider's last direction (down) first.
      await expect.poll(() => pg.lookaheadCount(), { timeout: READY_MS }).toBeGreaterThanOrEqual(2);
      // One step down, and by the second frame after it (the page redraws on the next frame; the model
      // alone takes several here) the row shows 74's reconstruction, never having waited for the worker.
      const shown = await pg.page.evaluate(async () => {
        const row = document.querySelector('[data-testid="image-row"]')!;
        let waited = false;
        new MutationObserver(() => { waited ||= row.getAttribute('data-pending') === 'true'; })
          .observe(row, { attributes: true, attributeFilter: ['data-pending'] });
        const slider = document.querySelector('[data-testid="mask-ratio"]') as HTMLInputElement;
        Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(slider, '74');
        slider.dispatchEvent(new Event('input', { bubbles: true }));
        const frame = () => new Promise((r) => requestAnimationFrame(r));
        await frame();
        await frame();
        return { ratio: row.getAttribute('data-result-ratio'), pending: row.getAttribute('data-pending'), waited };
      });
      expect(shown).toEqual({ ratio: '74', pending: 'false', waited: false });
      await pg.waitForResult(74);
      expect(await pg.countMaskedPatches(GRID)).toBe(expected(74));
      // Turned off, a step waits for the model again.
      await pg.page.getByTestId('lookahead-toggle').uncheck();
      await pg.nudgeSlider(-5);
      await pg.waitForResult(69);
      expect(pg.page.url()).toMatch(/ahead=0/);
    } finally {
      await pg.close();
    }
  });

  it('painting a patch on the masked panel hides it, live', async () => {
    const pg = await open('backend=wasm&ratio=75&pattern=painted');
    try {
      await pg.addPictures(SAMPLE);
      await pg.waitForResult();
      const before = await pg.countMaskedPatches(GRID);
      // Find a visible patch and click its centre.
      const { width, data } = await pg.panelPixels('panel-masked');
      const p = width / GRID;
      let target = -1;
      for (let k = 0; k < L && target < 0; k++) {
        const i = ((Math.floor(k / GRID) * p + p / 2) * width + (k % GRID) * p + p / 2) * 4;
        if (MEAN_GREY_RGB.some((v, ch) => data[i + ch] !== v)) target = k;
      }
      expect(target).toBeGreaterThanOrEqual(0);
      await pg.clickPatch(target, GRID);
      await pg.page.waitForFunction((b) => {
        const row = document.querySelector('[data-testid="image-row"]');
        return row?.getAttribute('data-pending') !== 'true' && row?.querySelector('[data-testid="metric-masked"]')?.textContent?.includes(String(b + 1));
      }, before, { timeout: READY_MS });
      expect(await pg.countMaskedPatches(GRID)).toBe(before + 1);
    } finally {
      await pg.close();
    }
  });

  it('a reload brings the pictures and settings back', async () => {
    const pg = await open('backend=wasm&pattern=painted');
    try {
      await pg.addPictures(SAMPLE, SAMPLE2);
      // A picture is kept once it has decoded (broken files are never stored); the write itself is queued.
      await pg.waitForReadyRows(2);
      await pg.waitForStoredPictures(2);
      await pg.reload();
      await pg.waitForReadyRows(2);
      expect(await pg.pattern()).toBe('painted');
    } finally {
      await pg.close();
    }
  });

  it('a file that is not an image gets a clear message and the rest keep working', async () => {
    const pg = await open('backend=wasm');
    try {
      await pg.addPictures(SAMPLE);
      await pg.waitForResult();
      const bad = path.join(tmp, 'notes.png');
      writeFileSync(bad, 'this is not a picture');
      await pg.addPictures(bad);
      const msg = await pg.page.waitForSelector('[data-testid="image-error-message"]', { timeout: READY_MS });
      expect(await msg.textContent()).toMatch(/not|corrupt|decode|image/i);
      expect(await pg.rowCount()).toBe(1);
      expect(await pg.page.locator('[data-testid="image-row"] canvas[data-testid="panel-pasted"][data-drawn="true"]').count()).toBe(1);
    } finally {
      await pg.close();
    }
  });
});

describe('every backend in Chromium (GPU ones on SwiftShader, small model) matches the CPU backend', () => {
  async function reconstructionOn(backend: string): Promise<{ backend: string; pixels: number[] }> {
    const pg = await open(`backend=${backend}&ckpt=random&ratio=75&seed=5&pattern=random`);
    try {
      await pg.addPictures(SAMPLE);
      await pg.waitForResult(75);
      return { backend: (await pg.statusBackend()) ?? '', pixels: (await pg.panelPixels('panel-reconstruction')).data };
    } finally {
      await pg.close();
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
