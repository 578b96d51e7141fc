import { LoadError, nameOf } from '../shared/errors';
import { ITEM_SIZE, numel } from './dtypes';
import { MAX_HEADER_BYTES } from './limits';
import type { ByteSource } from './source';
import type { StoredDType, TensorEntry } from './types';

/** Bytes of the little-endian u64 that prefixes the JSON header. */
const LENGTH_PREFIX_BYTES = 8;
const U32_RANGE = 2 ** 32;
/** The reference writer pads the header with spaces to this alignment so tensor data is aligned. */
const HEADER_ALIGN = 8;
const SPACE = 0x20;
const METADATA_KEY = '__metadata__';

/** safetensors dtype names for the dtypes we read. */
const STORED_TO_SAFETENSORS: Readonly<Record<StoredDType, string>> = {
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
};
const SAFETENSORS_TO_STORED: Readonly<Record<string, StoredDType>> = {
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
};
/** Item sizes of every dtype the format defines, so spans of tensors we cannot read are still checked. */
const SAFETENSORS_ITEM_SIZE: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8,
};

/** A parsed safetensors file: each tensor is read from its own slice of the file when asked. */
export interface SafetensorsFile {
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
}

/** A parsed file plus the tensors whose dtype we cannot convert (name -> safetensors dtype). */
export interface LenientSafetensorsFile extends SafetensorsFile {
  unsupported: Map<string, string>;
}

/** A tensor to write: `dtype` is a stored dtype or a raw safetensors dtype name such as 'I64'. */
export interface TensorToWrite {
  dtype: StoredDType | string;
  shape: number[];
  bytes: Uint8Array;
}

function fail(why: string): never {
  throw new LoadError(`not a valid safetensors file: ${why}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Plain assignment would treat a tensor named "__proto__" as the prototype. */
function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

/**
 * The first key that appears twice at the top level of a JSON object text (already known to be valid
 * JSON), or null. JSON.parse keeps the last of two equal keys silently; a safetensors file must not.
 */
export function duplicateTopLevelKey(text: string): string | null {
  const seen = new Set<string>();
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const stringEnd = (from: number): number => {
    let j = from + 1;
    while (j < text.length && text.charCodeAt(j) !== QUOTE) j += text.charCodeAt(j) === BACKSLASH ? 2 : 1;
    return j + 1;
  };
  ws();
  if (text.charCodeAt(i) !== OPEN_BRACE) return null;
  i++;
  for (;;) {
    ws();
    if (text.charCodeAt(i) !== QUOTE) return null; // '}' of an empty object
    const end = stringEnd(i);
    const key = JSON.parse(text.slice(i, end)) as string;
    if (seen.has(key)) return key;
    seen.add(key);
    i = end;
    ws();
    if (text.charCodeAt(i) !== COLON) return null;
    i++;
    // Skip the value: strings whole, brackets by depth.
    let depth = 0;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) i = stringEnd(i) - 1;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (depth === 0) return null; // end of the top-level object
        depth--;
      } else if (c === COMMA && depth === 0) break;
    }
    if (i >= text.length) return null;
    i++; // the comma
  }
}

/** Parses a safetensors file; tensors are read later, each from its slice. Throws on any dtype other than F32/F16/BF16. */
export async function readSafetensors(src: ByteSource): Promise<SafetensorsFile> {
  const parsed = await readSafetensorsLenient(src);
  const first = parsed.unsupported.entries().next();
  if (!first.done) {
    const [name, dtype] = first.value;
    throw new LoadError(`unsupported dtype ${nameOf(dtype)} for tensor ${nameOf(name)}`, 'unsupported');
  }
  return { tensors: parsed.tensors, metadata: parsed.metadata };
}

/** Like readSafetensors, but tensors of other dtypes are listed in `unsupported` instead of failing. */
export async function readSafetensorsLenient(src: ByteSource): Promise<LenientSafetensorsFile> {
  if (src.size < LENGTH_PREFIX_BYTES) {
    throw new LoadError(
      `truncated: the file has ${src.size} bytes, too few for a safetensors header`, 'truncated');
  }
  const prefix = await src.read(0, LENGTH_PREFIX_BYTES);
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  const headerLen = view.getUint32(0, true) + view.getUint32(4, true) * U32_RANGE;
  if (headerLen > MAX_HEADER_BYTES) {
    fail(`the header claims ${headerLen} bytes (over ${MAX_HEADER_BYTES})`);
  }
  const dataStart = LENGTH_PREFIX_BYTES + headerLen;
  if (dataStart > src.size) {
    throw new LoadError(
      `truncated: the header says ${dataStart} bytes, file has ${src.size}`, 'truncated');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await src.read(LENGTH_PREFIX_BYTES, dataStart));
  } catch (e) {
    if (e instanceof LoadError) throw e;
    fail('the header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    fail('the header is not valid JSON');
  }
  if (!isObject(header)) fail('the header is not a JSON object');
  const twice = duplicateTopLevelKey(text);
  if (twice !== null) fail(`the header names ${nameOf(twice)} twice`);

  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      if (!isObject(raw)) fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string') fail(`__metadata__.${nameOf(k)} is not a string`);
        setOwn(metadata, k, v);
      }
      continue;
    }
    const shown = nameOf(name);
    if (!isObject(raw)) fail(`entry ${shown} is not an object`);
    const { dtype, shape, data_offsets: offsets } = raw;
    if (typeof dtype !== 'string') fail(`tensor ${shown} has no dtype`);
    if (!Array.isArray(shape) || !shape.every(isNonNegInt)) fail(`tensor ${shown} has a bad shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegInt)) {
      fail(`tensor ${shown} has bad data_offsets`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) fail(`tensor ${shown} ends before it begins (${begin} > ${end})`);
    const itemSize = Object.hasOwn(SAFETENSORS_ITEM_SIZE, dtype) ? SAFETENSORS_ITEM_SIZE[dtype] : undefined;
    if (itemSize === undefined) {
      // Unknown dtype: the span cannot be checked against the shape, but must still fit.
      entries.push({ name, dtype, shape: shape as number[], begin, end });
      continue;
    }
    const expected = numel(shape as number[]) * itemSize;
    if (expected !== end - begin) {
      fail(`tensor ${shown} of shape [${(shape as number[]).join(',')}] ${dtype} needs ${expected} bytes, `
        + `its data_offsets span ${end - begin}`);
    }
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }

  const dataLen = src.size - dataStart;
  let maxEnd = 0;
  for (const e of entries) maxEnd = Math.max(maxEnd, e.end);
  if (maxEnd > dataLen) {
    throw new LoadError(
      `truncated: the header says ${dataStart + maxEnd} bytes, file has ${src.size}`, 'truncated');
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end) {
      fail(`tensors ${nameOf(sorted[i - 1].name)} and ${nameOf(sorted[i].name)} overlap`);
    }
  }

  const tensors = new Map<string, TensorEntry>();
  const unsupported = new Map<string, string>();
  for (const e of entries) {
    const stored = Object.hasOwn(SAFETENSORS_TO_STORED, e.dtype) ? SAFETENSORS_TO_STORED[e.dtype] : undefined;
    if (stored === undefined) {
      unsupported.set(e.name, e.dtype);
      continue;
    }
    tensors.set(e.name, {
      dtype: stored,
      shape: e.shape,
      read: () => src.read(dataStart + e.begin, dataStart + e.end),
    });
  }
  return { tensors, metadata, unsupported };
}

