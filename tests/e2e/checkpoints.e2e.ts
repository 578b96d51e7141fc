// Official-checkpoint flows against a local server in the hub's URL layout, holding the golden
// case's files: download with progress, Cache Storage on reload, cancel, truncated file, server error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { launchBrowser, startPreview, ROOT } from './browser';
import { startHubServer } from '../helpers/hub-server';
import { Playground, READY_MS } from './pages/playground';
import { cliReconstruction, maxPixelDiff, PAGE_VS_CLI_PIXEL_TOL } from './cli';

const GOLDEN = path.join(ROOT, 'tests', 'fixtures', 'golden', 'tiny-p16');
/** Bytes a chunk of the slow repository waits for, in ms: long enough to see progress and cancel. */
const SLOW_CHUNK_MS = 400;

const files = {
  safetensors: new Uint8Array(readFileSync(path.join(GOLDEN, 'hf', 'model.safetensors'))),
  config: new Uint8Array(readFileSync(path.join(GOLDEN, 'hf', 'config.json'))),
  pth: new Uint8Array(readFileSync(path.join(GOLDEN, 'checkpoint.pth'))),
};
const repo = (name: string, rev = 'main') => `/test-org/${name}/resolve/${rev}/`;

let browser: Browser;
let site: Awaited<ReturnType<typeof startPreview>>;
let hub: Awaited<ReturnType<typeof startHubServer>>;
let slowHub: Awaited<ReturnType<typeof startHubServer>>;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'mae-ckpt-e2e-'));
const IMAGE = path.join(tmp, 'square.png');

beforeAll(async () => {
  // A 224x224 picture: no resizing on either side, so the page and the command line see the same pixels.
  const png = new PNG({ width: 224, height: 224 });
  for (let i = 0; i < 224 * 224; i++) {
    const x = i % 224, y = Math.floor(i / 224);
    png.data.set([(x * 255) / 223, (y * 255) / 223, ((x ^ y) & 255), 255], i * 4);
  }
  writeFileSync(IMAGE, PNG.sync.write(png));
  hub = await startHubServer(new Map([
    [repo('tiny-mae') + 'config.json', files.config],
    [repo('tiny-mae') + 'model.safetensors', files.safetensors],
    [repo('tiny-pth', 'v1') + 'config.json', files.config],
    [repo('tiny-pth', 'v1') + 'pytorch_model.bin', files.pth],
    [repo('cut') + 'config.json', files.config],
    [repo('cut') + 'model.safetensors', files.safetensors],
    [repo('broken') + 'config.json', files.config],
    // A file that was cut short where it is stored: the download succeeds, the reader refuses it.
    [repo('short') + 'config.json', files.config],
    [repo('short') + 'model.safetensors', files.safetensors.subarray(0, 500_000)],
  ]), {
    truncateAt: new Map([[repo('cut') + 'model.safetensors', 100_000]]),
    failWith: new Map([[repo('broken') + 'model.safetensors', 500]]),
  });
  slowHub = await startHubServer(new Map([
    [repo('slow') + 'config.json', files.config],
    [repo('slow') + 'model.safetensors', files.safetensors],
  ]), { chunkDelayMs: SLOW_CHUNK_MS });
  site = await startPreview();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
  await hub?.close();
  await slowHub?.close();
});

/** The page in a context of its own, with the local hub (`hubUrl`) as its hub address. */
const openWith = (hubUrl: string, query = 'backend=wasm&ckpt=random') => Playground.open(browser, site.url, `${query}&hf=${encodeURIComponent(hubUrl)}`);

