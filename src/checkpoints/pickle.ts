import { LoadError, nameOf } from '../shared/errors';
import { MAX_PICKLE_LONG_BYTES, MAX_PICKLE_MEMO, MAX_PICKLE_OBJECTS, MAX_TENSOR_RANK } from './limits';
import type { StoredDType } from './types';

// A pickle reader for PyTorch state dicts. It is a data-only interpreter: it never calls anything.
// Globals are resolved against fixed tables; the few a state dict needs are emulated here, a few
// harmless ones that training checkpoints carry next to the weights (argparse.Namespace for 'args',
// numpy scalars in metrics) become inert placeholders, and every other global is refused by name
// before anything else happens.

/** A Python tuple (kept distinct from a list, which is a plain array). */
export class PyTuple {
  constructor(readonly items: readonly unknown[]) {}
}

/** A global the pickle referenced, already checked against the allowlist. */
export class PyGlobal {
  constructor(readonly module: string, readonly name: string, readonly kind: GlobalKind) {}
  get fullName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An object of a known-harmless class that we did not build; `state` holds what BUILD gave it. */
export class PyOpaque {
  state: unknown = undefined;
  constructor(readonly origin: string) {}
}

/** A typed storage that lives in `data/<key>` of the archive. */
export class StorageRef {
  constructor(
    readonly key: string,
    /** Stored dtype, or undefined when the storage type is one we cannot convert. */
    readonly dtype: StoredDType | undefined,
    /** Element type for messages, e.g. 'float32' or 'int64'. */
    readonly dtypeName: string,
  ) {}
}

/** A tensor view onto a storage, as torch._utils._rebuild_tensor_v2 describes it. */
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

type GlobalKind = 'allowed' | 'storage' | 'inert';

const ORDERED_DICT = 'collections.OrderedDict';
const REBUILD_TENSOR = 'torch._utils._rebuild_tensor_v2';
const REBUILD_PARAMETER = 'torch._utils._rebuild_parameter';
const REBUILD_PARAMETER_WITH_STATE = 'torch._utils._rebuild_parameter_with_state';
const ALLOWED = new Set([ORDERED_DICT, REBUILD_TENSOR, REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE]);

/** Storage classes -> element type; only the first three can be converted. */
const STORAGE_DTYPES: Readonly<Record<string, string>> = {
  'torch.FloatStorage': 'float32',
  'torch.HalfStorage': 'float16',
  'torch.BFloat16Storage': 'bfloat16',
  'torch.DoubleStorage': 'float64',
  'torch.LongStorage': 'int64',
  'torch.IntStorage': 'int32',
  'torch.ShortStorage': 'int16',
  'torch.CharStorage': 'int8',
  'torch.ByteStorage': 'uint8',
  'torch.BoolStorage': 'bool',
  'torch.ComplexFloatStorage': 'complex64',
  'torch.ComplexDoubleStorage': 'complex128',
  'torch.UntypedStorage': 'untyped bytes',
};
const CONVERTIBLE: Readonly<Record<string, StoredDType>> = {
  float32: 'float32', float16: 'float16', bfloat16: 'bfloat16',
};

/**
 * Classes found next to the weights in training checkpoints ('args', 'optimizer', metrics). They are
 * never instantiated: they become PyOpaque, and only fail if the model's own tensors need them.
 */
const INERT = new Set([
  'argparse.Namespace',
  '_codecs.encode',
  'numpy.core.multiarray.scalar', 'numpy._core.multiarray.scalar',
  'numpy.core.multiarray._reconstruct', 'numpy._core.multiarray._reconstruct',
  'numpy.dtype', 'numpy.ndarray',
  'builtins.set', 'builtins.frozenset', 'builtins.slice', 'builtins.object',
  // Protocol 2 writes Python 2 module names for these.
  '__builtin__.set', '__builtin__.frozenset', '__builtin__.slice', '__builtin__.object',
  'copyreg._reconstructor', 'copy_reg._reconstructor',
  'pathlib.PosixPath', 'pathlib.WindowsPath',
  'torch.Size', 'torch.float32', 'torch.float16', 'torch.bfloat16',
]);

const OS_ALIASES = new Set(['posix', 'nt']);

/** Message for a global we will not touch; exported so callers name opaque objects the same way. */
export function refusal(fullName: string): LoadError {
  const dot = fullName.lastIndexOf('.');
  const module = fullName.slice(0, dot);
  const name = fullName.slice(dot + 1);
  const shown = nameOf(fullName);
  // os.system pickles as posix.system (nt.system on Windows); say the name people know too.
  const alias = OS_ALIASES.has(module) ? ` (os.${name})` : '';
  // A capitalised class from some project usually means torch.save(model) instead of its state dict.
  const hint = /^[A-Z]/.test(name) ? ' (save model.state_dict() rather than the whole model object)' : '';
  return new LoadError(
    `refusing to load: the pickle asks for ${shown}${alias}, which a checkpoint does not need${hint}`);
}

function resolveGlobal(module: string, name: string): PyGlobal {
  const full = `${module}.${name}`;
  if (ALLOWED.has(full)) return new PyGlobal(module, name, 'allowed');
  if (Object.hasOwn(STORAGE_DTYPES, full)) return new PyGlobal(module, name, 'storage');
  if (INERT.has(full)) return new PyGlobal(module, name, 'inert');
  throw refusal(full);
}

const damaged = (why: string): LoadError =>
  new LoadError(`damaged .pth/.bin file: the pickle ${why}`);

// Opcodes (see CPython Lib/pickletools.py).
const OP = {
  PROTO: 0x80, FRAME: 0x95, STOP: 0x2e,
  EMPTY_DICT: 0x7d, EMPTY_LIST: 0x5d, EMPTY_TUPLE: 0x29, EMPTY_SET: 0x8f,
  DICT: 0x64, LIST: 0x6c, TUPLE: 0x74, TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87,
  ADDITEMS: 0x90, FROZENSET: 0x91,
  MARK: 0x28, POP: 0x30, POP_MARK: 0x31, DUP: 0x32,
  BINUNICODE: 0x58, SHORT_BINUNICODE: 0x8c, BINUNICODE8: 0x8d,
  BINSTRING: 0x54, SHORT_BINSTRING: 0x55,
  BINBYTES: 0x42, SHORT_BINBYTES: 0x43, BINBYTES8: 0x8e,
  BININT: 0x4a, BININT1: 0x4b, BININT2: 0x4d, LONG1: 0x8a, LONG4: 0x8b, BINFLOAT: 0x47,
  NEWTRUE: 0x88, NEWFALSE: 0x89, NONE: 0x4e,
  SETITEM: 0x73, SETITEMS: 0x75, APPEND: 0x61, APPENDS: 0x65,
  BINPUT: 0x71, LONG_BINPUT: 0x72, BINGET: 0x68, LONG_BINGET: 0x6a, MEMOIZE: 0x94,
  GLOBAL: 0x63, STACK_GLOBAL: 0x93, INST: 0x69,
  REDUCE: 0x52, BUILD: 0x62, NEWOBJ: 0x81, NEWOBJ_EX: 0x92,
  BINPERSID: 0x51,
} as const;

const HIGHEST_PROTOCOL = 5;
const FRAME_LEN_BYTES = 8;
const NEWLINE = 0x0a;
const BITS_PER_BYTE = 8n;
const U32_RANGE = 2 ** 32;

/** Called for BINPERSID: turns a persistent id into a value (PyTorch uses it for storages). */
export type PersistentLoad = (pid: unknown) => unknown;

/** Runs a pickle program without executing any Python; returns the value STOP leaves on the stack. */
export function unpickle(bytes: Uint8Array, persistentLoad: PersistentLoad): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8');
  const latin1 = new TextDecoder('latin1');
  let pos = 0;
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let objects = 0;
  /** Pushes a value, counting it against MAX_PICKLE_OBJECTS (every value, so DUP cannot grow the stack unbounded). */
  const made = (v: unknown): void => {
    if (++objects > MAX_PICKLE_OBJECTS) throw damaged(`makes more than ${MAX_PICKLE_OBJECTS} objects`);
    stack.push(v);
  };
  const remember = (k: number): void => {
    if (!memo.has(k) && memo.size >= MAX_PICKLE_MEMO) throw damaged(`memoizes more than ${MAX_PICKLE_MEMO} objects`);
    memo.set(k, top());
  };

