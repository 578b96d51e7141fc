import { LoadError, nameOf } from '../shared/errors';
import { ITEM_SIZE, numel } from './dtypes';
import { ExpansionBudget, MAX_GATHER_BYTES, MAX_PICKLE_BYTES } from './limits';
import { PyOpaque, PyTuple, TensorRef, keyName, refusal, torchPersistentLoad, unpickle } from './pickle';
import type { ByteSource } from './source';
import type { TensorEntry } from './types';
import { listZip, readZipEntry, zipEntryRange, type ZipEntry } from './zip';

/** The tensors of a PyTorch checkpoint (not yet read) plus what else the file told us. */
export interface TorchCheckpoint {
  tensors: Map<string, TensorEntry>;
  /** State-dict tensors whose dtype we cannot convert: name -> dtype (e.g. 'int64'). */
  unsupported: Map<string, string>;
  /** Plain fields of the argparse.Namespace a training checkpoint keeps under 'args', if any. */
  args?: Record<string, string | number | boolean | null>;
  notes: string[];
}

const PICKLE_NAME = 'data.pkl';
/** Keys under which training scripts nest the model's state dict. */
const WRAPPER_KEYS = ['model', 'state_dict', 'model_state_dict'];
const ARGS_KEY = 'args';
const NAMESPACE = 'argparse.Namespace';
/** The byteorder entry holds "little" or "big"; a longer one is not read. */
const MAX_BYTEORDER_BYTES = 16;
/** How many names to list in a message before "and N more". */
const LIST_LIMIT = 5;

function describe(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof Map) return 'dict';
  if (Array.isArray(v)) return 'list';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof Set) return 'set';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof TensorRef) return 'tensor';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number' || typeof v === 'bigint') return 'number';
  if (typeof v === 'boolean') return 'bool';
  return 'Python object';
}

function listKeys(keys: unknown[]): string {
  const shown = keys.slice(0, LIST_LIMIT).map((k) => (typeof k === 'string' ? nameOf(k) : keyName(k))).join(', ');
  return keys.length > LIST_LIMIT ? `${shown} and ${keys.length - LIST_LIMIT} more` : shown;
}

/** Finds `<top>/data.pkl`; the top folder is 'archive' or the file's stem, depending on who saved it. */
function findPickle(entries: Map<string, ZipEntry>): { pkl: ZipEntry; prefix: string } {
  const candidates = [...entries.values()].filter((e) =>
    e.name === PICKLE_NAME || (e.name.endsWith(`/${PICKLE_NAME}`) && e.name.split('/').length === 2));
  if (candidates.length === 0) {
    throw new LoadError('not a PyTorch checkpoint: the zip file has no data.pkl inside', 'not-a-checkpoint');
  }
  if (candidates.length > 1) {
    throw new LoadError(
      `not a PyTorch checkpoint: the zip file holds several (${listKeys(candidates.map((c) => c.name))})`, 'not-a-checkpoint');
  }
  const pkl = candidates[0];
  return { pkl, prefix: pkl.name.slice(0, pkl.name.length - PICKLE_NAME.length) };
}

/** True when the strides are those of a C-contiguous tensor of this shape (size-1 dims don't count). */
function isContiguous(shape: number[], stride: number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

/**
 * Copies a strided view into contiguous bytes, one element at a time (rare: state dicts are
 * contiguous). `storage` holds the storage's elements from `base` on.
 */
function gather(storage: Uint8Array, base: number, t: TensorRef, itemSize: number): Uint8Array {
  const n = numel(t.shape);
  const out = new Uint8Array(n * itemSize);
  const rank = t.shape.length;
  const index = new Array<number>(rank).fill(0);
  let src = t.offset - base;
  for (let i = 0; i < n; i++) {
    out.set(storage.subarray(src * itemSize, (src + 1) * itemSize), i * itemSize);
    // Odometer increment of the multi-index, moving `src` along the strides.
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      src += t.stride[d];
      if (index[d] < t.shape[d]) break;
      src -= t.stride[d] * t.shape[d];
      index[d] = 0;
    }
  }
  return out;
}

/**
 * Reads a PyTorch zip checkpoint (`torch.save`, PyTorch >= 1.6): `{"model": sd}`, `{"state_dict": sd}`
 * or a bare state dict. Only the zip directory and data.pkl are read here; each tensor's bytes are
 * read from their own slice of the file when its entry's `read()` is called.
 */
