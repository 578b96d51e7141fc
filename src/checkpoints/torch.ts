import { ITEM_SIZE, numel } from './dtypes';
import { PyOpaque, PyTuple, TensorRef, refusal, torchPersistentLoad, unpickle } from './pickle';
import { CheckpointError, type StoredTensor } from './types';
import { listZip, readZipEntry, type ZipEntry } from './zip';

/** The tensors of a PyTorch checkpoint plus what else the file told us. */
export interface TorchCheckpoint {
  tensors: Map<string, StoredTensor>;
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
/** No MAE tensor comes near this; a strided view claiming more (e.g. via zero strides) is hostile. */
const MAX_GATHER_BYTES = 2 ** 30;
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

function listNames(names: string[]): string {
  const shown = names.slice(0, LIST_LIMIT).join(', ');
  return names.length > LIST_LIMIT ? `${shown} and ${names.length - LIST_LIMIT} more` : shown;
}

/** Finds `<top>/data.pkl`; the top folder is 'archive' or the file's stem, depending on who saved it. */
function findPickle(entries: Map<string, ZipEntry>): { pkl: ZipEntry; prefix: string } {
  const candidates = [...entries.values()].filter((e) =>
    e.name === PICKLE_NAME || (e.name.endsWith(`/${PICKLE_NAME}`) && e.name.split('/').length === 2));
  if (candidates.length === 0) {
    throw new CheckpointError('not a PyTorch checkpoint: the zip file has no data.pkl inside', 'not-a-checkpoint');
  }
  if (candidates.length > 1) {
    throw new CheckpointError(
      `not a PyTorch checkpoint: the zip file holds several (${candidates.map((c) => c.name).join(', ')})`, 'not-a-checkpoint');
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

/** Copies a strided view into contiguous bytes, one element at a time (rare: state dicts are contiguous). */
function gather(storage: Uint8Array, t: TensorRef, itemSize: number): Uint8Array {
  const n = numel(t.shape);
  const out = new Uint8Array(n * itemSize);
  const rank = t.shape.length;
  const index = new Array<number>(rank).fill(0);
  let src = t.offset;
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

/** Reads a PyTorch zip checkpoint (`torch.save`, PyTorch >= 1.6): `{"model": sd}`, `{"state_dict": sd}` or a bare state dict. */
export function readTorchCheckpoint(bytes: Uint8Array): TorchCheckpoint {
  const entries = listZip(bytes);
  const { pkl, prefix } = findPickle(entries);
  const byteorder = entries.get(`${prefix}byteorder`);
  if (byteorder && new TextDecoder().decode(readZipEntry(bytes, byteorder)).trim() === 'big') {
    throw new CheckpointError('this checkpoint was saved on a big-endian machine, which is not supported', 'unsupported');
  }
  const root = unpickle(readZipEntry(bytes, pkl), torchPersistentLoad());
  const notes: string[] = [];

  if (root instanceof PyOpaque) throw refusal(root.origin);
  if (!(root instanceof Map)) {
    throw new CheckpointError(`not a state dict: the checkpoint holds a ${describe(root)}, not a dict of tensors`, 'not-a-checkpoint');
  }
  let sd: Map<unknown, unknown> = root;
  const wrapper = WRAPPER_KEYS.find((k) => root.has(k));
  if (wrapper !== undefined) {
    const inner = root.get(wrapper);
    if (inner instanceof PyOpaque) throw refusal(inner.origin);
    if (!(inner instanceof Map)) {
      throw new CheckpointError(`not a state dict: '${wrapper}' holds a ${describe(inner)}, not a dict of tensors`, 'not-a-checkpoint');
    }
    sd = inner;
    const others = [...root.keys()].filter((k) => k !== wrapper).map(String);
    if (others.length > 0) notes.push(`read '${wrapper}' from the checkpoint; ignored ${listNames(others)}`);
  }

  let args: TorchCheckpoint['args'];
  const rawArgs = wrapper !== undefined ? root.get(ARGS_KEY) : undefined;
  if (rawArgs instanceof PyOpaque && rawArgs.origin === NAMESPACE && rawArgs.state instanceof Map) {
    args = {};
    for (const [k, v] of rawArgs.state) {
      if (typeof k === 'string' && (v === null || ['string', 'number', 'boolean'].includes(typeof v))) {
        args[k] = v as string | number | boolean | null;
      }
    }
  }

  const storages = new Map<string, Uint8Array>();
  const storageBytes = (key: string): Uint8Array => {
    let b = storages.get(key);
    if (!b) {
      const entry = entries.get(`${prefix}data/${key}`);
      if (!entry) throw new CheckpointError(`damaged .pth/.bin file: storage ${key} is missing from the archive`);
      b = readZipEntry(bytes, entry);
      storages.set(key, b);
    }
    return b;
  };

  const tensors = new Map<string, StoredTensor>();
  const unsupported = new Map<string, string>();
  for (const [key, value] of sd) {
    if (typeof key !== 'string') {
      throw new CheckpointError(`not a state dict: it has a ${describe(key)} key, not a tensor name`, 'not-a-checkpoint');
    }
    if (value instanceof PyOpaque) throw refusal(value.origin);
    if (!(value instanceof TensorRef)) {
      throw new CheckpointError(`not a state dict: entry '${key}' is a ${describe(value)}, not a tensor`, 'not-a-checkpoint');
    }
    const dtype = value.storage.dtype;
    if (dtype === undefined) {
      unsupported.set(key, value.storage.dtypeName);
      continue;
    }
    const itemSize = ITEM_SIZE[dtype];
    const n = numel(value.shape);
    const storage = storageBytes(value.storage.key);
    let last = value.offset;
    for (let d = 0; d < value.shape.length; d++) last += (value.shape[d] - 1) * value.stride[d];
    if (n > 0 && (last + 1) * itemSize > storage.byteLength) {
      throw new CheckpointError(
        `damaged .pth/.bin file: tensor ${key} reads past the end of its storage (${storage.byteLength} bytes)`);
    }
    const contiguous = isContiguous(value.shape, value.stride);
    if (!contiguous && n * itemSize > MAX_GATHER_BYTES) {
      throw new CheckpointError(`damaged .pth/.bin file: tensor ${key} is a strided view of ${n} elements`);
    }
    const data = n === 0 ? new Uint8Array(0)
      : contiguous
        ? storage.subarray(value.offset * itemSize, (value.offset + n) * itemSize)
        : gather(storage, value, itemSize);
    tensors.set(key, { dtype, shape: [...value.shape], bytes: data });
  }
  return { tensors, unsupported, args, notes };
}
