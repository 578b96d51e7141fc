import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../../../src/checkpoints/npy';
import { LoadError } from '../../../src/shared/errors';
import { GOLDEN, bytesOf, readBytes } from './helpers';

/** A .npy file with the given header dict text and data bytes. */
function npy(major: number, header: string, data: Uint8Array): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  const padTo = 64;
  const len = Math.ceil((prefix + header.length + 1) / padTo) * padTo - prefix;
  const text = header.padEnd(len - 1, ' ') + '\n';
  const lenBytes = new Uint8Array(major === 1 ? 2 : 4);
  if (major === 1) new DataView(lenBytes.buffer).setUint16(0, len, true);
  else new DataView(lenBytes.buffer).setUint32(0, len, true);
  return bytesOf(0x93, 'NUMPY', major, 0, lenBytes, text, data);
}

describe('readNpy', () => {
  it('reads the golden arrays with the shapes and dtypes of case.json', () => {
    const ids = readNpy(readBytes(path.join(GOLDEN, 'ids_restore.npy')));
    expect(ids.dtype).toBe('int32');
    expect(ids.shape).toEqual([2, 196]);
    // ids_restore is a permutation of 0..195 per row.
    expect([...ids.data.subarray(0, 196)].sort((a, b) => Number(a) - Number(b))).toEqual([...Array(196).keys()]);
    const latent = readNpy(readBytes(path.join(GOLDEN, 'latent.npy')));
    expect(latent).toMatchObject({ dtype: 'float32', shape: [2, 50, 64] });
    expect(latent.data.length).toBe(2 * 50 * 64);
    const loss = readNpy(readBytes(path.join(GOLDEN, 'loss.npy')));
    expect(loss.shape).toEqual([]);
    expect(loss.data[0]).toBeCloseTo(1.9190374612808228, 6);
  });

  it('reads version 2 headers, int64 and float64', () => {
    const i64 = npy(2, "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }",
      new Uint8Array(new BigInt64Array([1n, -2n, 3n]).buffer));
    expect(readNpy(i64)).toMatchObject({ dtype: 'int64', shape: [3] });
    expect(Array.from(readNpy(i64).data as BigInt64Array)).toEqual([1n, -2n, 3n]);
    const f64 = npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }",
      new Uint8Array(new Float64Array([0.1, 2]).buffer));
    expect(Array.from(readNpy(f64).data as Float64Array)).toEqual([0.1, 2]);
  });

  it('copies data so an unaligned input still works', () => {
    const f = npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(new Float32Array([1, 2]).buffer));
    const shifted = new Uint8Array(f.length + 1);
    shifted.set(f, 1);
    expect(Array.from(readNpy(shifted.subarray(1)).data as Float32Array)).toEqual([1, 2]);
  });

  it('refuses fortran order, big-endian, bad magic and truncation', () => {
    const data = new Uint8Array(8);
    expect(() => readNpy(npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", data))).toThrow(/fortran/);
    expect(() => readNpy(npy(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", data))).toThrow(/>f4/);
    expect(() => readNpy(new Uint8Array(20))).toThrow(LoadError);
    const ok = npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data);
    expect(() => readNpy(ok.subarray(0, ok.length - 1))).toThrow(/truncated/);
  });
});
