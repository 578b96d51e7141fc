// The views of issue 11 against the built site on wasm with the bundled model: with every view off
// the worker inspects nothing while the slider moves; "What it looks at" draws an attention overlay
// that a clicked patch, the layer, the head and the stack change; "Features" draws PCA colours and,
// on a click, a similarity map; closing the view stops the inspections again.
import { describe, expect, it } from 'vitest';
import { useSite } from './browser';
import { Playground, READY_MS } from './pages/playground';

/** Patches per side of the bundled model (224 px, 16 px patches). */
const GRID = 14;
/** The bundled model's encoder depth, encoder heads and decoder depth (public/checkpoints/mae-small/config.json). */
const DEPTH = 6;
const DECODER_DEPTH = 2;
/** The masked panel's grey (the reference demo's mean colour), red and green in 8-bit levels. */
const GREY_R = 124;
const GREY_G = 116;
/** Slider steps moved while the views are off (each asks for a reconstruction). */
const SLIDER_STEPS = 3;

const site = useSite();

async function openWithSample(): Promise<Playground> {
  const pg = await Playground.open(site.browser, site.url, 'backend=wasm');
  await pg.page.getByRole('button', { name: /canyon/i }).first().click();
  await pg.waitForResult();
  return pg;
}

/** Patches hidden in row 0's masked panel, by its grey. */
async function maskedPatches(pg: Playground): Promise<number[]> {
  const { width, data } = await pg.panelPixels('panel-masked');
  const p = width / GRID;
  const px = (k: number) => ((Math.floor(k / GRID) * p + p / 2) * width + (k % GRID) * p + p / 2) * 4;
  return [...Array(GRID * GRID).keys()].filter((k) => data[px(k)] === GREY_R && data[px(k) + 1] === GREY_G);
}

describe('views', () => {
  it('inspect nothing while off; the attention overlay follows a clicked patch, the layer, the head and the stack', async () => {
    const pg = await openWithSample();
    try {
      await pg.nudgeSlider(-SLIDER_STEPS);
      await pg.waitForResult();
      expect(await pg.inspectCount()).toBe(0);

      await pg.toggleView('attention');
      const cls = await pg.attentionOverlay({ stack: 'encoder', layer: String(DEPTH - 1), head: 'mean', query: 'cls' });
      expect(Number(cls.argmax)).toBeGreaterThanOrEqual(0);
      const hidden = await maskedPatches(pg);
      expect(hidden).not.toContain(Number(cls.argmax)); // the encoder only sees visible patches

      // Look from the patch cls attends to most: another row of the maps.
      await pg.clickViewPatch('view-attention-panel', Number(cls.argmax), GRID);
      const fromPatch = await pg.attentionOverlay({ query: cls.argmax }, cls.checksum);
      expect(fromPatch.checksum).not.toBe(cls.checksum);
      // A hidden patch has no encoder token: the query stays.
      await pg.clickViewPatch('view-attention-panel', hidden[0], GRID);
      await pg.page.getByText(/is hidden: the encoder never sees it/).waitFor({ timeout: READY_MS });
      expect((await pg.attentionOverlay()).query).toBe(cls.argmax);

      await pg.selectInView('view-layer', '0');
      const first = await pg.attentionOverlay({ layer: '0', query: cls.argmax }, fromPatch.checksum);
      await pg.selectInView('view-head', '0');
      const head0 = await pg.attentionOverlay({ layer: '0', head: '0' }, first.checksum);
      await pg.selectInView('view-layer', 'rollout');
      const rollout = await pg.attentionOverlay({ layer: 'rollout', head: '0' }, head0.checksum);
      expect(new Set([cls.checksum, fromPatch.checksum, first.checksum, head0.checksum, rollout.checksum]).size).toBe(5);

      // The decoder starts from the first hidden patch; another hidden patch draws from other places.
      await pg.selectInView('view-stack', 'decoder');
      const dec = await pg.attentionOverlay({ stack: 'decoder', layer: String(DECODER_DEPTH - 1), head: 'mean', query: String(hidden[0]) });
      const other = hidden[hidden.length - 1];
      await pg.clickViewPatch('view-attention-panel', other, GRID);
      const decOther = await pg.attentionOverlay({ stack: 'decoder', query: String(other) }, dec.checksum);
      expect(decOther.checksum).not.toBe(dec.checksum);

      // The slider moves the overlay along (a new mask, a new inspection).
      const before = (await pg.inspectCount())!;
      expect(before).toBeGreaterThan(0);
      await pg.nudgeSlider(SLIDER_STEPS);
      await pg.waitForResult();
      // Once the mask has rested, the new mask's maps replace the old.
      await pg.attentionOverlay({ stack: 'decoder', query: String(other) }, decOther.checksum);
      expect((await pg.inspectCount())!).toBeGreaterThan(before);

      // Closed again: the slider asks for no inspection.
      await pg.toggleView('attention');
      expect(await pg.page.locator('[data-testid="attention-view"]').count()).toBe(0);
      const closed = (await pg.inspectCount())!;
      await pg.nudgeSlider(-SLIDER_STEPS);
      await pg.waitForResult();
      expect(await pg.inspectCount()).toBe(closed);
      expect(pg.errors).toEqual([]);
    } finally {
      await pg.close();
    }
  });

  it('features: PCA colours of the visible patches and of the whole picture; a clicked patch shows its similarity', async () => {
    const pg = await openWithSample();
    try {
      await pg.toggleView('features');
      for (const id of ['features-visible', 'features-whole']) {
        await pg.page.waitForSelector(`[data-testid="image-row"] canvas[data-testid="${id}"][data-drawn="true"]`, { timeout: READY_MS });
      }
      const { data } = await pg.panelPixels('features-whole');
      // One pixel a patch, every one coloured (opaque) in the whole picture's PCA.
      expect(data.length).toBe(GRID * GRID * 4);
      expect(data.filter((_, i) => i % 4 === 3).every((a) => a === 255)).toBe(true);
      const visible = await pg.panelPixels('features-visible');
      const hidden = await maskedPatches(pg);
      expect(hidden.every((k) => visible.data[k * 4 + 3] === 0)).toBe(true);

      await pg.clickViewPatch('features-whole', 0, GRID);
      const a = await pg.similarityOverlay(0);
      await pg.clickViewPatch('features-whole', GRID * GRID - 1, GRID);
      const b = await pg.similarityOverlay(GRID * GRID - 1);
      expect(a).not.toBe(b);
      expect(pg.errors).toEqual([]);
    } finally {
      await pg.close();
    }
  });

  it('explains the idea: a line under each panel and the figures, and a collapsed figure linking the paper', async () => {
    const pg = await openWithSample();
    try {
      const row = pg.page.locator('[data-testid="image-row"]').first();
      expect(await row.locator('[data-testid="panel-hint"]').count()).toBe(4);
      expect(await row.locator('[data-testid="metrics-hint"]').textContent()).toMatch(/hidden patches/);
      const how = pg.page.locator('[data-testid="how-mae-works"]');
      expect(await how.getAttribute('open')).toBeNull();
      await how.locator('summary').click();
      expect(await pg.page.locator('[data-testid="paper-link"]').getAttribute('href')).toBe('https://arxiv.org/abs/2111.06377');
      expect(await how.locator('svg').isVisible()).toBe(true);
    } finally {
      await pg.close();
    }
  });
});