describe('hub checkpoints in the page', () => {
  // The Cache Storage test reloads within one context; the others open their own.

  it('downloads a repository, reconstructs like the command line, and loads it from the cache after a reload', async () => {
    const pg = await openWith(hub.url);
    const page = pg.page;
    await pg.loadFromHub('test-org/tiny-mae');
    await pg.waitForCheckpoint(/tiny-mae/);
    await page.waitForURL(/ckpt=hf(%3A|:)test-org(%2F|\/)tiny-mae/);
    expect(hub.requests).toContain(repo('tiny-mae') + 'model.safetensors');

    await pg.addPictures(IMAGE);
    await pg.waitForResult();
    const shown = await page.evaluate(() => {
      const c = document.querySelector('[data-testid="image-row"] canvas[data-testid="panel-reconstruction"]') as HTMLCanvasElement;
      return Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data);
    });
    const seed = new URL(page.url()).searchParams.get('seed') ?? '0';
    const ratio = Number(new URL(page.url()).searchParams.get('ratio') ?? '75') / 100;
    const cli = cliReconstruction({ checkpoint: path.join(GOLDEN, 'hf'), image: IMAGE, seed, ratio, outDir: path.join(tmp, 'cli') });
    expect(maxPixelDiff(cli, shown)).toBeLessThanOrEqual(PAGE_VS_CLI_PIXEL_TOL);

    const before = hub.requests.length;
    await pg.reload();
    await pg.waitForCheckpoint(/tiny-mae/);
    expect(hub.requests.slice(before).filter((r) => r.endsWith('model.safetensors'))).toEqual([]);
    await pg.openPicker();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="cache-list"]')?.getAttribute('data-count')) >= 1);
    expect(await page.locator('[data-testid="cache-entry"]').count()).toBeGreaterThanOrEqual(1);
    await pg.close();
  });

  it('falls back to pytorch_model.bin at a revision', async () => {
    const pg = await openWith(hub.url);
    await pg.loadFromHub('test-org/tiny-pth@v1');
    await pg.waitForCheckpoint(/tiny-pth/);
    expect(hub.requests).toContain(repo('tiny-pth', 'v1') + 'pytorch_model.bin');
    await pg.close();
  });

  it('shows progress while downloading, and cancel keeps the previous checkpoint', async () => {
    const pg = await openWith(slowHub.url);
    const page = pg.page;
    const previous = await pg.statusCheckpoint();
    await pg.loadFromHub('test-org/slow');
    await page.waitForSelector('[data-testid="load-progress"]', { timeout: READY_MS });
    // config.json comes first; then the weights, byte by byte with the size the server announced.
    await page.waitForFunction((size) => {
      const bar = document.querySelector('[data-testid="load-progress"]');
      return Number(bar?.getAttribute('data-total')) === size && Number(bar?.getAttribute('data-loaded')) > 0;
    }, files.safetensors.length, { timeout: READY_MS });
    await page.click('[data-testid="cancel-load"]');
    expect((await pg.checkpointError())?.toLowerCase()).toMatch(/cancel/);
    expect(await pg.statusCheckpoint()).toBe(previous);
    await pg.close();
  });

  it('a truncated file and a server error say what happened, offer a retry, and keep the previous checkpoint', async () => {
    const pg = await openWith(hub.url);
    const page = pg.page;
    const previous = await pg.statusCheckpoint();
    await pg.loadFromHub('test-org/short');
    expect(await pg.checkpointError()).toMatch(/truncated/i);
    // A connection cut mid-file is a network failure to the browser.
    await pg.loadFromHub('test-org/cut');
    await page.waitForFunction(() => /network error|broke off|truncated/i.test(document.querySelector('[data-testid="checkpoint-error"]')?.textContent ?? '')
      && /cut/.test(document.querySelector('[data-testid="checkpoint-error"]')?.textContent ?? ''), null, { timeout: READY_MS });
    await pg.loadFromHub('test-org/broken');
    await page.waitForFunction(() => /500/.test(document.querySelector('[data-testid="checkpoint-error"]')?.textContent ?? ''), null, { timeout: READY_MS });
    expect(await page.locator('[data-testid="retry-load"]').count()).toBe(1);
    expect(await pg.statusCheckpoint()).toBe(previous);
    await pg.close();
  });

  it('a dropped-in .pth loads, and compare shows B under the same mask with its own figures', async () => {
    const pg = await Playground.open(browser, site.url, 'backend=wasm&ckpt=random', { viewport: { width: 1300, height: 1400 } });
    const page = pg.page;
    const pth = path.join(tmp, 'mae_tiny.pth');
    writeFileSync(pth, files.pth);
    await pg.loadCheckpointFile(pth);
    await pg.waitForCheckpoint(/mae_tiny\.pth/);
    await pg.addPictures(IMAGE);
    await page.waitForSelector('[data-testid="image-row"] canvas[data-testid="panel-reconstruction"][data-drawn="true"]', { timeout: READY_MS });
    await page.selectOption('[data-testid="compare-select"]', 'random');
    await page.waitForSelector('[data-testid="compare-row"] canvas[data-testid="compare-panel-reconstruction"][data-drawn="true"]', { timeout: READY_MS });
    const masks = await page.evaluate(() => ['panel-masked', 'compare-panel-masked'].map((id) => {
      const c = document.querySelector(`canvas[data-testid="${id}"]`) as HTMLCanvasElement;
      return Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data);
    }));
    // Same picture, same mask: the two masked panels are identical.
    expect(masks[0]).toEqual(masks[1]);
    const recon = await page.evaluate(() => ['panel-reconstruction', 'compare-panel-reconstruction'].map((id) => {
      const c = document.querySelector(`canvas[data-testid="${id}"]`) as HTMLCanvasElement;
      return Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data);
    }));
    expect(recon[0]).not.toEqual(recon[1]);
    await pg.close();
  });
});