export async function readTorchCheckpoint(src: ByteSource, budget = new ExpansionBudget(src.size)): Promise<TorchCheckpoint> {
  const { entries } = await listZip(src);
  const { pkl, prefix } = findPickle(entries);
  const byteorder = entries.get(`${prefix}byteorder`);
  if (byteorder && byteorder.size <= MAX_BYTEORDER_BYTES) {
    const order = new TextDecoder().decode(await readZipEntry(src, byteorder, budget)).trim();
    if (order === 'big') {
      throw new LoadError('this checkpoint was saved on a big-endian machine, which is not supported', 'unsupported');
    }
  }
  if (pkl.size > MAX_PICKLE_BYTES) {
    throw new LoadError(`damaged .pth/.bin file: its data.pkl is ${pkl.size} bytes, more than the ${MAX_PICKLE_BYTES} a `
      + 'checkpoint needs');
  }
  const root = unpickle(await readZipEntry(src, pkl, budget), torchPersistentLoad());
  const notes: string[] = [];

  if (root instanceof PyOpaque) throw refusal(root.origin);
  if (!(root instanceof Map)) {
    throw new LoadError(`not a state dict: the checkpoint holds a ${describe(root)}, not a dict of tensors`, 'not-a-checkpoint');
  }
  let sd: Map<unknown, unknown> = root;
  const wrapper = WRAPPER_KEYS.find((k) => root.has(k));
  if (wrapper !== undefined) {
    const inner = root.get(wrapper);
    if (inner instanceof PyOpaque) throw refusal(inner.origin);
    if (!(inner instanceof Map)) {
      throw new LoadError(`not a state dict: '${wrapper}' holds a ${describe(inner)}, not a dict of tensors`, 'not-a-checkpoint');
    }
    sd = inner;
    const others = [...root.keys()].filter((k) => k !== wrapper);
    if (others.length > 0) notes.push(`read '${wrapper}' from the checkpoint; ignored ${listKeys(others)}`);
  }

  let args: TorchCheckpoint['args'];
  const rawArgs = wrapper !== undefined ? root.get(ARGS_KEY) : undefined;
  if (rawArgs instanceof PyOpaque && rawArgs.origin === NAMESPACE && rawArgs.state instanceof Map) {
    args = {};
    for (const [k, v] of rawArgs.state) {
      if (typeof k === 'string' && (v === null || ['string', 'number', 'boolean'].includes(typeof v))) {
        Object.defineProperty(args, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
    }
  }

  /** Data ranges of stored storages, found on first use (one small read of the local header each). */
  const ranges = new Map<string, Promise<{ start: number; end: number }>>();
  const storageEntry = (key: string): ZipEntry => {
    const entry = entries.get(`${prefix}data/${key}`);
    if (!entry) throw new LoadError(`damaged .pth/.bin file: storage ${nameOf(key)} is missing from the archive`);
    return entry;
  };
  /** Bytes [from, to) of a storage, in elements' bytes. */
  const readStorage = async (entry: ZipEntry, from: number, to: number): Promise<Uint8Array> => {
    if (entry.method !== 0) return (await readZipEntry(src, entry, budget)).slice(from, to);
    let range = ranges.get(entry.name);
    if (!range) {
      range = zipEntryRange(src, entry);
      ranges.set(entry.name, range);
    }
    const { start, end } = await range;
    if (end - start !== entry.size) throw new LoadError(`truncated or damaged .pth/.bin file: ${nameOf(entry.name)} has inconsistent sizes`, 'truncated');
    return src.read(start + from, start + to);
  };

  const tensors = new Map<string, TensorEntry>();
  const unsupported = new Map<string, string>();
  for (const [key, value] of sd) {
    if (typeof key !== 'string') {
      throw new LoadError(`not a state dict: it has a ${describe(key)} key, not a tensor name`, 'not-a-checkpoint');
    }
    if (value instanceof PyOpaque) throw refusal(value.origin);
    if (!(value instanceof TensorRef)) {
      throw new LoadError(`not a state dict: entry '${nameOf(key)}' is a ${describe(value)}, not a tensor`, 'not-a-checkpoint');
    }
    const dtype = value.storage.dtype;
    if (dtype === undefined) {
      unsupported.set(key, value.storage.dtypeName);
      continue;
    }
    const itemSize = ITEM_SIZE[dtype];
    const n = numel(value.shape);
    const entry = storageEntry(value.storage.key);
    // The elements the view touches: [first, last] in storage order (strides are never negative).
    const first = value.offset;
    let last = value.offset;
    for (let d = 0; d < value.shape.length; d++) last += (value.shape[d] - 1) * value.stride[d];
    if (n > 0 && (last + 1) * itemSize > entry.size) {
      throw new LoadError(
        `damaged .pth/.bin file: tensor ${nameOf(key)} reads past the end of its storage (${entry.size} bytes)`);
    }
    const contiguous = isContiguous(value.shape, value.stride);
    if (!contiguous && n * itemSize > MAX_GATHER_BYTES) {
      throw new LoadError(`damaged .pth/.bin file: tensor ${nameOf(key)} is a strided view of ${n} elements`);
    }
    const view = value;
    const read = async (): Promise<Uint8Array> => {
      if (n === 0) return new Uint8Array(0);
      if (contiguous) return readStorage(entry, first * itemSize, (first + n) * itemSize);
      const span = await readStorage(entry, first * itemSize, (last + 1) * itemSize);
      return gather(span, first, view, itemSize);
    };
    tensors.set(key, { dtype, shape: [...value.shape], read });
  }
  return { tensors, unsupported, args, notes };
}
