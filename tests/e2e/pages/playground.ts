// Page object of the playground: what a visitor does (open the page, add pictures, move the slider,
// paint, pick checkpoints) and what they see (panels, figures, status), for the browser tests.
// Each test opens its own browser context through it, so tests never depend on one another's order.
import type { Browser, BrowserContext, Download, Page } from 'playwright-core';
import { countGreyPatches } from '../../../src/shared/panels';

/** How long a page may take to reach "ready" or draw a result, in ms (SwiftShader is slow). */
export const READY_MS = 120_000;
/** How long a fine-tuning run of a browser test may take, in ms (wasm on a shared CPU). */
export const TRAIN_MS = 600_000;
/** The viewport of a desktop visitor, in CSS px. */
export const DESKTOP = { width: 1300, height: 900 } as const;

/** The reference's masked-patch count at a ratio: L - int(L * (1 - ratio)). */
export const expectedMasked = (numPatches: number, pct: number): number => numPatches - Math.trunc(numPatches * (1 - pct / 100));

export class Playground {
  /** Uncaught errors of the page (its workers' too). */
  readonly errors: string[] = [];

  private constructor(readonly page: Page, readonly ctx: BrowserContext, private readonly ownsContext: boolean) {}

  /** Opens the page with a query string in a fresh context (or `ctx`) and waits until the model is ready. */
  static async open(browser: Browser, baseUrl: string, query: string,
    o: { ctx?: BrowserContext; viewport?: { width: number; height: number }; bare?: boolean } = {}): Promise<Playground> {
    const ctx = o.ctx ?? await browser.newContext({ viewport: o.viewport ?? DESKTOP });
    const page = await ctx.newPage();
    const pg = new Playground(page, ctx, !o.ctx);
    page.on('pageerror', (e) => {
      pg.errors.push(e.message);
      console.error('pageerror:', e.message);
    });
    // A link that names no pictures (`img=`) opens with none: a first visit would otherwise add a sample.
    // `bare`: the query as given (a first visit).
    await page.goto(`${baseUrl}?${o.bare || /(^|&)img=/.test(query) ? query : `${query}&img=`}`);
    await pg.waitReady();
    return pg;
  }

  /** Closes the page (and its context when this object made it). */
  async close(): Promise<void> {
    if (this.ownsContext) await this.ctx.close();
    else await this.page.close();
  }

  async waitReady(): Promise<void> {
    await this.page.waitForSelector('[data-testid="status-phase"][data-phase="ready"]', { timeout: READY_MS });
  }

  async reload(): Promise<void> {
    await this.page.reload();
    await this.waitReady();
  }

  /** Adds pictures through the file input. */
  async addPictures(...files: string[]): Promise<void> {
    await this.page.setInputFiles('[data-testid="image-input"]', files);
  }

