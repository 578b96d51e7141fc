import { LoadError } from '../shared/errors';
import type { StoredDType, StoredTensor } from './types';

/** Bytes per element of each stored dtype. */
export const ITEM_SIZE: Readonly<Record<StoredDType, number>> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
};

const F32_BYTES = 4;
const F16_SIGN = 0x8000;
const F16_EXP_MASK = 0x7c00;
const F16_MANT_MASK = 0x03ff;
const F16_MANT_BITS = 10;
const F16_EXP_MAX = 0x1f;
const F16_QUIET_BIT = 0x0200;
const F16_TABLE_SIZE = 0x10000;
const F32_EXP_SHIFT = 23;
const F32_EXP_MAX = 0xff;
const F32_MANT_MASK = 0x7fffff;
const F32_IMPLICIT_ONE = 0x800000;
const F32_INF_BITS = 0x7f800000;
/** f32 bias 127 minus f16 bias 15: re-biases an exponent between the two formats. */
const EXP_BIAS_DIFF = 112;
/** f32 has 23 mantissa bits, f16 has 10: 13 are dropped. */
const MANT_SHIFT = F32_EXP_SHIFT - F16_MANT_BITS;
/** Shift that turns a full f32 significand (with implicit 1) into f16 subnormal units at e = 0. */
const SUBNORMAL_SHIFT_AT_E0 = 14;
/** Below this re-biased exponent a value is under half the smallest f16 subnormal (2^-25). */
const F16_UNDERFLOW_E = -10;
/** Smallest f16 subnormal, 2^-24. */
const F16_SUBNORMAL_UNIT = 2 ** -24;
const BF16_SHIFT = 16;
const BF16_ROUND_HALF = 0x7fff;
const BF16_QUIET_NAN = 0x7fc0;

/** True when the host stores multi-byte numbers little-endian (every browser in practice). */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let f16Table: Uint32Array | undefined;

/** f16 bit pattern -> f32 bit pattern, exact for every input incl. subnormals, inf and NaN payloads. */
function f16BitsToF32Bits(h: number): number {
  const sign = (h & F16_SIGN) << BF16_SHIFT;
  const exp = (h & F16_EXP_MASK) >> F16_MANT_BITS;
  const mant = h & F16_MANT_MASK;
  if (exp === F16_EXP_MAX) return (sign | F32_INF_BITS | (mant << MANT_SHIFT)) >>> 0;
  if (exp === 0) {
    // Subnormal or zero: the value is mant * 2^-24, exactly representable in f32.
    scratchF32[0] = mant * F16_SUBNORMAL_UNIT;
    return (sign | scratchU32[0]) >>> 0;
  }
  return (sign | ((exp + EXP_BIAS_DIFF) << F32_EXP_SHIFT) | (mant << MANT_SHIFT)) >>> 0;
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** A 64k-entry lookup table (256 KiB) makes half-precision checkpoints convert at memory speed. */
function getF16Table(): Uint32Array {
  if (!f16Table) {
    f16Table = new Uint32Array(F16_TABLE_SIZE);
    for (let h = 0; h < F16_TABLE_SIZE; h++) f16Table[h] = f16BitsToF32Bits(h);
  }
  return f16Table;
}

/** Decodes one IEEE half-precision bit pattern to a number. */
export function float16BitsToNumber(h: number): number {
  scratchU32[0] = getF16Table()[h & (F16_TABLE_SIZE - 1)];
  return scratchF32[0];
}

/** Decodes one bfloat16 bit pattern to a number. */
export function bfloat16BitsToNumber(b: number): number {
  scratchU32[0] = ((b & (F16_TABLE_SIZE - 1)) << BF16_SHIFT) >>> 0;
  return scratchF32[0];
}

/** Encodes a number as an IEEE half-precision bit pattern, rounding to nearest even. */
export function numberToFloat16Bits(v: number): number {
  scratchF32[0] = v;
  const x = scratchU32[0];
  const sign = (x >>> BF16_SHIFT) & F16_SIGN;
  const exp = (x >>> F32_EXP_SHIFT) & F32_EXP_MAX;
  let mant = x & F32_MANT_MASK;
  if (exp === F32_EXP_MAX) {
    // Keep NaN a NaN (quiet bit set so a payload in the dropped bits cannot turn it into inf).
    return sign | F16_EXP_MASK | (mant ? F16_QUIET_BIT | (mant >>> MANT_SHIFT) : 0);
  }
  const e = exp - EXP_BIAS_DIFF;
  if (e >= F16_EXP_MAX) return sign | F16_EXP_MASK;
  if (e <= 0) {
    if (e < F16_UNDERFLOW_E) return sign;
    mant |= F32_IMPLICIT_ONE;
    const shift = SUBNORMAL_SHIFT_AT_E0 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << F16_MANT_BITS) | (mant >>> MANT_SHIFT);
  const rem = mant & ((1 << MANT_SHIFT) - 1);
  const half = 1 << (MANT_SHIFT - 1);
  // A carry out of the mantissa correctly bumps the exponent, up to inf.
  if (rem > half || (rem === half && (h & 1))) h++;
  return sign | h;
}

/** Encodes a number as a bfloat16 bit pattern, rounding to nearest even. */
export function numberToBfloat16Bits(v: number): number {
  scratchF32[0] = v;
  const x = scratchU32[0];
  if (Number.isNaN(v)) return ((x >>> BF16_SHIFT) & F16_SIGN) | BF16_QUIET_NAN;
  return ((x + BF16_ROUND_HALF + ((x >>> BF16_SHIFT) & 1)) >>> BF16_SHIFT) & (F16_TABLE_SIZE - 1);
}

function encode16(data: Float32Array, enc: (v: number) => number): Uint8Array {
  const out = new Uint8Array(data.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setUint16(i * 2, enc(data[i]), true);
  return out;
}

/** float32 values -> little-endian IEEE half-precision bytes (round to nearest even). */
export function float32ToFloat16Bytes(data: Float32Array): Uint8Array {
  return encode16(data, numberToFloat16Bits);
}

/** float32 values -> little-endian bfloat16 bytes (round to nearest even). */
export function float32ToBfloat16Bytes(data: Float32Array): Uint8Array {
  return encode16(data, numberToBfloat16Bits);
}

/** float32 values -> little-endian float32 bytes (a copy). */
export function float32ToBytes(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length * F32_BYTES);
  if (HOST_LITTLE_ENDIAN) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  } else {
    const view = new DataView(out.buffer);
    for (let i = 0; i < data.length; i++) view.setFloat32(i * F32_BYTES, data[i], true);
  }
  return out;
}

