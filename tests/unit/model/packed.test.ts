// Weights held once on wasm (src/model/packed.ts): once a product's XNNPACK operator has packed its
// weight, the weight's own heap bytes are freed. The model must compute exactly what a model that
// keeps them computes, even after the freed blocks are reused and overwritten, and dispose cleanly.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mae, mlpHiddenDim, decoderMlpHiddenDim, randomParams, reconstructImage, type MaeConfig } from '../../../src/model';
import { isReleased } from '../../../src/model/packed';
import { maxAbs, TINY, useBackend } from '../../helpers/tf';

/** Released and kept models run the same kernels on the same packed weights: bit-identical outputs. */
const PACKED_VS_KEPT_TOL = 0;
/** Bytes of a float32. */
const F32 = 4;
/** Mask ratios the comparison runs at (the decoder's unshuffle and the encoder's length change with them). */
const RATIOS = [0, 0.5, 0.75, 0.95];

/**
 * Bytes of every weight that is a product's right operand on the fast path (heads layout), but the
 * encoder input table, which stays readable (other grids' tables are made from it).
 */
function productWeightBytes(c: MaeConfig): number {
  const k = c.patchSize ** 2 * c.inChans;
  const block = (d: number, hidden: number) => 3 * d * d + d * d + 2 * d * hidden;
  return F32 * (c.depth * block(c.embedDim, mlpHiddenDim(c))
    + c.embedDim * c.decoderEmbedDim + c.decoderDepth * block(c.decoderEmbedDim, decoderMlpHiddenDim(c))
    + c.decoderEmbedDim * k);
}

const S = TINY.imgSize;
const rgba = Uint8ClampedArray.from({ length: S * S * 4 }, (_, i) => (i * 31 + (i >> 10) * 7) % 256);

describe('packed weights on wasm', () => {
  let released: Mae;
  let kept: Mae;
  const filler: tf.Tensor[] = [];
  beforeAll(async () => {
    await useBackend('wasm');
    released = Mae.create(TINY, randomParams(TINY, 3));
    kept = Mae.create(TINY, randomParams(TINY, 3), { releasePacked: false });
    // Fill the heap so the freed blocks are reused: a read of a released weight would now see NaN.
    for (let i = 0; i < 64; i++) filler.push(tf.fill([productWeightBytes(TINY) / F32 / 16], NaN));
  });
  afterAll(() => {
    tf.dispose(filler);
    released?.dispose();
    kept?.dispose();
  });

  it('frees the bytes of every product weight, and only those', () => {
    expect(released.releasedBytes).toBe(productWeightBytes(TINY));
    expect(kept.releasedBytes).toBe(0);
    expect(isReleased(released.weights.blocks[0].fc1.w)).toBe(true);
    expect(isReleased(released.weights.blocks[0].fc1.b)).toBe(false);
    expect(isReleased(released.weights.norm.g)).toBe(false);
    expect(isReleased(released.weights.encoderInput)).toBe(false);
  });

  it.each(RATIOS)('computes exactly what a model keeping its weights computes at mask ratio %s', async (maskRatio) => {
    for (const seed of [0, 1]) {
      const mask = { pattern: 'random' as const, maskRatio, seed };
      const a = await reconstructImage(released, rgba, { mask });
      const b = await reconstructImage(kept, rgba, { mask });
      expect(maxAbs(a.reconstruction, b.reconstruction)).toBeLessThanOrEqual(PACKED_VS_KEPT_TOL);
      expect(a.loss === null ? null : Math.abs(a.loss - (b.loss ?? NaN))).toBe(maskRatio === 0 ? null : 0);
    }
  });

  it('dispose frees every tensor of a released model (no double free)', async () => {
    const before = tf.memory().numTensors;
    const m = Mae.create(TINY, randomParams(TINY, 4));
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // The heap still works: a fresh model after the dispose computes what `kept` does for the same weights.
    const again = Mae.create(TINY, randomParams(TINY, 3));
    const a = await reconstructImage(again, rgba, { mask: { pattern: 'random', maskRatio: 0.75, seed: 2 } });
    const b = await reconstructImage(kept, rgba, { mask: { pattern: 'random', maskRatio: 0.75, seed: 2 } });
    again.dispose();
    expect(maxAbs(a.reconstruction, b.reconstruction)).toBeLessThanOrEqual(PACKED_VS_KEPT_TOL);
  });
});

describe('packed weights elsewhere', () => {
  it('frees nothing on cpu', async () => {
    await useBackend('cpu');
    const m = Mae.create(TINY, randomParams(TINY, 3));
    expect(m.releasedBytes).toBe(0);
    m.dispose();
  });
});