  const need = (n: number): number => {
    if (n < 0 || pos + n > bytes.byteLength) throw damaged('ends before its STOP opcode');
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = (): number => bytes[need(1)];
  const u16 = (): number => view.getUint16(need(2), true);
  const u32 = (): number => view.getUint32(need(4), true);
  const u64 = (): number => {
    const lo = u32();
    const hi = u32();
    return lo + hi * U32_RANGE;
  };
  const take = (n: number): Uint8Array => {
    const at = need(n);
    return bytes.subarray(at, at + n);
  };
  const line = (): string => {
    const end = bytes.indexOf(NEWLINE, pos);
    if (end < 0) throw damaged('ends inside a GLOBAL name');
    const s = utf8.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1])) {
      throw damaged(`pops an empty stack at byte ${pos - 1}`);
    }
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) throw damaged(`reads an empty stack at byte ${pos - 1}`);
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) throw damaged(`has no MARK for the opcode at byte ${pos - 1}`);
    return stack.splice(m);
  };
  const signedLong = (b: Uint8Array): number | bigint => {
    if (b.length > MAX_PICKLE_LONG_BYTES) throw damaged(`holds a ${b.length}-byte integer`);
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << BITS_PER_BYTE) | BigInt(b[i]);
    if (b.length > 0 && b[b.length - 1] & 0x80) v -= 1n << (BigInt(b.length) * BITS_PER_BYTE);
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v;
  };
  const setItems = (target: unknown, kv: unknown[]): void => {
    if (kv.length % 2 !== 0) throw damaged('has an odd number of dict items');
    if (target instanceof PyOpaque) return;
    if (!(target instanceof Map)) throw damaged('sets items on something that is not a dict');
    for (let i = 0; i < kv.length; i += 2) {
      // A pickler writes each key once; a second value for one key would hide the first unchecked.
      if (target.has(kv[i])) throw damaged(`sets the key ${keyName(kv[i])} twice`);
      target.set(kv[i], kv[i + 1]);
    }
  };
  const appendItems = (target: unknown, items: unknown[]): void => {
    if (target instanceof PyOpaque) return;
    if (!Array.isArray(target)) throw damaged('appends to something that is not a list');
    for (const it of items) target.push(it);
  };

  for (;;) {
    const opAt = pos;
    const op = u8();
    switch (op) {
      case OP.PROTO: {
        const v = u8();
        if (v > HIGHEST_PROTOCOL) throw damaged(`uses protocol ${v}`);
        break;
      }
      case OP.FRAME: need(FRAME_LEN_BYTES); break;
      case OP.STOP: {
        const result = pop();
        return result;
      }
      case OP.EMPTY_DICT: made(new Map()); break;
      case OP.EMPTY_LIST: made([]); break;
      case OP.EMPTY_TUPLE: made(new PyTuple([])); break;
      case OP.EMPTY_SET: made(new Set()); break;
      case OP.MARK:
        if (++objects > MAX_PICKLE_OBJECTS) throw damaged(`makes more than ${MAX_PICKLE_OBJECTS} objects`);
        marks.push(stack.length);
        break;
      case OP.POP: pop(); break;
      case OP.POP_MARK: popMark(); break;
      case OP.DUP: made(top()); break;
      case OP.DICT: {
        const m = new Map();
        setItems(m, popMark());
        made(m);
        break;
      }
      case OP.LIST: made(popMark()); break;
      case OP.TUPLE: made(new PyTuple(popMark())); break;
      case OP.TUPLE1: { const a = pop(); made(new PyTuple([a])); break; }
      case OP.TUPLE2: { const b = pop(); const a = pop(); made(new PyTuple([a, b])); break; }
      case OP.TUPLE3: {
        const c = pop(); const b = pop(); const a = pop();
        made(new PyTuple([a, b, c]));
        break;
      }
      case OP.ADDITEMS: {
        const items = popMark();
        const s = top();
        if (s instanceof Set) for (const it of items) s.add(it);
        else throw damaged('adds items to something that is not a set');
        break;
      }
      case OP.FROZENSET: made(new Set(popMark())); break;
      case OP.BINUNICODE: made(utf8.decode(take(u32()))); break;
      case OP.SHORT_BINUNICODE: made(utf8.decode(take(u8()))); break;
      case OP.BINUNICODE8: made(utf8.decode(take(u64()))); break;
      case OP.BINSTRING: made(latin1.decode(take(view.getInt32(need(4), true)))); break;
      case OP.SHORT_BINSTRING: made(latin1.decode(take(u8()))); break;
      case OP.BINBYTES: made(take(u32())); break;
      case OP.SHORT_BINBYTES: made(take(u8())); break;
      case OP.BINBYTES8: made(take(u64())); break;
      case OP.BININT: made(view.getInt32(need(4), true)); break;
      case OP.BININT1: made(u8()); break;
      case OP.BININT2: made(u16()); break;
      case OP.LONG1: made(signedLong(take(u8()))); break;
      case OP.LONG4: made(signedLong(take(view.getInt32(need(4), true)))); break;
      case OP.BINFLOAT: made(view.getFloat64(need(8), false)); break;
      case OP.NEWTRUE: made(true); break;
      case OP.NEWFALSE: made(false); break;
      case OP.NONE: made(null); break;
      case OP.SETITEM: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case OP.SETITEMS: { const kv = popMark(); setItems(top(), kv); break; }
      case OP.APPEND: { const v = pop(); appendItems(top(), [v]); break; }
      case OP.APPENDS: { const items = popMark(); appendItems(top(), items); break; }
      case OP.BINPUT: remember(u8()); break;
      case OP.LONG_BINPUT: remember(u32()); break;
      case OP.MEMOIZE: remember(memo.size); break;
      case OP.BINGET:
      case OP.LONG_BINGET: {
        const k = op === OP.BINGET ? u8() : u32();
        if (!memo.has(k)) throw damaged(`refers to memo entry ${k}, which does not exist`);
        made(memo.get(k));
        break;
      }
      case OP.GLOBAL: {
        const module = line();
        const name = line();
        made(resolveGlobal(module, name));
        break;
      }
      case OP.STACK_GLOBAL: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') {
          throw damaged('has a STACK_GLOBAL whose names are not strings');
        }
        made(resolveGlobal(module, name));
        break;
      }
      case OP.INST: {
        // Protocol 0 class instantiation: check the class like GLOBAL, then treat it like NEWOBJ.
        const cls = resolveGlobal(line(), line());
        made(construct(cls, new PyTuple(popMark())));
        break;
      }
      case OP.REDUCE: {
        const args = pop();
        const fn = pop();
        made(call(fn, args));
        break;
      }
      case OP.NEWOBJ: {
        const args = pop();
        const cls = pop();
        made(construct(cls, args));
        break;
      }
      case OP.NEWOBJ_EX: {
        pop(); // kwargs
        const args = pop();
        const cls = pop();
        made(construct(cls, args));
        break;
      }
      case OP.BUILD: {
        const state = pop();
        build(top(), state);
        break;
      }
      case OP.BINPERSID: made(persistentLoad(pop())); break;
      default:
        throw new LoadError(
          `not a PyTorch state dict: unsupported pickle opcode 0x${op.toString(16)} at byte ${opAt}`);
    }
  }
}

