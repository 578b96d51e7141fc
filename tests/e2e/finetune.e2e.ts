// Fine-tuning in the page: two pictures (one held out), a short run whose loss falls, the result saved
// (downloaded, and kept in the browser), loaded from the picker in a new page and after a reload, and
// the downloaded files reproducing the page's reconstruction in the command line.
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { PNG } from 'pngjs';
import { ROOT, useSite } from './browser';
import { cliReconstruction, maxPixelDiff, PAGE_VS_CLI_PIXEL_TOL } from './cli';
import { DESKTOP, Playground, TRAIN_MS } from './pages/playground';

/** Steps of the run: enough for the loss to fall on one picture, few enough for wasm in a test. */
const STEPS = 20;
/** Images per step: small, so a step stays quick on a shared CPU. */
const BATCH = 2;
/** Arrow presses on the ratio slider during training (1 % each). */
const SLIDER_NUDGE = 5;
/** Model input size of the bundled checkpoint, in px. */
const SIZE = 224;

const site = useSite();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'mae-finetune-e2e-'));
const SAMPLES = path.join(ROOT, 'public', 'samples');

/** A SIZE x SIZE picture: no resizing on either side, so the page and the command line see the same pixels. */
function squarePng(file: string): string {
  const png = new PNG({ width: SIZE, height: SIZE });
  for (let i = 0; i < SIZE * SIZE; i++) {
    const x = i % SIZE, y = Math.floor(i / SIZE);
    png.data.set([(x * 255) / (SIZE - 1), (y * 255) / (SIZE - 1), (x ^ y) & 255, 255], i * 4);
  }
  writeFileSync(file, PNG.sync.write(png));
  return file;
}

describe('fine-tuning in the browser', () => {
  it('trains on two pictures, the loss falls, and the saved checkpoint loads in a new page and in the command line', async () => {
    // One browser profile for both pages: the kept checkpoint lives in its IndexedDB.
    const ctx = await site.browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
    const pg = await Playground.open(site.browser, site.url, 'backend=wasm&seed=3&ratio=75', { ctx });
    try {
      await pg.addPictures(path.join(SAMPLES, 'house-cat.jpg'), path.join(SAMPLES, 'chelsea-cat.jpg'));
      await pg.waitForReadyRows(2);
      await pg.setTraining({ steps: STEPS, batchSize: BATCH });
      const t0 = Date.now();
      await pg.startTraining();
      // The slider keeps working while training: a new ratio is drawn between two steps.
      await pg.page.waitForSelector('[data-testid="finetune-status"][data-phase="running"]:not([data-step="0"])', { timeout: TRAIN_MS });
      const s0 = Date.now();
      await pg.nudgeSlider(-SLIDER_NUDGE);
      await pg.waitForResult(75 - SLIDER_NUDGE);
      const sliderMs = Date.now() - s0;
      expect((await pg.trainingStatus()).phase).toMatch(/running|done/);
      await pg.waitTrainingEnded();
      const wallS = (Date.now() - t0) / 1000;
      const st = await pg.trainingStatus();
      const rate = await pg.page.textContent('[data-testid="finetune-rate"]');
      const views = await pg.page.locator('[data-testid="finetune"] .ft-view figcaption').allTextContents();
      console.log(`slider during training: a new ratio drawn after ${sliderMs} ms`);
      console.log(`fine-tuning: ${STEPS} steps of batch ${BATCH} on wasm in ${wallS.toFixed(1)} s; page says ${rate}; `
        + `training-picture loss ${st.firstLoss} -> ${st.loss}; ${await pg.page.textContent('[data-testid="finetune-status"]')}; views: ${views.join(' | ')}`);
      expect(st.phase, st.message ?? '').toBe('done');
      expect(st.step).toBe(STEPS);
      expect(st.loss).toBeLessThan(st.firstLoss);
      expect(Number(await pg.page.getAttribute('[data-testid="finetune-curve"]', 'data-points'))).toBe(STEPS);
      // Before and after, on the training picture and the held-out one.
      for (const id of ['finetune-before-train', 'finetune-after-train', 'finetune-before-holdout', 'finetune-after-holdout']) {
        expect(await pg.page.getAttribute(`[data-testid="${id}"]`, 'data-drawn'), id).toBe('true');
      }

      const download = await pg.saveTraining();
      const zip = path.join(tmp, 'finetuned.zip');
      await download.saveAs(zip);
      const files = unzipSync(new Uint8Array(readFileSync(zip)));
      expect(Object.keys(files).sort()).toEqual(['config.json', 'model.safetensors']);
      const dir = path.join(tmp, 'finetuned');
      mkdirSync(dir, { recursive: true });
      for (const [name, bytes] of Object.entries(files)) writeFileSync(path.join(dir, name), bytes);
    } finally {
      await pg.close();
    }

    // A new page in the same browser profile: the kept checkpoint is in the picker, and survives a reload.
    const again = await Playground.open(site.browser, site.url, 'backend=wasm&seed=3&ratio=75', { ctx });
    try {
      await again.loadSavedCheckpoint();
      await again.waitForCheckpoint(/fine-tuned/);
      await again.page.waitForURL(/ckpt=saved(%3A|:)/);
      await again.reload();
      await again.waitForCheckpoint(/fine-tuned/);

      const image = squarePng(path.join(tmp, 'square.png'));
      await again.addPictures(image);
      // The first page's pictures are kept in this profile too: find the new one's row.
      const row = await again.rowOf('square.png');
      await again.waitForResult(75, row);
      const shown = await again.reconstructionPixels(row);
      const cli = cliReconstruction({ checkpoint: path.join(tmp, 'finetuned'), image, seed: '3', ratio: 0.75, outDir: path.join(tmp, 'cli') });
      expect(maxPixelDiff(cli, shown)).toBeLessThanOrEqual(PAGE_VS_CLI_PIXEL_TOL);
    } finally {
      await again.close();
      await ctx.close();
    }
  }, TRAIN_MS * 2);
});
