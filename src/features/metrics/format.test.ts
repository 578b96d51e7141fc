import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatLoss, formatMs, formatMse, formatPsnr, NOTHING_MASKED } from './format';

describe('metric figures', () => {
  it('shows a dash with a reason when nothing is masked', () => {
    expect(formatMse(null)).toEqual({ text: '—', title: NOTHING_MASKED });
    expect(formatPsnr(null)).toEqual({ text: '—', title: NOTHING_MASKED });
    expect(formatLoss(null).text).toBe('—');
  });

  it('formats numbers', () => {
    expect(formatMse(12.345).text).toBe('12.3');
    expect(formatMse(1234.5).text).toBe('1235');
    expect(formatPsnr(27.123).text).toBe('27.12 dB');
    expect(formatPsnr(Infinity).text).toBe('∞ dB');
    expect(formatMs(12.4)).toBe('12 ms');
    expect(formatMs(2345)).toBe('2.35 s');
    expect(formatMs(null)).toBe('—');
  });

  it('never shows NaN', () => {
    const anyNumber = fc.oneof(fc.double(), fc.constant(null), fc.constant(undefined), fc.constant(NaN), fc.constant(-Infinity));
    fc.assert(fc.property(anyNumber, (v) => {
      for (const f of [formatMse(v), formatPsnr(v), formatLoss(v)]) expect(f.text).not.toMatch(/NaN|undefined|null/);
      expect(formatMs(v)).not.toMatch(/NaN/);
    }));
  });
});