/** A dict key for a message: a string quoted (escaped, cut short), anything else by its type. */
export function keyName(k: unknown): string {
  if (typeof k === 'string') return `'${nameOf(k)}'`;
  if (typeof k === 'number' || typeof k === 'boolean' || k === null) return String(k);
  if (typeof k === 'bigint') return 'a very large integer';
  return 'an object';
}

function argList(args: unknown): readonly unknown[] {
  if (!(args instanceof PyTuple)) throw damaged('calls a function with arguments that are not a tuple');
  return args.items;
}

/** REDUCE: the only place a "call" happens, and it only ever builds plain data. */
function call(fn: unknown, args: unknown): unknown {
  const a = argList(args);
  if (fn instanceof PyOpaque) return new PyOpaque(fn.origin);
  if (!(fn instanceof PyGlobal)) throw damaged('calls something that is not a function');
  if (fn.kind === 'inert') return new PyOpaque(fn.fullName);
  switch (fn.fullName) {
    case ORDERED_DICT: {
      const m = new Map<unknown, unknown>();
      // OrderedDict(iterable_of_pairs) is legal though PyTorch pickles an empty call plus SETITEMS.
      if (a.length > 0 && Array.isArray(a[0])) {
        for (const pair of a[0]) {
          if (!(pair instanceof PyTuple) || pair.items.length !== 2) throw damaged('has a bad OrderedDict pair');
          m.set(pair.items[0], pair.items[1]);
        }
      }
      return m;
    }
    case REBUILD_TENSOR: return rebuildTensor(a);
    case REBUILD_PARAMETER:
    case REBUILD_PARAMETER_WITH_STATE:
      if (!(a[0] instanceof TensorRef)) throw damaged('rebuilds a parameter from something that is not a tensor');
      return a[0];
    default:
      throw damaged(`calls ${nameOf(fn.fullName)}, which is not a function`);
  }
}

