import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { errorHeatmap, heatAlpha, heatValue, rampColour } from './heatmap';
import { compositePanels, downloadName, figureLayout, figureText, COMPOSITE_GAP_PX, FIGURE_MARGIN_PX } from './compose';
import { maskedPanel, countGreyPatches } from '../../shared/panels';

describe('error heatmap', () => {
  it('is transparent where the error is nil and never NaN', () => {
    const map = Float32Array.from([0, -1, NaN, Infinity, 16, 128 * 128, 1e9]);
    const out = errorHeatmap(map, 7, 1);
    expect(Array.from(out.slice(0, 12))).toEqual(new Array(12).fill(0));
    expect(out.every((v) => Number.isFinite(v))).toBe(true);
    expect(out[4 * 4 + 3]).toBeGreaterThan(0);
    expect(out[5 * 4 + 3]).toBe(heatAlpha(1));
    expect(heatValue(Infinity)).toBe(1);
  });

  it('grows more opaque with the error', () => {
    fc.assert(fc.property(fc.float({ min: 0, max: 65025, noNaN: true }), fc.float({ min: 0, max: 65025, noNaN: true }), (a, b) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      expect(heatAlpha(heatValue(lo))).toBeLessThanOrEqual(heatAlpha(heatValue(hi)));
    }));
    expect(rampColour(0)).toEqual([0, 0, 4]);
    expect(rampColour(1)).toEqual([252, 253, 191]);
  });
});

describe('download composite', () => {
  it('puts the four panels side by side', () => {
    const size = 16;
    const orig = new Uint8ClampedArray(size * size * 4).fill(10);
    const mask = [1, 0, 0, 1];
    const masked = maskedPanel(orig, size, 8, mask, 'grey');
    expect(countGreyPatches(masked, size, 8)).toBe(2);
    const c = compositePanels([orig, masked, orig, orig], size);
    expect(c.width).toBe(4 * size + 3 * COMPOSITE_GAP_PX);
    expect(c.height).toBe(size);
    expect(c.data[(size + 1) * 4]).toBe(255); // gap after the first panel
  });

  it('names files safely', () => {
    expect(downloadName('My photo (1).JPG', { pattern: 'random', ratioPct: 75, seed: 3 })).toBe('My_photo_1-mae-random-75pct-seed3.png');
    expect(downloadName('../../', { pattern: 'painted', ratioPct: 0, seed: 0 })).toBe('image-mae-painted.png');
  });
});

describe('labelled figure', () => {
  const facts = {
    imageName: 'cat.jpg', checkpoint: 'mae-small (bundled)', pattern: 'random', ratioPct: 75, seed: 7,
    maskedCount: 147, numPatches: 196, mse: '397', psnr: '22.14 dB', loss: '0.1195',
  };

  it('says which checkpoint, mask, ratio, seed and figures made it', () => {
    const t = figureText(facts);
    expect(t.title).toBe('cat.jpg');
    expect(t.captions).toEqual(['Original', 'Masked · 147 of 196 hidden', 'Reconstruction', 'Reconstruction + visible']);
    const footer = t.footer.join('\n');
    for (const s of ['mae-small (bundled)', 'Random mask, ratio 75 %', 'seed 7', 'MSE 397', 'PSNR 22.14 dB', 'loss 0.1195']) expect(footer).toContain(s);
    expect(figureText({ ...facts, pattern: 'painted' }).footer[1]).toBe('Painted mask: 147 of 196 patches hidden');
  });

  it('lays title, panels, captions and footer out top to bottom without overlap, inside the picture', () => {
    const size = 224;
    const l = figureLayout(4, size, 4);
    expect(l.width).toBe(2 * FIGURE_MARGIN_PX + 4 * size + 3 * COMPOSITE_GAP_PX);
    expect(l.panelX).toEqual([0, 1, 2, 3].map((k) => FIGURE_MARGIN_PX + k * (size + COMPOSITE_GAP_PX)));
    expect(l.titleY + l.lineHeight.title).toBeLessThanOrEqual(l.panelsY);
    expect(l.panelsY + size).toBeLessThanOrEqual(l.captionY);
    expect(l.captionY + l.lineHeight.text).toBeLessThanOrEqual(l.footerY[0]);
    l.footerY.slice(1).forEach((y, k) => expect(y - l.footerY[k]).toBe(l.lineHeight.text));
    expect(l.footerY[3] + l.lineHeight.text + FIGURE_MARGIN_PX).toBeLessThanOrEqual(l.height);
  });

  it('lays out panels of another aspect below their own height (a whole picture)', () => {
    const [w, h] = [448, 336];
    const l = figureLayout(4, w, 4, h);
    const square = figureLayout(4, w, 4);
    expect(l.width).toBe(square.width);
    expect(l.panelsY + h).toBeLessThanOrEqual(l.captionY);
    expect(square.captionY - l.captionY).toBe(w - h);
    expect(square.height - l.height).toBe(w - h);
  });
});