/** Serialises tensors (in map order) and optional string metadata into a safetensors file. */
export function writeSafetensors(
  tensors: Map<string, TensorToWrite>,
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === METADATA_KEY) throw new LoadError(`${METADATA_KEY} cannot be a tensor name`);
    const dtype = STORED_TO_SAFETENSORS[t.dtype as StoredDType] ?? t.dtype;
    const itemSize = SAFETENSORS_ITEM_SIZE[dtype] ?? ITEM_SIZE[t.dtype as StoredDType];
    if (itemSize === undefined) throw new LoadError(`unsupported dtype ${dtype} for tensor ${name}`, 'unsupported');
    const expected = numel(t.shape) * itemSize;
    if (t.bytes.byteLength !== expected) {
      throw new LoadError(
        `tensor ${name} of shape [${t.shape.join(',')}] ${dtype} needs ${expected} bytes, got ${t.bytes.byteLength}`);
    }
    setOwn(header, name, { dtype, shape: t.shape, data_offsets: [offset, offset + expected] });
    offset += expected;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / HEADER_ALIGN) * HEADER_ALIGN;
  const out = new Uint8Array(LENGTH_PREFIX_BYTES + padded + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, padded % U32_RANGE, true);
  view.setUint32(4, Math.floor(padded / U32_RANGE), true);
  out.set(json, LENGTH_PREFIX_BYTES);
  out.fill(SPACE, LENGTH_PREFIX_BYTES + json.byteLength, LENGTH_PREFIX_BYTES + padded);
  let pos = LENGTH_PREFIX_BYTES + padded;
  for (const t of tensors.values()) {
    out.set(t.bytes, pos);
    pos += t.bytes.byteLength;
  }
  return out;
}
