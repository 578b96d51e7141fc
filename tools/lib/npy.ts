// NumPy .npy files for the command line's outputs (the reader is src/checkpoints/npy.ts).

/** "\x93NUMPY" then format version 1.0. */
const PREFIX = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0];
/** Magic, version and the u16 header length. */
const PREFIX_BYTES = 10;
/** NumPy pads the header so the data starts on a multiple of this, in bytes. */
const HEADER_ALIGN = 64;
/** Version 1 stores the header length as a u16. */
const MAX_V1_HEADER = 0xffff;

/** `.npy` bytes (version 1.0, little-endian, C order) of a float32 or int32 array with `shape`. */
export function encodeNpy(data: Float32Array | Int32Array, shape: readonly number[]): Uint8Array {
  const size = shape.reduce((a, b) => a * b, 1);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || size !== data.length) {
    throw new RangeError(`shape [${shape}] does not hold ${data.length} values`);
  }
  const descr = data instanceof Float32Array ? '<f4' : '<i4';
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
  const headerLen = Math.ceil((PREFIX_BYTES + dict.length + 1) / HEADER_ALIGN) * HEADER_ALIGN - PREFIX_BYTES;
  if (headerLen > MAX_V1_HEADER) throw new RangeError(`a shape of ${shape.length} dimensions does not fit a .npy v1 header`);
  const out = new Uint8Array(PREFIX_BYTES + headerLen + data.length * 4);
  out.set(PREFIX);
  const view = new DataView(out.buffer);
  view.setUint16(8, headerLen, true);
  const header = dict.padEnd(headerLen - 1, ' ') + '\n';
  for (let i = 0; i < header.length; i++) out[PREFIX_BYTES + i] = header.charCodeAt(i);
  const at = PREFIX_BYTES + headerLen;
  // Written value by value through a DataView: little-endian whatever the host's byte order.
  if (data instanceof Float32Array) for (let i = 0; i < data.length; i++) view.setFloat32(at + 4 * i, data[i], true);
  else for (let i = 0; i < data.length; i++) view.setInt32(at + 4 * i, data[i], true);
  return out;
}
