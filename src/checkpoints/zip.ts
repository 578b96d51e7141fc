import { inflateSync } from 'fflate';
import { LoadError, nameOf } from '../shared/errors';
import { ExpansionBudget, MAX_ZIP_DIRECTORY_BYTES, MAX_ZIP_ENTRIES } from './limits';
import type { ByteSource } from './source';

// A minimal zip directory reader over a ByteSource: the end records and the central directory are
// read as small slices, each entry only when asked. PyTorch writes its archives uncompressed
// ("stored"), so an entry's data is a byte range of the file; deflated entries (a file re-zipped by
// hand) are inflated whole, within the file's ExpansionBudget. Entries must not share bytes.

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
const CRC32_POLY = 0xedb88320;

/** Where one entry lives in the archive. */
export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
  encrypted: boolean;
  /** Where the next entry (or the directory) begins: this entry's bytes must end by then. */
  limit: number;
}

/** A zip file's entries by name. */
export interface ZipDirectory {
  entries: Map<string, ZipEntry>;
}

const damaged = (why: string): LoadError =>
  new LoadError(`truncated or damaged .pth/.bin file: ${why}`, 'truncated');

function u64(view: DataView, at: number): number {
  const v = view.getUint32(at, true) + view.getUint32(at + 4, true) * U32_RANGE;
  if (!Number.isSafeInteger(v)) throw damaged('a 64-bit size is out of range');
  return v;
}

let crcTable: Uint32Array | undefined;
function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? CRC32_POLY ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Lists the entries of a zip archive; refuses duplicate names and entries that overlap. */
export async function listZip(src: ByteSource): Promise<ZipDirectory> {
  const size = src.size;
  if (size < EOCD_MIN_BYTES) throw damaged(`only ${size} bytes`);
  const tailStart = Math.max(0, size - EOCD_MIN_BYTES - MAX_COMMENT_BYTES - ZIP64_LOCATOR_BYTES);
  const tail = await src.read(tailStart, size);
  const tv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let i = tail.byteLength - EOCD_MIN_BYTES; i >= 0; i--) {
    if (tv.getUint32(i, true) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw damaged('the zip directory at the end of the file is missing (was the download cut short?)');
  let count = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  if (count === U16_MAX || cdSize === U32_MAX || cdOffset === U32_MAX) {
    const loc = eocd - ZIP64_LOCATOR_BYTES;
    if (loc < 0 || tv.getUint32(loc, true) !== ZIP64_LOCATOR_SIG) throw damaged('zip64 locator missing');
    const rec = u64(tv, loc + 8);
    if (rec + ZIP64_EOCD_MIN_BYTES > size) throw damaged('zip64 directory record missing');
    const r = await src.read(rec, rec + ZIP64_EOCD_MIN_BYTES);
    const rv = new DataView(r.buffer, r.byteOffset, r.byteLength);
    if (rv.getUint32(0, true) !== ZIP64_EOCD_SIG) throw damaged('zip64 directory record missing');
    count = u64(rv, 32);
    cdSize = u64(rv, 40);
    cdOffset = u64(rv, 48);
  }
  if (cdOffset + cdSize > size) throw damaged('the zip directory points past the end of the file');
  if (cdSize > MAX_ZIP_DIRECTORY_BYTES || count > MAX_ZIP_ENTRIES) {
    throw new LoadError(`the zip directory lists ${count} entries in ${cdSize} bytes; at most ${MAX_ZIP_ENTRIES} entries `
      + `in ${MAX_ZIP_DIRECTORY_BYTES} bytes are read`, 'not-a-checkpoint');
  }
  if (count * CENTRAL_FIXED_BYTES > cdSize) throw damaged(`the zip directory is too small for its ${count} entries`);

  const cd = await src.read(cdOffset, cdOffset + cdSize);
  const view = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const decoder = new TextDecoder();
  const entries = new Map<string, ZipEntry>();
  const spans: { entry: ZipEntry; minEnd: number }[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + CENTRAL_FIXED_BYTES > cd.byteLength || view.getUint32(p, true) !== CENTRAL_SIG) {
      throw damaged(`zip directory entry ${i} is corrupt`);
    }
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    let compressedSize = view.getUint32(p + 20, true);
    let entrySize = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let localHeaderOffset = view.getUint32(p + 42, true);
    const nameStart = p + CENTRAL_FIXED_BYTES;
    const extraStart = nameStart + nameLen;
    const next = extraStart + extraLen + commentLen;
    if (next > cd.byteLength) throw damaged(`zip directory entry ${i} is cut off`);
    const name = decoder.decode(cd.subarray(nameStart, extraStart));
    // Zip64 extra field: only the fields whose 32-bit slot is saturated are present, in this order.
    for (let q = extraStart; q + 4 <= extraStart + extraLen;) {
      const id = view.getUint16(q, true);
      const len = view.getUint16(q + 2, true);
      if (id === ZIP64_EXTRA_ID) {
        let r = q + 4;
        const end = r + len;
        const take = (): number => {
          if (r + 8 > end || end > cd.byteLength) throw damaged(`bad zip64 field for ${nameOf(name)}`);
          const v = u64(view, r);
          r += 8;
          return v;
        };
        if (entrySize === U32_MAX) entrySize = take();
        if (compressedSize === U32_MAX) compressedSize = take();
        if (localHeaderOffset === U32_MAX) localHeaderOffset = take();
      }
      q += 4 + len;
    }
    if (entries.has(name)) throw damaged(`the zip holds two entries named ${nameOf(name)}`);
    const entry: ZipEntry = {
      name, method, compressedSize, size: entrySize, crc32: crc, localHeaderOffset,
      encrypted: (flags & FLAG_ENCRYPTED) !== 0, limit: cdOffset,
    };
    entries.set(name, entry);
    // The least an entry occupies: its local header with the name, then its data.
    spans.push({ entry, minEnd: localHeaderOffset + LOCAL_FIXED_BYTES + nameLen + compressedSize });
    p = next;
  }
  spans.sort((a, b) => a.entry.localHeaderOffset - b.entry.localHeaderOffset);
  for (let i = 0; i < spans.length; i++) {
    const limit = i + 1 < spans.length ? spans[i + 1].entry.localHeaderOffset : cdOffset;
    if (spans[i].minEnd > limit) {
      const other = i + 1 < spans.length ? spans[i + 1].entry.name : 'the zip directory';
      throw damaged(`the entries ${nameOf(spans[i].entry.name)} and ${nameOf(other)} overlap`);
    }
    spans[i].entry.limit = limit;
  }
  return { entries };
}

