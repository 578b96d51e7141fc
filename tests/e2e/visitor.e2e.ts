// A visitor's first minutes, each test in a context of its own: the first visit opens with a sample,
// a shared link reproduces a painted view in a fresh browser, Remove all asks and can be undone,
// a bad seed is said to be bad, and a sample clicked twice is added once.
import { describe, expect, it } from 'vitest';
import { useSite } from './browser';
import { Playground, READY_MS } from './pages/playground';

/** Patches per side of the bundled model (224 px, 16 px patches). */
const GRID = 14;

const site = useSite();


const open = (query: string) => Playground.open(site.browser, site.url, query);

/** Clicks the sample button whose title starts with `title`. */
async function addSample(pg: Playground, title: RegExp): Promise<void> {
  await pg.page.getByRole('button', { name: title }).first().click();
}

describe('a visitor’s first minutes', () => {
  it('a first visit opens with one sample, reconstructed', async () => {
    // No img= in the link and nothing saved: the page opens with the README's sample.
    const pg = await Playground.open(site.browser, site.url, 'backend=wasm', { bare: true });
    try {
      await pg.waitForResult();
      expect(await pg.rowCount()).toBe(1);
      expect(await pg.page.locator('[data-testid="image-row"] .row-name').textContent()).toBe('canyon.jpg');
      expect(pg.page.url()).toMatch(/img=canyon\.jpg/);
    } finally {
      await pg.close();
    }
  });

  it('a link reproduces a painted view in a fresh browser', async () => {
    const pg = await open('backend=wasm&pattern=painted&ratio=50&seed=7');
    let link: string;
    let masked: { data: number[] };
    try {
      await addSample(pg, /canyon/i);
      await pg.waitForResult();
      // Hide one more patch by hand: the first visible one found.
      const before = await pg.countMaskedPatches(GRID);
      const { width, data } = await pg.panelPixels('panel-masked');
      const p = width / GRID;
      const px = (k: number) => ((Math.floor(k / GRID) * p + p / 2) * width + (k % GRID) * p + p / 2) * 4;
      const target = [...Array(GRID * GRID).keys()].find((k) => data[px(k)] !== 124 || data[px(k) + 1] !== 116)!;
      const paintBefore = new URL(pg.page.url()).searchParams.get('paint');
      await pg.clickPatch(target, GRID);
      await pg.page.waitForFunction((b) => Number(document.querySelector('[data-testid="image-row"]')?.getAttribute('data-masked')) === b + 1, before, { timeout: READY_MS });
      // The URL is written a moment later (browsers throttle replaceState).
      await pg.page.waitForURL((u) => !!u.searchParams.get('paint') && u.searchParams.get('paint') !== paintBefore, { timeout: READY_MS });
      link = pg.page.url();
      masked = await pg.panelPixels('panel-masked');
    } finally {
      await pg.close();
    }
    const fresh = await site.browser.newContext();
    try {
      const page = await fresh.newPage();
      await page.goto(link);
      await page.waitForSelector('[data-testid="image-row"] canvas[data-testid="panel-masked"][data-drawn="true"]', { timeout: READY_MS });
      const shown = await page.evaluate(() => {
        const c = document.querySelector('[data-testid="image-row"] canvas[data-testid="panel-masked"]') as HTMLCanvasElement;
        return Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data);
      });
      expect(shown).toEqual(masked.data);
      expect(await page.inputValue('[data-testid="mask-pattern"]')).toBe('painted');
    } finally {
      await fresh.close();
    }
  });

  it('Remove all asks first, and Undo brings the pictures back', async () => {
    const pg = await open('backend=wasm');
    try {
      await addSample(pg, /canyon/i);
      await addSample(pg, /cat/i);
      await pg.waitForReadyRows(2);
      await pg.page.click('[data-testid="clear-all"]');
      expect(await pg.rowCount()).toBe(2);
      await pg.page.click('[data-testid="clear-all-cancel"]');
      expect(await pg.rowCount()).toBe(2);
      await pg.page.click('[data-testid="clear-all"]');
      await pg.page.click('[data-testid="clear-all-confirm"]');
      expect(await pg.rowCount()).toBe(0);
      await pg.page.click('[data-testid="undo-remove"]');
      await pg.waitForReadyRows(2);
      await pg.waitForResult();
      // Undone for good: they survive a reload too (once written back).
      await pg.waitForStoredPictures(2);
      await pg.reload();
      await pg.waitForReadyRows(2);
    } finally {
      await pg.close();
    }
  });

  it('a seed that is not one is said to be wrong, and the running seed stays', async () => {
    const pg = await open('backend=wasm&seed=3');
    try {
      const seed = pg.page.locator('[data-testid="seed-input"]');
      for (const bad of ['-5', '3.7', '99999999999']) {
        await seed.fill(bad);
        expect(await pg.page.textContent('[data-testid="seed-error"]')).toMatch(/whole number|largest seed/);
        expect(pg.page.url()).toMatch(/seed=3(&|$)/);
      }
      await seed.blur();
      expect(await seed.inputValue()).toBe('3');
      expect(await pg.page.textContent('[data-testid="seed-error"]')).toMatch(/seed 3 is still in use/);
      await seed.fill('42');
      expect(await pg.page.locator('[data-testid="seed-error"]').count()).toBe(0);
      await pg.page.waitForURL(/seed=42/);
    } finally {
      await pg.close();
    }
  });

  it('a sample clicked twice is added once', async () => {
    const pg = await open('backend=wasm');
    try {
      await addSample(pg, /canyon/i);
      await pg.waitForReadyRows(1);
      await addSample(pg, /canyon/i);
      await pg.page.waitForTimeout(300);
      expect(await pg.rowCount()).toBe(1);
    } finally {
      await pg.close();
    }
  });
});
