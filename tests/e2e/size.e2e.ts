// Other input sizes in the page: the bundled checkpoint (trained at 224 px, 16 px patches) run at
// 448 px on a 28 x 28 grid, and on the whole picture at its own aspect, with its position tables
// interpolated; the page says it was trained at 224 px.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import os from 'node:os';
import { mkdtempSync, readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { figureLayout } from '../../src/features/panels/compose';
import { ROOT, useSite } from './browser';
import { expectedMasked, Playground } from './pages/playground';

/** canyon.jpg is 480 x 360 px. */
const SAMPLE = path.join(ROOT, 'public', 'samples', 'canyon.jpg');
/** The bundled checkpoint's trained size and patch, in px. */
const TRAINED = 224;
const PATCH = 16;
/** Twice the trained size, in px, and its grid: 28 x 28 patches. */
const DOUBLE = 2 * TRAINED;
const DOUBLE_GRID = DOUBLE / PATCH;
/** canyon.jpg whole at a long side of 448 px: 28 x 21 patches (360 / 480 x 28 = 21). */
const WHOLE = { width: DOUBLE, height: 21 * PATCH } as const;

const site = useSite();

describe('input size (wasm)', () => {
  it('a 448 px reconstruction shows a 28x28 grid; the whole picture keeps its aspect; the page says the model was trained at 224 px', async () => {
    const pg = await Playground.open(site.browser, site.url, 'backend=wasm');
    try {
      await pg.addPictures(SAMPLE);
      await pg.waitForResultSize(TRAINED, TRAINED);
      expect(await pg.page.getAttribute('[data-testid="input-size-note"]', 'class')).not.toMatch(/hint-warn/);

      await pg.setInputScale('double');
      await pg.waitForResultSize(DOUBLE, DOUBLE);
      const g = await pg.panelGrid();
      expect(g).toEqual({ rows: DOUBLE_GRID, cols: DOUBLE_GRID, masked: [DOUBLE, DOUBLE], reconstruction: [DOUBLE, DOUBLE] });
      const L = DOUBLE_GRID * DOUBLE_GRID;
      expect(await pg.countMaskedPatches(DOUBLE_GRID)).toBe(expectedMasked(L, 75));
      expect(await pg.maskedFigure()).toBe(`${expectedMasked(L, 75)} / ${L}`);
      expect(await pg.page.textContent('[data-testid="input-size-note"]')).toMatch(/trained at 224 px/);
      expect(new URL(pg.page.url()).searchParams.get('input')).toBe('double');
      const psnr = await pg.page.locator('[data-testid="metric-psnr"]').first().textContent();
      expect(psnr).toMatch(/\d+(\.\d+)? dB/);

      await pg.setFit('whole');
      await pg.waitForResultSize(WHOLE.width, WHOLE.height);
      const w = await pg.panelGrid();
      expect(w).toEqual({ rows: WHOLE.height / PATCH, cols: WHOLE.width / PATCH, masked: [WHOLE.width, WHOLE.height], reconstruction: [WHOLE.width, WHOLE.height] });
      const wl = (WHOLE.height / PATCH) * (WHOLE.width / PATCH);
      expect(await pg.maskedFigure()).toBe(`${expectedMasked(wl, 75)} / ${wl}`);
      // The labelled PNG keeps the picture's aspect.
      const [download] = await Promise.all([pg.page.waitForEvent('download'), pg.page.click('[data-testid="download-button"]')]);
      const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'mae-size-')), 'figure.png');
      await download.saveAs(file);
      const png = PNG.sync.read(readFileSync(file));
      const layout = figureLayout(4, WHOLE.width, 4, WHOLE.height);
      expect([png.width, png.height]).toEqual([layout.width, layout.height]);
      expect(pg.errors).toEqual([]);
    } finally {
      await pg.close();
    }
  });
});