  /**
   * Waits until `n` pictures are stored in this browser (IndexedDB `mae-playground`, store `session`:
   * the `imageKeys` list and each `image:<key>` record). A row is ready before its picture is
   * written (writes are queued), so a reload right after it could come too early.
   */
  async waitForStoredPictures(n: number): Promise<void> {
    await this.page.waitForFunction(async (k) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const req = indexedDB.open('mae-playground');
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      try {
        if (!db.objectStoreNames.contains('session')) return false;
        const read = (key: string) => new Promise<unknown>((resolve, reject) => {
          const r = db.transaction('session').objectStore('session').get(key);
          r.onsuccess = () => resolve(r.result);
          r.onerror = () => reject(r.error);
        });
        const keys = await read('imageKeys');
        if (!Array.isArray(keys) || keys.length !== k) return false;
        return (await Promise.all(keys.map((key) => read(`image:${key}`)))).every(Boolean);
      } finally {
        db.close();
      }
    }, n, { timeout: READY_MS, polling: 100 });
  }

  /** Waits until `n` rows have decoded. */
  async waitForReadyRows(n: number): Promise<void> {
    try {
      await this.page.waitForFunction((k) => document.querySelectorAll('[data-testid="image-row"][data-status="ready"]').length === k, n, { timeout: READY_MS });
    } catch (e) {
      // Say what the page shows instead: the rows' states and the messages on screen.
      const seen = await this.page.evaluate(() => ({
        rows: [...document.querySelectorAll('[data-testid="image-row"]')].map((r) => r.getAttribute('data-status')),
        text: (document.querySelector('[role="alert"], [data-testid="toast"]')?.textContent ?? '').slice(0, 300),
        phase: document.querySelector('[data-testid="status-phase"]')?.getAttribute('data-phase'),
      })).catch(() => null);
      throw new Error(`${(e as Error).message}\nwaiting for ${n} ready rows; the page shows ${JSON.stringify(seen)}`);
    }
  }

  rowCount(): Promise<number> {
    return this.page.locator('[data-testid="image-row"]').count();
  }

  /**
   * Waits until row `row` shows a finished result (for the given ratio in percent, when given),
   * looking at it as a visitor would: rows out of view are not reconstructed, so it is scrolled to.
   */
  async waitForResult(ratioPct?: number, row = 0): Promise<void> {
    await this.page.locator('[data-testid="image-row"]').nth(row).scrollIntoViewIfNeeded({ timeout: READY_MS });
    await this.page.waitForFunction(([r, i]) => {
      const el = document.querySelectorAll('[data-testid="image-row"]')[i as number];
      if (!el || el.getAttribute('data-pending') === 'true') return false;
      if (!el.querySelector('canvas[data-testid="panel-pasted"][data-drawn="true"]')) return false;
      return r === null || el.getAttribute('data-result-ratio') === String(r);
    }, [ratioPct ?? null, row] as const, { timeout: READY_MS });
  }

  /** Pixels of a panel canvas in row `row` (`panel-masked`, `compare-panel-reconstruction`, ...). */
  panelPixels(testId: string, row = 0): Promise<{ width: number; data: number[] }> {
    return this.page.evaluate(([id, r]) => {
      const rows = document.querySelectorAll('[data-testid="image-row"]');
      const c = rows[r as number].querySelector(`canvas[data-testid="${id}"]`) as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
      return { width: c.width, data: Array.from(d.data) };
    }, [testId, row] as const);
  }

  /** Masked patches drawn in the masked panel: patches whose every pixel is the reference demo's mean grey. */
  async countMaskedPatches(grid: number, row = 0): Promise<number> {
    const { width, data } = await this.panelPixels('panel-masked', row);
    return countGreyPatches(Uint8ClampedArray.from(data), width, width / grid);
  }

  /** Turns the live camera on and waits until it runs. */
  async cameraOn(): Promise<void> {
    await this.page.click('[data-testid="camera-toggle"]');
    await this.page.waitForSelector('[data-testid="camera"][data-phase="live"]', { timeout: READY_MS });
  }

  async cameraOff(): Promise<void> {
    await this.page.click('[data-testid="camera-toggle"]');
  }

  async cameraPause(): Promise<void> {
    await this.page.click('[data-testid="camera-pause"]');
  }

  async cameraSnapshot(): Promise<void> {
    await this.page.click('[data-testid="camera-snapshot"]');
  }

  /** Waits until the frames-per-second readout is above zero, and returns the value seen then. */
  async waitForCameraFps(): Promise<number> {
    const handle = await this.page.waitForFunction(() => {
      const v = Number(document.querySelector('[data-testid="camera-fps"]')?.getAttribute('data-fps'));
      return v > 0 ? v : false;
    }, undefined, { timeout: READY_MS });
    return Number(await handle.jsonValue());
  }

  /** Frames reconstructed so far, whether a reconstruction is drawn, and the masked frame's grid. */
  cameraState(): Promise<{ frames: number; reconstructionDrawn: boolean; gridRows: number; gridCols: number }> {
    return this.page.evaluate(() => {
      const masked = document.querySelector('[data-testid="camera-masked"]')!;
      return {
        frames: Number(document.querySelector('[data-testid="camera-fps"]')?.getAttribute('data-frames') ?? 0),
        reconstructionDrawn: document.querySelector('[data-testid="camera-reconstruction"]')?.getAttribute('data-drawn') === 'true',
        gridRows: Number(masked.getAttribute('data-grid-rows')), gridCols: Number(masked.getAttribute('data-grid-cols')),
      };
    });
  }

  /** Chooses the model input: the checkpoint's size ('native') or twice it ('double'). */
  async setInputScale(scale: 'native' | 'double'): Promise<void> {
    await this.page.selectOption('[data-testid="input-scale"]', scale);
  }

  /** Chooses how pictures are fitted. */
  async setFit(mode: 'crop' | 'squash' | 'whole'): Promise<void> {
    await this.page.selectOption('[data-testid="resize-mode"]', mode);
  }

  /** The patch grid row `row`'s masked panel is cut into (its data attributes) and its canvases' pixel sizes. */
  panelGrid(row = 0): Promise<{ rows: number; cols: number; masked: [number, number]; reconstruction: [number, number] }> {
    return this.page.evaluate((r) => {
      const el = document.querySelectorAll('[data-testid="image-row"]')[r];
      const fig = el.querySelector('canvas[data-testid="panel-masked"]')!.closest('figure')!;
      const size = (id: string): [number, number] => {
        const c = el.querySelector(`canvas[data-testid="${id}"]`) as HTMLCanvasElement;
        return [c.width, c.height];
      };
      return {
        rows: Number(fig.getAttribute('data-grid-rows')), cols: Number(fig.getAttribute('data-grid-cols')),
        masked: size('panel-masked'), reconstruction: size('panel-reconstruction'),
      };
    }, row);
  }

  /** Waits until row `row` has a drawn reconstruction `width` x `height` px and is not pending. */
  async waitForResultSize(width: number, height: number, row = 0): Promise<void> {
    await this.page.waitForFunction(([w, h, i]) => {
      const el = document.querySelectorAll('[data-testid="image-row"]')[i];
      if (!el || el.getAttribute('data-pending') === 'true') return false;
      const c = el.querySelector('canvas[data-testid="panel-pasted"][data-drawn="true"]') as HTMLCanvasElement | null;
      return !!c && c.width === w && c.height === h;
    }, [width, height, row] as const, { timeout: READY_MS });
  }

  slider() {
    return this.page.getByLabel('Mask ratio');
  }

  /** Presses arrow keys on the focused slider without waiting in between. */
  async nudgeSlider(steps: number): Promise<void> {
    await this.slider().focus();
    const key = steps < 0 ? 'ArrowLeft' : 'ArrowRight';
    for (let i = 0; i < Math.abs(steps); i++) await this.page.keyboard.press(key);
  }

  async setPattern(pattern: 'random' | 'block' | 'grid' | 'painted'): Promise<void> {
    await this.page.selectOption('[data-testid="mask-pattern"]', pattern);
  }

  pattern(): Promise<string> {
    return this.page.inputValue('[data-testid="mask-pattern"]');
  }

  /** Clicks the centre of patch `index` of row `row`'s masked panel. */
  async clickPatch(index: number, grid: number, row = 0): Promise<void> {
    const canvas = this.page.locator('[data-testid="image-row"] canvas[data-testid="panel-masked"]').nth(row);
    const box = (await canvas.boundingBox())!;
    const cell = box.width / grid;
    await this.page.mouse.click(box.x + ((index % grid) + 0.5) * cell, box.y + (Math.floor(index / grid) + 0.5) * cell);
  }

  /** The row's "masked patches" figure text. */
  maskedFigure(row = 0): Promise<string | null> {
    return this.page.locator('[data-testid="image-row"] [data-testid="metric-masked"]').nth(row).textContent();
  }

  statusBackend(): Promise<string | null> {
    return this.page.textContent('[data-testid="status-backend"]');
  }

  statusCheckpoint(): Promise<string | null> {
    return this.page.textContent('[data-testid="status-checkpoint"]');
  }

  /** Waits until the status bar names a checkpoint matching `re`. */
  async waitForCheckpoint(re: RegExp): Promise<void> {
    await this.page.waitForFunction((src) => new RegExp(src).test(document.querySelector('[data-testid="status-checkpoint"]')?.textContent ?? ''),
      re.source, { timeout: READY_MS });
  }

  async openPicker(): Promise<void> {
    if (await this.page.getAttribute('[data-testid="checkpoint-picker"]', 'data-open') !== 'true') await this.page.click('[data-testid="picker-toggle"]');
  }

  /** Loads `org/name[@rev]` from the hub form. */
  async loadFromHub(ref: string): Promise<void> {
    await this.openPicker();
    await this.page.fill('[data-testid="hub-repo-input"]', ref);
    await this.page.click('[data-testid="hub-load"]');
  }

  /** Loads a checkpoint file from disk through the picker. */
  async loadCheckpointFile(file: string): Promise<void> {
    await this.openPicker();
    await this.page.setInputFiles('[data-testid="checkpoint-file-input"]', file);
  }

  /** The text of the checkpoint error banner, once one shows. */
  async checkpointError(): Promise<string | null> {
    await this.page.waitForSelector('[data-testid="checkpoint-error"]', { timeout: READY_MS });
    return this.page.textContent('[data-testid="checkpoint-error"]');
  }

  /** Sets the fine-tuning run's steps and batch size. */
  async setTraining(o: { steps: number; batchSize: number }): Promise<void> {
    await this.page.fill('[data-testid="finetune-steps"]', String(o.steps));
    await this.page.fill('[data-testid="finetune-batch"]', String(o.batchSize));
  }

  async startTraining(): Promise<void> {
    await this.page.click('[data-testid="finetune-start"]');
  }

  /** The run as the status line says it: phase, steps done, the first and the latest loss (NaN when none). */
  async trainingStatus(): Promise<{ phase: string; step: number; firstLoss: number; loss: number; message: string | null }> {
    const el = this.page.locator('[data-testid="finetune-status"]');
    const attr = async (name: string) => (await el.getAttribute(name)) ?? '';
    const num = (v: string) => (v === '' ? NaN : Number(v));
    const message = await this.page.locator('[data-testid="finetune-message"]').textContent().catch(() => null);
    return { phase: await attr('data-phase'), step: num(await attr('data-step')), firstLoss: num(await attr('data-first-loss')), loss: num(await attr('data-loss')), message };
  }

  /** Waits until the run has ended (done, or an error). */
  async waitTrainingEnded(): Promise<void> {
    await this.page.waitForSelector('[data-testid="finetune-status"]:is([data-phase="done"], [data-phase="error"])', { timeout: TRAIN_MS });
  }

  /** Presses Save and returns the download (a zip of config.json and model.safetensors). */
  async saveTraining(): Promise<Download> {
    const [download] = await Promise.all([this.page.waitForEvent('download', { timeout: READY_MS }), this.page.click('[data-testid="finetune-save"]')]);
    return download;
  }

  /** Loads the first fine-tuned checkpoint kept in this browser from the picker. */
  async loadSavedCheckpoint(): Promise<void> {
    await this.openPicker();
    await this.page.waitForSelector('[data-testid="saved-entry"]', { timeout: READY_MS });
    await this.page.locator('[data-testid="saved-entry"] [data-testid="saved-load"]').first().click();
  }

  /** The index of the row showing the picture named `name`, once it is there. */
  async rowOf(name: string): Promise<number> {
    const handle = await this.page.waitForFunction((n) => {
      const names = [...document.querySelectorAll('[data-testid="image-row"] .row-name')].map((e) => e.textContent);
      const i = names.indexOf(n);
      return i >= 0 ? i : false;
    }, name, { timeout: READY_MS });
    return (await handle.jsonValue()) as number;
  }

  /** The RGBA pixels of a row's reconstruction panel. */
  async reconstructionPixels(row = 0): Promise<number[]> {
    return (await this.panelPixels('panel-reconstruction', row)).data;
  }

  /** Opens (or closes, when open) a row's view: 'attention' ("What it looks at") or 'features'. */
  async toggleView(kind: 'attention' | 'features', row = 0): Promise<void> {
    await this.page.locator(`[data-testid="image-row"] [data-testid="view-${kind}-toggle"]`).nth(row).click();
  }

  /**
   * Waits for row `row`'s attention overlay whose test hooks (stack, layer, head, query, argmax,
   * checksum) match `want` and differ from `not`'s checksum, and returns them.
   */
  async attentionOverlay(want: Partial<Record<'stack' | 'layer' | 'head' | 'query', string>> = {}, notChecksum?: string, row = 0):
    Promise<Record<'stack' | 'layer' | 'head' | 'query' | 'argmax' | 'checksum', string>> {
    const handle = await this.page.waitForFunction(([w, not, r]) => {
      const view = document.querySelectorAll('[data-testid="image-row"]')[r as number]?.querySelector('[data-testid="attention-view"]');
      const c = view?.querySelector('canvas[data-testid="attention-overlay"][data-drawn="true"]');
      if (!c) return null;
      const got = Object.fromEntries(['stack', 'layer', 'head', 'query', 'argmax', 'checksum'].map((k) => [k, c.getAttribute(`data-${k}`) ?? '']));
      const ok = Object.entries(w as Record<string, string>).every(([k, v]) => got[k] === v) && got.checksum !== not;
      return ok ? got : null;
    }, [want, notChecksum ?? null, row] as const, { timeout: READY_MS });
    return (await handle.jsonValue()) as Record<'stack' | 'layer' | 'head' | 'query' | 'argmax' | 'checksum', string>;
  }

  /** Picks an option of a view selector (`view-stack`, `view-layer`, `view-head`) in row `row`. */
  async selectInView(testId: 'view-stack' | 'view-layer' | 'view-head', value: string, row = 0): Promise<void> {
    await this.page.locator('[data-testid="image-row"]').nth(row).locator(`[data-testid="${testId}"]`).selectOption(value);
  }

  /** Clicks the centre of patch `index` of a view panel (`view-attention-panel`, `features-visible`, `features-whole`). */
  async clickViewPatch(testId: string, index: number, grid: number, row = 0): Promise<void> {
    const canvas = this.page.locator('[data-testid="image-row"]').nth(row).locator(`canvas[data-testid="${testId}"]`);
    // Views sit below the panels: the mouse clicks in the viewport only.
    await canvas.scrollIntoViewIfNeeded();
    const box = (await canvas.boundingBox())!;
    const cell = box.width / grid;
    await this.page.mouse.click(box.x + ((index % grid) + 0.5) * cell, box.y + (Math.floor(index / grid) + 0.5) * cell);
  }

  /** Waits for row `row`'s similarity overlay of patch `patch` and returns its checksum. */
  async similarityOverlay(patch: number, row = 0): Promise<string> {
    const handle = await this.page.waitForFunction(([p, r]) => {
      const c = document.querySelectorAll('[data-testid="image-row"]')[r as number]
        ?.querySelector(`canvas[data-testid="similarity-overlay"][data-patch="${p}"][data-drawn="true"]`);
      return c ? c.getAttribute('data-checksum') : null;
    }, [patch, row] as const, { timeout: READY_MS });
    return (await handle.jsonValue()) as string;
  }

  /** Inspect requests the model worker has answered (its `inspectCount` debug hook); null when no worker has one. */
  inspectCount(): Promise<number | null> {
    return this.workerHook<number>('inspectCount');
  }

  /** Lookahead reconstructions the model worker has answered (its `lookaheadCount` debug hook); null when no worker has one. */
  lookaheadCount(): Promise<number | null> {
    return this.workerHook<number>('lookaheadCount');
  }

  /** Whether the model worker runs the wasm fast path's own kernels (its `wasmKernelsActive` hook); null when no worker has one. */
  wasmKernelsActive(): Promise<boolean | null> {
    return this.workerHook<boolean>('wasmKernelsActive');
  }

  /** What a debug hook of the model worker (a function on its `self`) returns; null when no worker has it. */
  private async workerHook<T extends number | boolean>(hook: 'inspectCount' | 'lookaheadCount' | 'wasmKernelsActive'): Promise<T | null> {
    // The model worker: not the decoder's, not a wasm thread (blob:).
    for (const w of this.page.workers()) {
      if (w.url().startsWith('blob:') || /decode/.test(w.url())) continue;
      const n = await w.evaluate((name) => {
        const f = (self as unknown as Record<string, unknown>)[name];
        return typeof f === 'function' ? (f as () => number | boolean)() : null;
      }, hook);
      if (n !== null) return n as T;
    }
    return null;
  }
}