/** Number of elements of a shape (1 for a scalar). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Little-endian u16 words of `bytes`, copying only when the offset is unaligned or the host is big-endian. */
function u16Words(bytes: Uint8Array, n: number): Uint16Array {
  if (HOST_LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) {
    return new Uint16Array(bytes.buffer, bytes.byteOffset, n);
  }
  const out = new Uint16Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) out[i] = view.getUint16(i * 2, true);
  return out;
}

/**
 * Converts a stored tensor to float32. A float32 tensor at an aligned offset is returned as a view
 * into the same memory (no copy, so a large checkpoint is not held twice): copy before mutating it
 * or transferring its buffer.
 */
export function toFloat32(t: StoredTensor): Float32Array {
  const n = numel(t.shape);
  const itemSize = ITEM_SIZE[t.dtype];
  if (itemSize === undefined) throw new LoadError(`unsupported dtype ${String(t.dtype)}`, 'unsupported');
  if (t.bytes.byteLength !== n * itemSize) {
    throw new LoadError(
      `tensor of shape [${t.shape.join(',')}] ${t.dtype} needs ${n * itemSize} bytes, has ${t.bytes.byteLength}`);
  }
  switch (t.dtype) {
    case 'float32': {
      if (HOST_LITTLE_ENDIAN && t.bytes.byteOffset % F32_BYTES === 0) {
        return new Float32Array(t.bytes.buffer, t.bytes.byteOffset, n);
      }
      const out = new Float32Array(n);
      if (HOST_LITTLE_ENDIAN) {
        new Uint8Array(out.buffer).set(t.bytes);
      } else {
        const view = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
        for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * F32_BYTES, true);
      }
      return out;
    }
    case 'float16': {
      const src = u16Words(t.bytes, n);
      const table = getF16Table();
      const bits = new Uint32Array(n);
      for (let i = 0; i < n; i++) bits[i] = table[src[i]];
      return new Float32Array(bits.buffer);
    }
    case 'bfloat16': {
      const src = u16Words(t.bytes, n);
      const bits = new Uint32Array(n);
      for (let i = 0; i < n; i++) bits[i] = src[i] << BF16_SHIFT;
      return new Float32Array(bits.buffer);
    }
  }
}

/** How many values of `data` are NaN or infinite. */
export function countNonFinite(data: Float32Array): number {
  let bad = 0;
  // x - x is 0 for every finite x and NaN for NaN and the infinities.
  for (let i = 0; i < data.length; i++) if (data[i] - data[i] !== 0) bad++;
  return bad;
}
