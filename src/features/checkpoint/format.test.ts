import { describe, expect, it } from 'vitest';
import { describeModel, formatBytes, formatEta, formatParams, formatRate, percentOf } from './format';

describe('checkpoint display', () => {
  it('formats parameter counts', () => {
    expect(formatParams(111_907_840)).toBe('111.9 M');
    expect(formatParams(320_512)).toBe('321 k');
    expect(formatParams(12)).toBe('12');
    expect(formatParams(NaN)).toBe('—');
  });

  it('describes the architecture', () => {
    expect(describeModel({ imgSize: 224, patchSize: 16, embedDim: 384, depth: 12, numHeads: 6, decoderEmbedDim: 256, decoderDepth: 4, decoderNumHeads: 8, normPixLoss: false, parameters: 30_000_000 }))
      .toBe('ViT 12×384 encoder, 4×256 decoder · 30.0 M params · 224 px, 16 px patches (14×14)');
  });
});

describe('download figures', () => {
  it('formats bytes, rates, time left and percent', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1500)).toBe('1.50 kB');
    expect(formatBytes(447_631_360)).toBe('448 MB');
    expect(formatBytes(1_318_167_552)).toBe('1.32 GB');
    expect(formatBytes(12_345_678)).toBe('12.3 MB');
    expect(formatBytes(null)).toBe('—');
    expect(formatRate(12_300_000)).toBe('12.3 MB/s');
    expect(formatRate(NaN)).toBe('—');
    expect(formatEta(0.2)).toBe('1 s');
    expect(formatEta(59)).toBe('59 s');
    expect(formatEta(185)).toBe('3 min 05 s');
    expect(formatEta(3840)).toBe('1 h 04 min');
    expect(formatEta(null)).toBe('—');
    expect(percentOf(1, 3)).toBe(33);
    expect(percentOf(5, null)).toBeNull();
    expect(percentOf(5, 0)).toBeNull();
    expect(percentOf(20, 10)).toBe(100);
  });
});
