import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors, type TensorToWrite } from '../../../src/checkpoints/safetensors';
import { CheckpointError, type StoredDType } from '../../../src/checkpoints/types';
import { goldenHf, onlyCheckpointErrors } from './helpers';

const ITEM: Record<StoredDType, number> = { float32: 4, float16: 2, bfloat16: 2 };

/** A random map of tensors with consistent shapes and byte lengths. */
const tensorsArb = fc.uniqueArray(
  fc.record({
    name: fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s !== '__metadata__'),
    dtype: fc.constantFrom<StoredDType>('float32', 'float16', 'bfloat16'),
    shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
    seed: fc.integer({ min: 0, max: 255 }),
  }),
  { selector: (t) => t.name, maxLength: 6 },
).map((list) => new Map<string, TensorToWrite>(list.map((t) => {
  const n = t.shape.reduce((a, b) => a * b, 1) * ITEM[t.dtype];
  return [t.name, { dtype: t.dtype, shape: t.shape, bytes: Uint8Array.from({ length: n }, (_, i) => (i * 31 + t.seed) & 0xff) }];
})));

/** A valid file to corrupt. */
function sample(): Uint8Array {
  return writeSafetensors(new Map<string, TensorToWrite>([
    ['a', { dtype: 'float32', shape: [2, 3], bytes: new Uint8Array(24).fill(1) }],
    ['b', { dtype: 'float16', shape: [5], bytes: new Uint8Array(10).fill(2) }],
    ['c', { dtype: 'bfloat16', shape: [], bytes: new Uint8Array(2).fill(3) }],
  ]), { format: 'pt' });
}

/** Builds a file from a raw header object (to test validation the writer would never produce). */
function withHeader(header: unknown, dataBytes: number, rawJson?: string): Uint8Array {
  const json = new TextEncoder().encode(rawJson ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  return out;
}


describe('safetensors', () => {
  it('reads the golden Hugging Face file', () => {
    const { tensors, metadata } = readSafetensors(goldenHf().bytes);
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors.size).toBe(78);
    expect(tensors.get('vit.embeddings.position_embeddings')?.shape).toEqual([1, 197, 64]);
    expect(tensors.get('decoder.decoder_pred.weight')).toMatchObject({ dtype: 'float32', shape: [768, 32] });
  });

  it('round-trips write -> read (property)', () => {
    fc.assert(fc.property(tensorsArb, fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), (tensors, meta) => {
      const file = writeSafetensors(tensors, meta);
      const back = readSafetensors(file);
      expect([...back.tensors.keys()].sort()).toEqual([...tensors.keys()].sort());
      for (const [name, t] of tensors) {
        const r = back.tensors.get(name)!;
        expect(r.dtype).toBe(t.dtype);
        expect(r.shape).toEqual(t.shape);
        expect(Array.from(r.bytes)).toEqual(Array.from(t.bytes));
      }
      expect(back.metadata).toEqual(meta);
    }), { numRuns: 200 });
  });

  it('pads the header so tensor data starts 8-byte aligned', () => {
    const file = sample();
    const headerLen = new DataView(file.buffer).getUint32(0, true);
    expect(headerLen % 8).toBe(0);
  });

  it('rejects every truncation with a CheckpointError (property)', () => {
    const file = sample();
    fc.assert(fc.property(fc.integer({ min: 0, max: file.length - 1 }), (len) => {
      expect(() => readSafetensors(file.subarray(0, len))).toThrow(CheckpointError);
    }), { numRuns: 300 });
  });

  it('never throws anything but CheckpointError on corrupted bytes (property)', () => {
    const file = sample();
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: file.length - 1 }), fc.integer({ min: 0, max: 255 })),
        { minLength: 1, maxLength: 8 }),
      (edits) => {
        const copy = file.slice();
        for (const [at, v] of edits) copy[at] = v;
        expect(onlyCheckpointErrors(() => readSafetensors(copy))).toBe(true);
      }), { numRuns: 1000 });
  });

  it('says how much a truncated file is missing', () => {
    const file = sample();
    expect(() => readSafetensors(file.subarray(0, file.length - 3)))
      .toThrow(`truncated: the header says ${file.length} bytes, file has ${file.length - 3}`);
    expect(() => readSafetensors(file.subarray(0, 20))).toThrow(/^truncated: the header says \d+ bytes, file has 20$/);
    expect(() => readSafetensors(file.subarray(0, 5))).toThrow(/truncated/);
  });

  it('names an unsupported dtype and its tensor', () => {
    const file = writeSafetensors(new Map([['position_ids', { dtype: 'I64', shape: [2], bytes: new Uint8Array(16) }]]));
    expect(() => readSafetensors(file)).toThrow('unsupported dtype I64 for tensor position_ids');
  });

  it('validates the header', () => {
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setUint32(4, 1, true); // 2^32-byte header
    expect(() => readSafetensors(huge)).toThrow(/header claims/);
    expect(() => readSafetensors(withHeader(null, 0, '{"a": '))).toThrow(/not valid JSON/);
    expect(() => readSafetensors(withHeader(null, 0, '[1,2]'))).toThrow(/not a JSON object/);
    const badUtf8 = withHeader(null, 0, '{"x":1}');
    badUtf8[10] = 0xff;
    expect(() => readSafetensors(badUtf8)).toThrow(/UTF-8/);
    expect(() => readSafetensors(withHeader({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 4)))
      .toThrow(/needs 8 bytes, its data_offsets span 4/);
    expect(() => readSafetensors(withHeader({
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
    }, 8))).toThrow(/overlap/);
    expect(() => readSafetensors(withHeader({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }, 0)))
      .toThrow(/bad shape/);
    expect(() => readSafetensors(withHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, 8)))
      .toThrow(/ends before it begins/);
    expect(() => readSafetensors(withHeader({ __metadata__: { a: 1 } }, 0))).toThrow(/__metadata__/);
  });

  it('refuses to write bytes that do not match the shape', () => {
    expect(() => writeSafetensors(new Map([['a', { dtype: 'float32', shape: [3], bytes: new Uint8Array(8) }]])))
      .toThrow(CheckpointError);
  });
});
