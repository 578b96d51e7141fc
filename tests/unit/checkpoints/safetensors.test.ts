import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readSafetensors as readLazily, writeSafetensors, type TensorToWrite } from '../../../src/checkpoints/safetensors';
import type { StoredDType } from '../../../src/checkpoints/types';
import { LoadError } from '../../../src/shared/errors';
import { bytesOfFile, goldenHf, onlyLoadErrors, readAll, sourceOf } from './helpers';

const ITEM: Record<StoredDType, number> = { float32: 4, float16: 2, bfloat16: 2 };

/** Reads a safetensors file from bytes, tensors and all. */
async function readSafetensors(bytes: Uint8Array) {
  const file = await readLazily(sourceOf(bytes));
  return { ...file, tensors: await readAll(file.tensors) };
}

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
  it('reads the golden Hugging Face file', async () => {
    const { tensors, metadata } = await readSafetensors(await bytesOfFile(goldenHf()));
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors.size).toBe(78);
    expect(tensors.get('vit.embeddings.position_embeddings')?.shape).toEqual([1, 197, 64]);
    expect(tensors.get('decoder.decoder_pred.weight')).toMatchObject({ dtype: 'float32', shape: [768, 32] });
  });

  it('round-trips write -> read (property)', async () => {
    await fc.assert(fc.asyncProperty(tensorsArb, fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), async (tensors, meta) => {
      const file = writeSafetensors(tensors, meta);
      const back = await readSafetensors(file);
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

  it('pads the header so tensor data starts 8-byte aligned', async () => {
    const file = sample();
    const headerLen = new DataView(file.buffer).getUint32(0, true);
    expect(headerLen % 8).toBe(0);
  });

  it('rejects every truncation with a LoadError (property)', async () => {
    const file = sample();
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: file.length - 1 }), async (len) => {
      await expect(readSafetensors(file.subarray(0, len))).rejects.toThrow(LoadError);
    }), { numRuns: 300 });
  });

  it('never throws anything but LoadError on corrupted bytes (property)', async () => {
    const file = sample();
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.integer({ min: 0, max: file.length - 1 }), fc.integer({ min: 0, max: 255 })),
        { minLength: 1, maxLength: 8 }),
      async (edits) => {
        const copy = file.slice();
        for (const [at, v] of edits) copy[at] = v;
        expect(await onlyLoadErrors(() => readSafetensors(copy))).toBe(true);
      }), { numRuns: 1000 });
  });

  it('says how much a truncated file is missing', async () => {
    const file = sample();
    await expect(readSafetensors(file.subarray(0, file.length - 3))).rejects
      .toThrow(`truncated: the header says ${file.length} bytes, file has ${file.length - 3}`);
    await expect(readSafetensors(file.subarray(0, 20))).rejects.toThrow(/^truncated: the header says \d+ bytes, file has 20$/);
    await expect(readSafetensors(file.subarray(0, 5))).rejects.toThrow(/truncated/);
  });

  it('names an unsupported dtype and its tensor', async () => {
    const file = writeSafetensors(new Map([['position_ids', { dtype: 'I64', shape: [2], bytes: new Uint8Array(16) }]]));
    await expect(readSafetensors(file)).rejects.toThrow('unsupported dtype I64 for tensor position_ids');
  });

  it('validates the header', async () => {
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setUint32(4, 1, true); // 2^32-byte header
    await expect(readSafetensors(huge)).rejects.toThrow(/header claims/);
    await expect(readSafetensors(withHeader(null, 0, '{"a": '))).rejects.toThrow(/not valid JSON/);
    await expect(readSafetensors(withHeader(null, 0, '[1,2]'))).rejects.toThrow(/not a JSON object/);
    const badUtf8 = withHeader(null, 0, '{"x":1}');
    badUtf8[10] = 0xff;
    await expect(readSafetensors(badUtf8)).rejects.toThrow(/UTF-8/);
    await expect(readSafetensors(withHeader({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 4))).rejects
      .toThrow(/needs 8 bytes, its data_offsets span 4/);
    await expect(readSafetensors(withHeader({
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
    }, 8))).rejects.toThrow(/overlap/);
    await expect(readSafetensors(withHeader({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }, 0))).rejects
      .toThrow(/bad shape/);
    await expect(readSafetensors(withHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, 8))).rejects
      .toThrow(/ends before it begins/);
    await expect(readSafetensors(withHeader({ __metadata__: { a: 1 } }, 0))).rejects.toThrow(/__metadata__/);
  });

  it('refuses to write bytes that do not match the shape', async () => {
    expect(() => writeSafetensors(new Map([['a', { dtype: 'float32', shape: [3], bytes: new Uint8Array(8) }]])))
      .toThrow(LoadError);
  });
});
