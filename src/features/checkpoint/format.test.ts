import { describe, expect, it } from 'vitest';
import { describeModel, formatParams } from './format';

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
