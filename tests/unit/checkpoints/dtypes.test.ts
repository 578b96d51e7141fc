import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bfloat16BitsToNumber, float16BitsToNumber, float32ToBfloat16Bytes, float32ToFloat16Bytes,
  numberToBfloat16Bits, numberToFloat16Bits, toFloat32,
} from '../../../src/checkpoints/dtypes';
import { readTorchCheckpoint } from '../../../src/checkpoints/torch';
import { LoadError } from '../../../src/shared/errors';
import { FIXTURES, readAll, readBytes, readExpected, sameBits, sourceOf } from './helpers';

/** Well-known half-precision bit patterns and their values. */
const F16_KNOWN: [number, number][] = [
  [0x0000, 0], [0x3c00, 1], [0xc000, -2], [0x3555, 0.333251953125], [0x7bff, 65504],
  [0x0400, 2 ** -14], [0x0001, 2 ** -24], [0x03ff, 1023 * 2 ** -24], [0x0200, 2 ** -15],
  [0x7c00, Infinity], [0xfc00, -Infinity], [0x3bff, 0.99951171875], [0x3c01, 1.0009765625],
];
const BF16_KNOWN: [number, number][] = [
  [0x0000, 0], [0x3f80, 1], [0xc000, -2], [0x7f7f, 3.3895313892515355e38], [0x0080, 2 ** -126],
  [0x0001, 2 ** -133], [0x7f80, Infinity], [0xff80, -Infinity], [0x3eab, 0.333984375],
];

describe('half-precision decoding', () => {
  it('decodes known float16 values, including subnormals and infinities', () => {
    for (const [bits, v] of F16_KNOWN) expect(float16BitsToNumber(bits)).toBe(v);
    expect(Object.is(float16BitsToNumber(0x8000), -0)).toBe(true);
    expect(float16BitsToNumber(0x7e00)).toBeNaN();
    expect(float16BitsToNumber(0xfd01)).toBeNaN();
  });

  it('decodes known bfloat16 values', () => {
    for (const [bits, v] of BF16_KNOWN) expect(bfloat16BitsToNumber(bits)).toBe(v);
    expect(Object.is(bfloat16BitsToNumber(0x8000), -0)).toBe(true);
    expect(bfloat16BitsToNumber(0x7fc0)).toBeNaN();
  });

  it('round-trips every float16 bit pattern through encode(decode(h))', () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = float16BitsToNumber(h);
      if (Number.isNaN(v)) expect(float16BitsToNumber(numberToFloat16Bits(v))).toBeNaN();
      else expect(numberToFloat16Bits(v)).toBe(h);
    }
  });

  it('round-trips every bfloat16 bit pattern', () => {
    for (let b = 0; b < 0x10000; b++) {
      const v = bfloat16BitsToNumber(b);
      if (Number.isNaN(v)) expect(bfloat16BitsToNumber(numberToBfloat16Bits(v))).toBeNaN();
      else expect(numberToBfloat16Bits(v)).toBe(b);
    }
  });

  it('rounds to the nearest float16, ties to even, overflowing to infinity', () => {
    expect(numberToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie -> even (down)
    expect(numberToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even (up)
    expect(numberToFloat16Bits(65520)).toBe(0x7c00); // halfway to the next binade -> inf
    expect(numberToFloat16Bits(65519)).toBe(0x7bff);
    expect(numberToFloat16Bits(2 ** -25)).toBe(0x0000); // tie with 0 -> even
    expect(numberToFloat16Bits(2 ** -25 * 1.5)).toBe(0x0001);
    expect(numberToFloat16Bits(-1e-10)).toBe(0x8000);
    expect(numberToFloat16Bits(1e10)).toBe(0x7c00);
    expect(numberToBfloat16Bits(1 + 2 ** -8)).toBe(0x3f80);
    expect(numberToBfloat16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
  });

  it('encodes to the nearest float16 (property)', () => {
    fc.assert(fc.property(fc.float({ noNaN: true, min: -65504, max: 65504 }), (x) => {
      const h = numberToFloat16Bits(x);
      const y = float16BitsToNumber(h);
      // Neighbours of y in the half-precision grid must not be closer to x.
      for (const n of [h - 1, h + 1]) {
        if (n < 0 || (n & 0x7fff) >= 0x7c00 || (n & 0x8000) !== (h & 0x8000)) continue;
        expect(Math.abs(float16BitsToNumber(n) - x)).toBeGreaterThanOrEqual(Math.abs(y - x));
      }
    }), { numRuns: 2000 });
  });
});

describe('toFloat32', () => {
  it('converts float16 and bfloat16 bytes', () => {
    const values = Float32Array.from([0, 1, -2, 0.5, 65504, 2 ** -24, Infinity, -Infinity, NaN]);
    const f16 = toFloat32({ dtype: 'float16', shape: [values.length], bytes: float32ToFloat16Bytes(values) });
    expect(sameBits(f16, values)).toBe(true);
    const bf16 = toFloat32({ dtype: 'bfloat16', shape: [values.length], bytes: float32ToBfloat16Bytes(values) });
    expect(Array.from(bf16.subarray(0, 4))).toEqual([0, 1, -2, 0.5]);
    expect(bf16[4]).toBe(65536); // 65504 rounds to 2^16 in bfloat16
    expect(bf16[8]).toBeNaN();
  });

  it('handles unaligned byte offsets for every dtype', () => {
    const values = Float32Array.from([1.5, -3, 0.25, 1024]);
    const encodings = {
      float32: new Uint8Array(values.buffer.slice(0)),
      float16: float32ToFloat16Bytes(values),
      bfloat16: float32ToBfloat16Bytes(values),
    };
    for (const [dtype, enc] of Object.entries(encodings)) {
      const padded = new Uint8Array(enc.length + 1);
      padded.set(enc, 1);
      const out = toFloat32({ dtype: dtype as 'float32', shape: [2, 2], bytes: padded.subarray(1) });
      expect(Array.from(out)).toEqual(Array.from(values));
    }
  });

  it('returns a view for aligned float32 and a copy when unaligned', () => {
    const bytes = new Uint8Array(new Float32Array([1, 2]).buffer);
    expect(toFloat32({ dtype: 'float32', shape: [2], bytes }).buffer).toBe(bytes.buffer);
  });

  it('rejects a byte length that does not match the shape', () => {
    expect(() => toFloat32({ dtype: 'float16', shape: [3], bytes: new Uint8Array(4) })).toThrow(LoadError);
  });

  it('decodes float16/bfloat16 storages saved by PyTorch exactly', async () => {
    const read = await readTorchCheckpoint(sourceOf(readBytes(path.join(FIXTURES, 'dtypes.pth'))));
    const ckpt = { tensors: await readAll(read.tensors) };
    const expected = readExpected('dtypes.expected.json');
    expect([...ckpt.tensors.keys()]).toEqual(['f32', 'f16', 'bf16']);
    expect(ckpt.tensors.get('f16')?.dtype).toBe('float16');
    expect(ckpt.tensors.get('bf16')?.dtype).toBe('bfloat16');
    for (const [name, want] of expected) {
      const t = ckpt.tensors.get(name);
      expect(t?.shape).toEqual(want.shape);
      expect(sameBits(toFloat32(t!), want.data)).toBe(true);
    }
  });
});
