import { inflateSync } from 'fflate';
import { CheckpointError } from './types';

// A minimal zip directory reader. PyTorch writes its archives uncompressed ("stored"), so entries
// are returned as views into the file: a 1 GB checkpoint is not copied. Deflated entries (a file
// re-zipped by hand) are inflated with fflate.

const EOCD_SIG = 0x06054b50;
const EOCD_MIN_BYTES = 22;
const MAX_COMMENT_BYTES = 0xffff;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_LOCATOR_BYTES = 20;
const ZIP64_EOCD_SIG = 0x06064b50;
const ZIP64_EOCD_MIN_BYTES = 56;
const CENTRAL_SIG = 0x02014b50;
const CENTRAL_FIXED_BYTES = 46;
const LOCAL_SIG = 0x04034b50;
const LOCAL_FIXED_BYTES = 30;
const ZIP64_EXTRA_ID = 0x0001;
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;
const U32_RANGE = 2 ** 32;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
const FLAG_ENCRYPTED = 0x1;
/** DEFLATE cannot expand data by more than about 1032:1; a larger claimed size is a lie. */
const MAX_DEFLATE_RATIO = 1032;

/** Where one entry lives in the archive. */
export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
  encrypted: boolean;
}

const damaged = (why: string): CheckpointError =>
  new CheckpointError(`truncated or damaged .pth/.bin file: ${why}`, 'truncated');

function u64(view: DataView, at: number): number {
  const v = view.getUint32(at, true) + view.getUint32(at + 4, true) * U32_RANGE;
  if (!Number.isSafeInteger(v)) throw damaged('a 64-bit size is out of range');
  return v;
}

function findEocd(bytes: Uint8Array, view: DataView): number {
  const last = bytes.byteLength - EOCD_MIN_BYTES;
  const first = Math.max(0, last - MAX_COMMENT_BYTES);
  for (let i = last; i >= first; i--) {
    if (view.getUint32(i, true) === EOCD_SIG) return i;
  }
  throw damaged('the zip directory at the end of the file is missing (was the download cut short?)');
}

/** Lists the entries of a zip archive by name. */
export function listZip(bytes: Uint8Array): Map<string, ZipEntry> {
  if (bytes.byteLength < EOCD_MIN_BYTES) throw damaged(`only ${bytes.byteLength} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEocd(bytes, view);
  let count = view.getUint16(eocd + 10, true);
  let cdSize = view.getUint32(eocd + 12, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  if (count === U16_MAX || cdSize === U32_MAX || cdOffset === U32_MAX) {
    const loc = eocd - ZIP64_LOCATOR_BYTES;
    if (loc < 0 || view.getUint32(loc, true) !== ZIP64_LOCATOR_SIG) throw damaged('zip64 locator missing');
    const rec = u64(view, loc + 8);
    if (rec + ZIP64_EOCD_MIN_BYTES > bytes.byteLength || view.getUint32(rec, true) !== ZIP64_EOCD_SIG) {
      throw damaged('zip64 directory record missing');
    }
    count = u64(view, rec + 32);
    cdSize = u64(view, rec + 40);
    cdOffset = u64(view, rec + 48);
  }
  if (cdOffset + cdSize > bytes.byteLength) throw damaged('the zip directory points past the end of the file');

  const decoder = new TextDecoder();
  const entries = new Map<string, ZipEntry>();
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + CENTRAL_FIXED_BYTES > bytes.byteLength || view.getUint32(p, true) !== CENTRAL_SIG) {
      throw damaged(`zip directory entry ${i} is corrupt`);
    }
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    let compressedSize = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let localHeaderOffset = view.getUint32(p + 42, true);
    const nameStart = p + CENTRAL_FIXED_BYTES;
    const extraStart = nameStart + nameLen;
    const next = extraStart + extraLen + commentLen;
    if (next > bytes.byteLength) throw damaged(`zip directory entry ${i} is cut off`);
    const name = decoder.decode(bytes.subarray(nameStart, extraStart));
    // Zip64 extra field: only the fields whose 32-bit slot is saturated are present, in this order.
    for (let q = extraStart; q + 4 <= extraStart + extraLen;) {
      const id = view.getUint16(q, true);
      const len = view.getUint16(q + 2, true);
      if (id === ZIP64_EXTRA_ID) {
        let r = q + 4;
        const end = r + len;
        const take = (): number => {
          if (r + 8 > end || end > bytes.byteLength) throw damaged(`bad zip64 field for ${name}`);
          const v = u64(view, r);
          r += 8;
          return v;
        };
        if (size === U32_MAX) size = take();
        if (compressedSize === U32_MAX) compressedSize = take();
        if (localHeaderOffset === U32_MAX) localHeaderOffset = take();
      }
      q += 4 + len;
    }
    entries.set(name, {
      name, method, compressedSize, size, localHeaderOffset,
      encrypted: (flags & FLAG_ENCRYPTED) !== 0,
    });
    p = next;
  }
  return entries;
}

/** The uncompressed bytes of one entry: a view for stored entries, a fresh buffer for deflated ones. */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = entry.localHeaderOffset;
  if (h + LOCAL_FIXED_BYTES > bytes.byteLength || view.getUint32(h, true) !== LOCAL_SIG) {
    throw damaged(`the header of ${entry.name} is missing`);
  }
  if (entry.encrypted) throw new CheckpointError(`${entry.name} is encrypted`, 'unsupported');
  const start = h + LOCAL_FIXED_BYTES + view.getUint16(h + 26, true) + view.getUint16(h + 28, true);
  const end = start + entry.compressedSize;
  if (end > bytes.byteLength) {
    throw damaged(`${entry.name} needs bytes up to ${end}, the file has ${bytes.byteLength}`);
  }
  const raw = bytes.subarray(start, end);
  if (entry.method === METHOD_STORED) {
    if (entry.size !== entry.compressedSize) throw damaged(`${entry.name} has inconsistent sizes`);
    return raw;
  }
  if (entry.method === METHOD_DEFLATE) {
    if (entry.size > (entry.compressedSize + 1) * MAX_DEFLATE_RATIO) {
      throw damaged(`${entry.name} claims an impossible size`);
    }
    let out: Uint8Array;
    try {
      out = inflateSync(raw, { out: new Uint8Array(entry.size) });
    } catch {
      throw damaged(`${entry.name} does not decompress`);
    }
    if (out.byteLength !== entry.size) throw damaged(`${entry.name} decompresses to the wrong size`);
    return out;
  }
  throw new CheckpointError(`${entry.name} uses zip compression method ${entry.method}, which is not supported`, 'unsupported');
}
