// A visitor's first minutes (issue 13), against the built site in Debian's Chromium: a forced
// backend that cannot start, notices, the phone layout, the document reader, the panels' extras,
// the labelled PNG, the sweep chart, accessible names, and an axe-core check of the page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page, Response } from 'playwright-core';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { CHROMIUM_ARGS_NO_WEBGPU, launchBrowser, ROOT, useSite } from './browser';
import { figureLayout } from '../../src/features/panels/compose';
import { NOTICE_DISMISS_MS } from '../../src/app/Notices';
import { maskedPsnr, smoothInterpolate } from '../../src/shared/baseline';

/** How long a page may take to reach "ready" or draw a result, in ms (SwiftShader is slow). */
const READY_MS = 120_000;
/** Smallest tap target on a phone, CSS px (WCAG 2.5.5). */
const MIN_TAP_PX = 44;
/** Slack on a measured box, CSS px (sub-pixel layout). */
const BOX_SLACK_PX = 0.5;
/** Extra wait past a notice's own lifetime before it must be gone, in ms. */
const NOTICE_SLACK_MS = 3000;
/** Largest difference between the page's baseline PSNR and the same computation here, in dB. */
const BASELINE_PSNR_TOL_DB = 1e-6;
/** Patches of the bundled model: 224 px images, 16 px patches. */
const IMG = 224;

