// Random access to a checkpoint file without holding it: each read is its own small slice of a Blob
// (a dropped File, a cached hub download, `fs.openAsBlob` on the command line), so a 1.3 GB file
// is never read whole into memory.
import { LoadError, nameOf } from '../shared/errors';

/** A file the visitor picked or a download produced: its name (for messages) and its contents. */
export interface CheckpointFile {
  name: string;
  blob: Blob;
}

/** A file's bytes by range; each read returns fresh memory the caller owns. */
export interface ByteSource {
  readonly name: string;
  readonly size: number;
  /** Bytes [start, end); throws a 'truncated' LoadError when the range passes the end of the file. */
  read(start: number, end: number): Promise<Uint8Array>;
}

function checkRange(name: string, size: number, start: number, end: number): void {
  if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end)) {
    throw new LoadError(`damaged file ${nameOf(name)}: a bad byte range ${start}..${end}`);
  }
  if (end > size) {
    throw new LoadError(`truncated or damaged file ${nameOf(name)}: it needs bytes up to ${end}, the file has ${size}`, 'truncated');
  }
}

/** Reads slices of a Blob; a file that changed or vanished since it was picked gives a clear LoadError. */
export function blobSource(file: CheckpointFile): ByteSource {
  const { name, blob } = file;
  return {
    name,
    size: blob.size,
    async read(start, end) {
      checkRange(name, blob.size, start, end);
      try {
        return new Uint8Array(await blob.slice(start, end).arrayBuffer());
      } catch (e) {
        throw new LoadError(`could not read ${nameOf(name)} (${e instanceof Error ? e.message : 'read failed'}); `
          + 'was it moved or changed?');
      }
    },
  };
}

/** A source over bytes already in memory (tests, tools); reads are views, not copies. */
export function bytesSource(name: string, bytes: Uint8Array): ByteSource {
  return {
    name,
    size: bytes.byteLength,
    async read(start, end) {
      checkRange(name, bytes.byteLength, start, end);
      return bytes.subarray(start, end);
    },
  };
}

/** The whole of a small file (config.json), refused above `maxBytes`. */
export async function readSmallFile(file: CheckpointFile, maxBytes: number): Promise<Uint8Array> {
  if (file.blob.size > maxBytes) {
    throw new LoadError(`${nameOf(file.name)} is ${file.blob.size} bytes, more than the ${maxBytes} such a file may have`, 'not-a-checkpoint');
  }
  return blobSource(file).read(0, file.blob.size);
}
