// The live camera with Chromium's fake capture device: frames reconstructed live (frames per second
// above zero), a snapshot becomes an ordinary picture row, and a denied permission gives one clear
// message and changes nothing else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { CHROMIUM_ARGS, FAKE_CAMERA_ARGS, launchBrowser, useSite } from './browser';
import { Playground } from './pages/playground';

const site = useSite({ extraArgs: FAKE_CAMERA_ARGS });

describe('live camera (wasm)', () => {
  it('reconstructs frames live, pauses, and a snapshot becomes a picture row', async () => {
    const pg = await Playground.open(site.browser, site.url, 'backend=wasm');
    try {
      expect(await pg.rowCount()).toBe(0);
      await pg.cameraOn();
      const fps = await pg.waitForCameraFps();
      expect(fps).toBeGreaterThan(0);
      const live = await pg.cameraState();
      expect(live.frames).toBeGreaterThan(0);
      expect(live.reconstructionDrawn).toBe(true);
      expect([live.gridRows, live.gridCols]).toEqual([14, 14]);

      await pg.cameraPause();
      await pg.page.waitForFunction(() => document.querySelector('[data-testid="camera-fps"]')?.getAttribute('data-fps') === '0');
      const paused = await pg.cameraState();
      // Paused: no more frames go out (at most the ones already out come back).
      await pg.page.waitForTimeout(500);
      expect((await pg.cameraState()).frames - paused.frames).toBeLessThanOrEqual(2);

      await pg.cameraSnapshot();
      await pg.waitForReadyRows(1);
      await pg.waitForResult();
      expect(await pg.page.textContent('[data-testid="image-row"] .row-name')).toMatch(/^camera-.*\.png$/);
      await pg.cameraOff();
      expect(await pg.page.getAttribute('[data-testid="camera"]', 'data-phase')).toBe('off');
      expect(pg.errors).toEqual([]);
    } finally {
      await pg.close();
    }
  });
});

describe('camera permission denied', () => {
  let denied: Browser;
  beforeAll(async () => {
    // A fake camera, but the permission prompt answered no.
    denied = await launchBrowser([...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--deny-permission-prompts']);
  });
  afterAll(async () => {
    await denied?.close();
  });

  it('says so in one line and nothing else changes', async () => {
    const pg = await Playground.open(denied, site.url, 'backend=wasm');
    try {
      const before = await pg.page.url();
      await pg.page.click('[data-testid="camera-toggle"]');
      await pg.page.waitForSelector('[data-testid="camera-error"]');
      const text = (await pg.page.textContent('[data-testid="camera-error"]'))!;
      expect(text).toMatch(/permission was denied/);
      expect(text).not.toMatch(/\n/);
      expect(await pg.page.getAttribute('[data-testid="camera"]', 'data-phase')).toBe('off');
      expect(await pg.rowCount()).toBe(0);
      expect(pg.page.url()).toBe(before);
      expect(await pg.page.getAttribute('[data-testid="status-phase"]', 'data-phase')).toBe('ready');
      expect(pg.errors).toEqual([]);
    } finally {
      await pg.close();
    }
  });
});
