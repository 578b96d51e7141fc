import { it } from 'vitest';
import { useSite } from './browser';
import { Playground } from './pages/playground';
const site = useSite();
it('shot', async () => {
  const pg = await Playground.open(site.browser, site.url, 'backend=wasm');
  await pg.page.getByRole('button', { name: /canyon/i }).first().click();
  await pg.waitForResult();
  await pg.toggleView('attention');
  await pg.attentionOverlay({});
  await pg.clickViewPatch('view-attention-panel', 100, 14);
  await pg.page.waitForTimeout(500);
  await pg.page.locator('[data-testid="image-row"]').first().screenshot({ path: '/tmp/views-att.png' });
  await pg.toggleView('features');
  await pg.page.waitForSelector('canvas[data-testid="features-whole"][data-drawn="true"]');
  await pg.clickViewPatch('features-whole', 30, 14);
  await pg.page.waitForTimeout(500);
  await pg.page.locator('[data-testid="image-row"]').first().screenshot({ path: '/tmp/views-feat.png' });
  await pg.page.locator('[data-testid="how-mae-works"] summary').click();
  await pg.page.locator('[data-testid="how-mae-works"]').screenshot({ path: '/tmp/views-how.png' });
  await pg.close();
});
it('times', async () => {
  const pg = await Playground.open(site.browser, site.url, 'backend=wasm');
  await pg.page.getByRole('button', { name: /canyon/i }).first().click();
  await pg.waitForResult();
  await pg.toggleView('attention');
  for (const [sel, v] of [['view-head', '0'], ['view-stack', 'decoder'], ['view-head', '1']] as const) {
    const before = (await pg.attentionOverlay({})).checksum;
    console.log('ms', await pg.page.textContent('[data-testid="attention-ms"]'), await pg.page.textContent('[data-testid="status-backend"]'));
    await pg.selectInView(sel, v);
    await pg.attentionOverlay({}, before);
  }
  console.log('ms', await pg.page.textContent('[data-testid="attention-ms"]'));
  for (let i = 0; i < 3; i++) {
    const before = (await pg.attentionOverlay({})).checksum;
    await pg.nudgeSlider(-1);
    await pg.attentionOverlay({}, before);
    console.log('ms after slider', await pg.page.textContent('[data-testid="attention-ms"]'), await pg.page.textContent('[data-testid="image-row"] .row-meta'));
  }
  await pg.close();
});