const site = useSite();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'mae-ux-'));
const axeSource = readFileSync(path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');


async function open(ctx: BrowserContext, query: string): Promise<Page> {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  await page.goto(`${site.url}?${query}&img=`);
  await page.waitForSelector('[data-testid="status-phase"][data-phase="ready"]', { timeout: READY_MS });
  return page;
}

async function addSample(page: Page): Promise<void> {
  await page.locator('[data-testid="sample-button"]').first().click();
  await page.waitForSelector('[data-testid="image-row"][data-pending="false"] canvas[data-testid="panel-pasted"][data-drawn="true"]', { timeout: READY_MS });
}

/**
 * axe-core's serious and critical findings on the page as it is: violations, and checks it could
 * not finish, except colour contrast where it cannot see the background (over pictures, or text
 * scrolled under a dialog's edge).
 */
async function axeFindings(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: axeSource });
  return page.evaluate(async () => {
    type Result = { id: string; impact: string | null; nodes: { target: string[] }[] };
    const axe = (window as unknown as { axe: { run(ctx: Document): Promise<{ violations: Result[]; incomplete: Result[] }> } }).axe;
    const r = await axe.run(document);
    return [...r.violations, ...r.incomplete.filter((v) => v.id !== 'color-contrast')]
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

describe('a forced backend that cannot start', () => {
  it('falls back to one that works, says so once, loads the checkpoint and never fetches an unhashed .wasm', async () => {
    // This browser has no WebGPU adapter at all.
    const bare = await launchBrowser(CHROMIUM_ARGS_NO_WEBGPU);
    try {
      const page = await bare.newPage();
      const wasm: Response[] = [];
      page.on('response', (r) => { if (r.url().endsWith('.wasm')) wasm.push(r); });
      await page.goto(`${site.url}?backend=webgpu&img=`);
      await page.waitForSelector('[data-testid="status-phase"][data-phase="ready"]', { timeout: READY_MS });
      const backend = await page.getAttribute('[data-testid="status-backend"]', 'data-backend');
      expect(backend).not.toBe('webgpu');
      expect(await page.getAttribute('[data-testid="status-checkpoint"]', 'data-kind')).toBe('url');
      const banner = page.locator('[data-testid="backend-fallback"]');
      expect(await banner.count()).toBe(1);
      expect(await banner.textContent()).toMatch(/WebGPU cannot run here \(no WebGPU adapter\).*runs on/);
      await addSample(page);
      expect(await page.locator('[data-testid="recon-error"]').count()).toBe(0);
      expect(await page.locator('[data-testid="notice"]').count()).toBe(0);
      // Every WASM binary fetched is a bundled, hashed one, served as WebAssembly.
      if (backend === 'wasm') expect(wasm.length).toBeGreaterThan(0);
      for (const r of wasm) {
        expect(r.url()).toMatch(/tfjs-backend-wasm[a-z-]*-[\w-]{8}\.wasm$/);
        expect(r.headers()['content-type']).toBe('application/wasm');
      }
      // The URL keeps the visitor's choice; the banner offers the automatic one.
      expect(page.url()).toMatch(/backend=webgpu/);
      await Promise.all([page.waitForURL((u) => !u.search.includes('backend=webgpu')), page.click('[data-testid="backend-auto"]')]);
    } finally {
      await bare.close();
    }
  });
});

describe('the page at 1280 x 900', () => {
  let ctx: BrowserContext;
  let page: Page;
  let infoSeen: Promise<number>;
  beforeAll(async () => {
    ctx = await site.browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await ctx.newPage();
    page.on('pageerror', (e) => console.error('pageerror:', e.message));
    // A link naming a file from disk: the page says so in an information notice while it starts.
    await page.goto(`${site.url}?backend=wasm&ckpt=file:mine.pth&img=`);
    infoSeen = page.locator('[data-testid="notice"][data-kind="info"]').waitFor({ timeout: READY_MS }).then(() => Date.now());
    await page.waitForSelector('[data-testid="status-phase"][data-phase="ready"]', { timeout: READY_MS });
  });
  afterAll(() => ctx.close());

  it('an information notice leaves by itself; an error stays until dismissed; neither covers the page', async () => {
    const shownAt = await infoSeen;
    const info = page.locator('[data-testid="notice"][data-kind="info"]');
    await info.waitFor({ state: 'detached', timeout: NOTICE_DISMISS_MS.info! + NOTICE_SLACK_MS });
    expect(Date.now() - shownAt).toBeGreaterThanOrEqual(NOTICE_DISMISS_MS.info! - NOTICE_SLACK_MS);

    const bogus = path.join(tmp, 'notes.txt');
    writeFileSync(bogus, 'not a checkpoint');
    await page.setInputFiles('[data-testid="checkpoint-file-input"]', bogus);
    const error = page.locator('[data-testid="notice"][data-kind="error"]');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/notes\.txt/);
    // In the page's flow: not fixed over the content, and above the checkpoint panel.
    expect(await page.locator('[data-testid="notices"]').evaluate((e) => getComputedStyle(e).position)).toBe('static');
    const notices = (await page.locator('[data-testid="notices"]').boundingBox())!;
    const picker = (await page.locator('[data-testid="checkpoint-picker"]').boundingBox())!;
    expect(notices.y + notices.height).toBeLessThanOrEqual(picker.y);
    // Longer than any notice that leaves by itself.
    await page.waitForTimeout(Math.max(NOTICE_DISMISS_MS.info!, NOTICE_DISMISS_MS.warning!) + NOTICE_SLACK_MS);
    expect(await error.count()).toBe(1);
    await page.click('[data-testid="notice-dismiss"]');
    expect(await page.locator('[data-testid="notice"]').count()).toBe(0);
  });

  it('a corrupt checkpoint is reported once, inline, not again as a notice', async () => {
    const bad = path.join(tmp, 'garbage.safetensors');
    writeFileSync(bad, Buffer.from('this is not a safetensors file at all'));
    await page.setInputFiles('[data-testid="checkpoint-file-input"]', bad);
    await page.waitForSelector('[data-testid="checkpoint-error"]');
    // Give a notice time to appear before checking there is none.
    await page.waitForTimeout(500);
    expect(await page.locator('[data-testid="notice"]').count()).toBe(0);
    await page.click('[data-testid="checkpoint-error"] button:has-text("Dismiss")');
  });

  it('accessible names are the visible labels', async () => {
    await page.click('[data-testid="picker-toggle"]');
    expect(await page.getByRole('button', { name: 'Download 448 MB', exact: true }).count()).toBe(1);
    expect(await page.getByRole('combobox', { name: 'Hidden patches', exact: true }).count()).toBe(1);
    expect(await page.getByRole('combobox', { name: 'Fit', exact: true }).count()).toBe(1);
    expect(await page.getByRole('combobox', { name: 'Mask pattern', exact: true }).count()).toBe(1);
    expect(await page.getByRole('slider', { name: 'Mask ratio', exact: true }).count()).toBe(1);
    expect(await page.getByRole('textbox', { name: 'Seed', exact: true }).count()).toBe(1);
  });

  it('hub Load with an empty field says what to type, and the placeholder fits its box', async () => {
    const input = page.locator('[data-testid="hub-repo-input"]');
    await input.fill('');
    await page.click('[data-testid="hub-load"]');
    expect(await page.textContent('[data-testid="hub-repo-hint"]')).toMatch(/Type a repository first: org\/name/);
    expect(await input.getAttribute('aria-invalid')).toBe('true');
    expect(await input.evaluate((e) => e === document.activeElement)).toBe(true);
    const fits = await input.evaluate((e: HTMLInputElement) => {
      const s = getComputedStyle(e);
      const ctx = document.createElement('canvas').getContext('2d')!;
      ctx.font = `${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
      const room = e.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
      return ctx.measureText(e.placeholder).width <= room;
    });
    expect(fits).toBe(true);
    await page.click('[data-testid="picker-toggle"]');
  });

  it('opens the model card and the credits as readable pages, without mojibake', async () => {
    await page.click('[data-testid="quality-note"] [data-testid="doc-link"]');
    const body = page.locator('[data-testid="doc-body"][data-state="ready"]');
    await body.waitFor();
    expect(await page.textContent('#doc-dialog-title')).toBe('MAE-small (MAE Playground)');
    const card = (await body.textContent())!;
    expect(card).toContain('224 × 224');
    expect(card).not.toMatch(/Ã|Â/);
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="doc-body"] img')].every((i) => (i as HTMLImageElement).naturalWidth > 0));
    expect(await body.locator('img').count()).toBe(2);
    await page.click('[data-testid="doc-close"]');
    expect(await page.locator('[data-testid="doc-dialog"][open]').count()).toBe(0);

    await page.click('[data-testid="credits"] [data-testid="doc-link"]');
    await body.waitFor();
    expect(await page.textContent('#doc-dialog-title')).toBe('Sample photo credits');
    const credits = (await body.textContent())!;
    expect(credits).toContain('© 2011');
    expect(credits).not.toMatch(/Ã|Â/);
    expect(await body.locator('tbody tr').count()).toBe(6);
    expect(await axeFindings(page)).toEqual([]);
    await page.keyboard.press('Escape');
    expect(await page.locator('[data-testid="doc-dialog"][open]').count()).toBe(0);
  });

  it('the header chips stay where they are when the model becomes ready', async () => {
    const fresh = await ctx.newPage();
    await fresh.goto(`${site.url}?backend=wasm&img=`);
    const bar = fresh.locator('.statusbar');
    await bar.waitFor();
    const before = (await bar.boundingBox())!;
    await fresh.waitForSelector('[data-testid="status-phase"][data-phase="ready"]', { timeout: READY_MS });
    const after = (await bar.boundingBox())!;
    expect(after.y).toBe(before.y);
    expect(after.x).toBe(before.x);
    await fresh.close();
  });

  it('says the bundled model is blurry and shows the way to the paper’s weights', async () => {
    const note = page.locator('[data-testid="quality-note"]');
    expect(await note.textContent()).toMatch(/Blurry\?.*3\.4 M parameters/);
    expect(await page.getAttribute('[data-testid="quality-file-link"]', 'href')).toBe('https://dl.fbaipublicfiles.com/mae/visualize/mae_visualize_vit_large.pth');
    expect(await page.textContent('[data-testid="quality-hub-load"]')).toMatch(/^Download ViT-MAE Base \(448 MB\)$/);
  });

  it('heatmap legend, per-patch error on hover, and a click enlarges a panel', async () => {
    await addSample(page);
    await page.check('[data-testid="heatmap-toggle"]');
    const legend = page.locator('[data-testid="image-row"] [data-testid="heatmap-legend"]').first();
    expect(await legend.textContent()).toMatch(/0.*32.*64.*96.*≥ 128.*8-bit levels/);
    const recon = page.locator('[data-testid="image-row"] canvas[data-testid="panel-reconstruction"]').first();
    await recon.scrollIntoViewIfNeeded();
    const box = (await recon.boundingBox())!;
    // The patch in row 3, column 5 (0-based 2, 4) of 14.
    await page.mouse.move(box.x + (4.5 / 14) * box.width, box.y + (2.5 / 14) * box.height);
    const tip = page.locator('[data-testid="patch-tip"]');
    await tip.waitFor();
    expect(await tip.getAttribute('data-patch')).toBe(String(2 * 14 + 4));
    expect(await tip.textContent()).toMatch(/^Patch row 3, column 5: (hidden|visible) · error \d+\.\d levels RMS$/);
    await page.mouse.move(0, 0);
    await tip.waitFor({ state: 'detached' });

    await recon.click();
    const large = page.locator('[data-testid="panel-dialog"][open] canvas[data-testid="panel-reconstruction-large"][data-drawn="true"]');
    await large.waitFor();
    expect((await large.boundingBox())!.width).toBeGreaterThan(box.width * 1.5);
    expect(await axeFindings(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await page.locator('[data-testid="panel-dialog"]').waitFor({ state: 'detached' });
    // The keyboard way in: the Enlarge button.
    await page.locator('[data-testid="image-row"] [data-testid="panel-original-enlarge"]').first().focus();
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="panel-dialog"][open] canvas[data-testid="panel-original-large"]').waitFor();
    await page.click('[data-testid="panel-dialog-close"]');
  });

  it('the PNG holds the panels with their captions and what made them', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="download-button"]').first().click()]);
    const file = path.join(tmp, 'figure.png');
    await download.saveAs(file);
    const png = PNG.sync.read(readFileSync(file));
    const layout = figureLayout(4, IMG, 4);
    expect([png.width, png.height]).toEqual([layout.width, layout.height]);
    // The original panel, pixel for pixel.
    const original = await page.locator('[data-testid="image-row"] canvas[data-testid="panel-original"]').first().evaluate((c: HTMLCanvasElement) =>
      Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data));
    let same = true;
    for (let y = 0; y < IMG && same; y++) for (let x = 0; x < IMG; x++) {
      const i = ((layout.panelsY + y) * png.width + layout.panelX[0] + x) * 4;
      const j = (y * IMG + x) * 4;
      if (png.data[i] !== original[j] || png.data[i + 1] !== original[j + 1] || png.data[i + 2] !== original[j + 2]) { same = false; break; }
    }
    expect(same).toBe(true);
    // Text is drawn in the title, caption and footer bands (dark pixels on white).
    const inked = (y0: number, h: number) => {
      for (let y = y0; y < y0 + h; y++) for (let x = 0; x < png.width; x++) if (png.data[(y * png.width + x) * 4] < 128) return true;
      return false;
    };
    expect(inked(layout.titleY, layout.lineHeight.title)).toBe(true);
    expect(inked(layout.captionY, layout.lineHeight.text)).toBe(true);
    layout.footerY.forEach((y) => expect(inked(y, layout.lineHeight.text)).toBe(true));
  });

  it('the sweep chart shows the model and the smooth-interpolation baseline, computed as in src/shared', async () => {
    await page.locator('[data-testid="sweep-button"]').first().click();
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid="sweep-chart-table"] tbody tr')];
      return rows.length === 5 && rows.every((r) => r.getAttribute('data-model') && r.getAttribute('data-baseline'));
    }, null, { timeout: READY_MS });
    const rows = await page.locator('[data-testid="sweep-chart-table"] tbody tr').evaluateAll((trs) =>
      trs.map((t) => ({ ratio: Number(t.getAttribute('data-ratio')), model: Number(t.getAttribute('data-model')), baseline: Number(t.getAttribute('data-baseline')) })));
    const sweep = await page.evaluate(() => {
      const s = (window as unknown as { __maeStore: { getState(): { order: string[]; entries: Record<string, { sweep: { input: { width: number; data: Uint8ClampedArray }; items: { ratioPct: number; result: { mask: Uint8Array; recon: { metrics: { psnr: number } } } }[] } }> } } }).__maeStore.getState();
      const sw = s.entries[s.order[0]].sweep!;
      return { size: sw.input.width, input: Array.from(sw.input.data), items: sw.items.map((i) => ({ ratio: i.ratioPct, mask: Array.from(i.result.mask), psnr: i.result.recon.metrics.psnr })) };
    });
    for (const it of sweep.items) {
      const row = rows.find((r) => r.ratio === it.ratio)!;
      expect(row.model).toBe(it.psnr);
      const patch = sweep.size / Math.round(Math.sqrt(it.mask.length));
      const expected = maskedPsnr(smoothInterpolate(sweep.input, sweep.size, patch, it.mask), sweep.input, sweep.size, patch, it.mask)!;
      expect(Math.abs(row.baseline - expected)).toBeLessThanOrEqual(BASELINE_PSNR_TOL_DB);
    }
    expect(await page.locator('[data-testid="sweep-chart-model"]').getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+( L[\d.]+,[\d.]+){4}$/);
    expect(await page.locator('[data-testid="sweep-chart-baseline"]').getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+( L[\d.]+,[\d.]+){4}$/);
  });

  it('axe-core finds nothing serious on the page with a picture, heatmap, sweep and the checkpoint panel open', async () => {
    await page.click('[data-testid="picker-toggle"]');
    expect(await axeFindings(page)).toEqual([]);
    await page.click('[data-testid="picker-toggle"]');
  });
});

describe('the page on a phone (390 x 844)', () => {
  let ctx: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    ctx = await site.browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
    page = await open(ctx, 'backend=wasm');
    await addSample(page);
  });
  afterAll(() => ctx.close());

  it('shows pictures and results first, settings after', async () => {
    const top = async (sel: string) => (await page.locator(sel).first().boundingBox())!.y;
    const samples = await top('[data-testid="sample-button"]');
    const result = await top('[data-testid="image-row"] canvas[data-testid="panel-pasted"]');
    const controls = await top('section.controls');
    const picker = await top('[data-testid="checkpoint-picker"]');
    expect(samples).toBeLessThan(844);
    expect(samples).toBeLessThan(result);
    expect(result).toBeLessThan(controls);
    expect(controls).toBeLessThan(picker);
    // The document order is the same (keyboard and screen readers meet them in this order too).
    const order = await page.evaluate(() => ['[data-testid="main"]', 'section.controls', '[data-testid="checkpoint-picker"]']
      .map((s) => document.querySelector(s)!)
      .every((el, i, all) => i === 0 || (all[i - 1].compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0));
    expect(order).toBe(true);
  });

  it('the sample strip says it scrolls', async () => {
    expect(await page.getAttribute('[data-testid="samples"]', 'data-overflow')).toBe('true');
    expect(await page.locator('[data-testid="samples-more"]').isVisible()).toBe(true);
    expect(await page.textContent('[data-testid="samples-more"]')).toMatch(/swipe for more/);
  });

  it(`every tap target is at least ${MIN_TAP_PX} px`, async () => {
    const small = await page.evaluate(([min, slack]) => {
      const targets = [...document.querySelectorAll('button, select, input, .file-button, .toggle')]
        .filter((e) => !(e instanceof HTMLInputElement && (e.type === 'checkbox' || e.type === 'file')))
        .filter((e) => (e as HTMLElement).checkVisibility?.() !== false && !e.closest('[hidden], .visually-hidden'));
      return targets.flatMap((e) => {
        const r = e.getBoundingClientRect();
        if (!r.width || !r.height) return [];
        return r.width + slack < min || r.height + slack < min ? [`${e.tagName.toLowerCase()}.${e.className} "${(e.textContent ?? '').trim().slice(0, 30)}" ${r.width.toFixed(0)}x${r.height.toFixed(0)}`] : [];
      });
    }, [MIN_TAP_PX, BOX_SLACK_PX] as const);
    expect(small).toEqual([]);
  });

  it('axe-core finds nothing serious', async () => {
    expect(await axeFindings(page)).toEqual([]);
  });
});
