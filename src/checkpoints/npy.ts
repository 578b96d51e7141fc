import { numel } from './dtypes';
import { LoadError } from '../shared/errors';

/** Element types readNpy understands. */
export type NpyDType = 'float32' | 'int32' | 'int64' | 'float64';

/** A NumPy array read from a .npy file (C order, host-endian copy of the data). */
export type NpyArray =
  | { dtype: 'float32'; shape: number[]; data: Float32Array }
  | { dtype: 'int32'; shape: number[]; data: Int32Array }
  | { dtype: 'int64'; shape: number[]; data: BigInt64Array }
  | { dtype: 'float64'; shape: number[]; data: Float64Array };

/** "\x93NUMPY" */
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
const VERSION_OFFSET = 6;
const HEADER_LEN_OFFSET = 8;
/** Version 1 stores the header length as u16, versions 2 and 3 as u32. */
const V1_PREFIX_BYTES = 10;
const V2_PREFIX_BYTES = 12;
const MAX_VERSION = 3;

const DESCR: Readonly<Record<string, { dtype: NpyDType; itemSize: number }>> = {
  '<f4': { dtype: 'float32', itemSize: 4 },
  '<i4': { dtype: 'int32', itemSize: 4 },
  '<i8': { dtype: 'int64', itemSize: 8 },
  '<f8': { dtype: 'float64', itemSize: 8 },
};

function fail(why: string): never {
  throw new LoadError(`not a valid .npy file: ${why}`);
}

/** Reads a NumPy .npy file (v1-v3, little-endian, C order) into a typed array. */
export function readNpy(bytes: Uint8Array): NpyArray {
  if (bytes.byteLength < V1_PREFIX_BYTES || MAGIC.some((b, i) => bytes[i] !== b)) fail('bad magic');
  const major = bytes[VERSION_OFFSET];
  if (major < 1 || major > MAX_VERSION) fail(`unsupported version ${major}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let prefix = V1_PREFIX_BYTES;
  let headerLen: number;
  if (major === 1) {
    headerLen = view.getUint16(HEADER_LEN_OFFSET, true);
  } else {
    if (bytes.byteLength < V2_PREFIX_BYTES) fail('truncated header');
    headerLen = view.getUint32(HEADER_LEN_OFFSET, true);
    prefix = V2_PREFIX_BYTES;
  }
  const dataStart = prefix + headerLen;
  if (dataStart > bytes.byteLength) fail('truncated header');
  // v3 allows UTF-8 in the header; v1/v2 are latin-1, a subset for the ASCII we parse.
  const header = new TextDecoder(major === MAX_VERSION ? 'utf-8' : 'latin1')
    .decode(bytes.subarray(prefix, dataStart));

  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    fail(`cannot parse header ${JSON.stringify(header.trim())}`);
  }
  if (fortran === 'True') fail('fortran_order arrays are not supported');
  const kind = DESCR[descr];
  if (!kind) fail(`unsupported dtype ${descr} (need little-endian f4, i4, i8 or f8)`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((s) => {
    const n = Number(s.replace(/L$/, ''));
    if (!Number.isSafeInteger(n) || n < 0) fail(`bad shape (${shapeText})`);
    return n;
  });
  const n = numel(shape);
  const byteLen = n * kind.itemSize;
  if (dataStart + byteLen > bytes.byteLength) {
    fail(`truncated: the header says ${dataStart + byteLen} bytes, file has ${bytes.byteLength}`);
  }
  // Copy so the result is aligned and independent of the file buffer.
  const buf = bytes.slice(dataStart, dataStart + byteLen).buffer;
  switch (kind.dtype) {
    case 'float32': return { dtype: 'float32', shape, data: new Float32Array(buf) };
    case 'int32': return { dtype: 'int32', shape, data: new Int32Array(buf) };
    case 'int64': return { dtype: 'int64', shape, data: new BigInt64Array(buf) };
    case 'float64': return { dtype: 'float64', shape, data: new Float64Array(buf) };
  }
}