/** The byte range [start, end) of an entry's (compressed) data, checked against its neighbours. */
export async function zipEntryRange(src: ByteSource, entry: ZipEntry): Promise<{ start: number; end: number }> {
  const h = entry.localHeaderOffset;
  if (h + LOCAL_FIXED_BYTES > src.size) throw damaged(`the header of ${nameOf(entry.name)} is missing`);
  const head = await src.read(h, h + LOCAL_FIXED_BYTES);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (view.getUint32(0, true) !== LOCAL_SIG) throw damaged(`the header of ${nameOf(entry.name)} is missing`);
  if (entry.encrypted) throw new LoadError(`${nameOf(entry.name)} is encrypted`, 'unsupported');
  const start = h + LOCAL_FIXED_BYTES + view.getUint16(26, true) + view.getUint16(28, true);
  const end = start + entry.compressedSize;
  if (end > entry.limit) throw damaged(`the data of ${nameOf(entry.name)} runs into the next entry`);
  return { start, end };
}

/**
 * The uncompressed bytes of one entry. Deflated entries are inflated whole after booking their size
 * in `budget` and must match their CRC-32; stored entries are read as they are.
 */
export async function readZipEntry(src: ByteSource, entry: ZipEntry, budget: ExpansionBudget): Promise<Uint8Array> {
  const { start, end } = await zipEntryRange(src, entry);
  if (entry.method === METHOD_STORED) {
    if (entry.size !== entry.compressedSize) throw damaged(`${nameOf(entry.name)} has inconsistent sizes`);
    return src.read(start, end);
  }
  if (entry.method === METHOD_DEFLATE) {
    if (entry.size > (entry.compressedSize + 1) * MAX_DEFLATE_RATIO) {
      throw damaged(`${nameOf(entry.name)} claims an impossible size`);
    }
    budget.take(entry.size, `inflating ${nameOf(entry.name)}`);
    const raw = await src.read(start, end);
    let out: Uint8Array;
    try {
      out = inflateSync(raw, { out: new Uint8Array(entry.size) });
    } catch {
      throw damaged(`${nameOf(entry.name)} does not decompress`);
    }
    if (out.byteLength !== entry.size || crc32(out) !== entry.crc32) {
      throw damaged(`${nameOf(entry.name)} decompresses to other bytes than its checksum says`);
    }
    return out;
  }
  throw new LoadError(`${nameOf(entry.name)} uses zip compression method ${entry.method}, which is not supported`, 'unsupported');
}
