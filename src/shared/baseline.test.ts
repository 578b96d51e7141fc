import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { maskedPsnr, patchMse, pixelMask, smoothInterpolate } from './baseline';

/** Largest difference allowed from evaluate.py's float32 torch output, in 8-bit levels. */
const PIXEL_TOL = 1e-3;
/** Largest PSNR difference allowed from evaluate.py, in dB. */
const PSNR_TOL_DB = 1e-4;

interface Fixture { size: number; patch: number; rgba_b64: string; cases: { ratio: number; mask: number[]; out_f32_b64: string; psnr: number }[] }
const here = path.dirname(fileURLToPath(import.meta.url));
const fx = JSON.parse(readFileSync(path.join(here, '../../tests/fixtures/baseline/smooth.json'), 'utf8')) as Fixture;
const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));
const rgba = bytes(fx.rgba_b64);

describe('smooth-interpolation baseline (training/evaluate.py)', () => {
  it.each(fx.cases.map((c) => [c.ratio, c] as const))('matches the Python at mask ratio %s', (_ratio, c) => {
    const ref = new Float32Array(bytes(c.out_f32_b64).buffer);
    const out = smoothInterpolate(rgba, fx.size, fx.patch, c.mask);
    expect(out.length).toBe(ref.length);
    let worst = 0;
    for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i] - ref[i]));
    expect(worst).toBeLessThanOrEqual(PIXEL_TOL);
    expect(Math.abs(maskedPsnr(out, rgba, fx.size, fx.patch, c.mask)! - c.psnr)).toBeLessThanOrEqual(PSNR_TOL_DB);
  });

  it('keeps visible pixels and fills every hidden one', () => {
    const c = fx.cases[1];
    const out = smoothInterpolate(rgba, fx.size, fx.patch, c.mask);
    const hidden = pixelMask(fx.size, fx.patch, c.mask);
    for (let i = 0; i < hidden.length; i++) {
      if (!hidden[i]) for (let ch = 0; ch < 3; ch++) expect(out[i * 3 + ch]).toBe(rgba[i * 4 + ch]);
      else expect(Number.isFinite(out[i * 3])).toBe(true);
    }
  });

  it('has no PSNR when nothing is hidden', () => {
    const none = new Array(fx.cases[0].mask.length).fill(0);
    expect(maskedPsnr(smoothInterpolate(rgba, fx.size, fx.patch, none), rgba, fx.size, fx.patch, none)).toBeNull();
  });

  it('per-patch MSE is the mean of its pixels', () => {
    const size = 4;
    const err = Float32Array.from({ length: size * size }, (_, i) => i);
    // Patches of 2 px: top-left holds pixels 0, 1, 4, 5.
    expect(Array.from(patchMse(err, size, 2))).toEqual([2.5, 4.5, 10.5, 12.5]);
  });
});
