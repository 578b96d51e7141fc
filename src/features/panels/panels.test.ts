import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { errorHeatmap, heatAlpha, heatValue, rampColour } from './heatmap';
import { compositePanels, downloadName, COMPOSITE_GAP_PX } from './compose';
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