function construct(cls: unknown, args: unknown): unknown {
  argList(args);
  if (cls instanceof PyGlobal && cls.kind === 'inert') return new PyOpaque(cls.fullName);
  if (cls instanceof PyGlobal && cls.fullName === ORDERED_DICT) return new Map();
  if (cls instanceof PyOpaque) return new PyOpaque(cls.origin);
  throw damaged('creates an object of a class it may not create');
}

function build(obj: unknown, state: unknown): void {
  if (obj instanceof PyOpaque) {
    obj.state = state;
    return;
  }
  // A state dict's `_metadata` attribute and tensor hook state arrive via BUILD; neither matters.
  if (obj instanceof Map || obj instanceof TensorRef) return;
  throw damaged('sets the state of an object that has none');
}

function isIntTuple(v: unknown): v is PyTuple {
  return v instanceof PyTuple && v.items.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0);
}

function rebuildTensor(a: readonly unknown[]): TensorRef {
  const [storage, offset, size, stride] = a;
  if (!(storage instanceof StorageRef)) throw damaged('rebuilds a tensor without a storage');
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw damaged('rebuilds a tensor with a bad storage offset');
  }
  if (!isIntTuple(size) || !isIntTuple(stride) || size.items.length !== stride.items.length) {
    throw damaged('rebuilds a tensor with a bad size or stride');
  }
  const shape = size.items as number[];
  const strides = stride.items as number[];
  if (shape.length > MAX_TENSOR_RANK) throw damaged(`rebuilds a tensor of ${shape.length} dimensions (at most ${MAX_TENSOR_RANK})`);
  let n = 1;
  for (let d = 0; d < shape.length; d++) {
    // A zero stride repeats one element along a dimension: a state dict never holds such a view.
    if (strides[d] === 0 && shape[d] > 1) throw damaged(`rebuilds a tensor with stride 0 on a dimension of size ${shape[d]}`);
    n *= shape[d];
  }
  if (!Number.isSafeInteger(n)) throw damaged('rebuilds a tensor with more elements than can be counted');
  return new TensorRef(storage, offset, shape, strides);
}

/** Turns a PyTorch persistent id ('storage', torch.FloatStorage, key, location, numel) into a StorageRef. */
export function torchPersistentLoad(): PersistentLoad {
  const byKey = new Map<string, StorageRef>();
  return (pid) => {
    if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage' || pid.items.length < 3) {
      throw damaged('has a persistent id that is not a PyTorch storage');
    }
    const [, type, key] = pid.items;
    if (!(type instanceof PyGlobal) || !Object.hasOwn(STORAGE_DTYPES, type.fullName)) {
      throw damaged('has a storage of unknown type');
    }
    if (typeof key !== 'string' && typeof key !== 'number') throw damaged('has a storage with a bad key');
    const k = String(key);
    let ref = byKey.get(k);
    if (!ref) {
      const dtypeName = STORAGE_DTYPES[type.fullName];
      ref = new StorageRef(k, CONVERTIBLE[dtypeName], dtypeName);
      byKey.set(k, ref);
    }
    return ref;
  };
}
