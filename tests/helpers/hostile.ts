// Hostile checkpoint files, generated small (a few hundred bytes to ~100 kB): one per class of
// issue 10, plus the pickle and zip writers they need. Used by the loader tests and the CLI watchdog.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'fflate';
import { float32ToBytes } from '../../src/checkpoints/dtypes';
import { writeSafetensors, type TensorToWrite } from '../../src/checkpoints/safetensors';
import type { MaeConfig } from '../../src/model/config';
import { expectedParamShapes } from '../../src/model/shapes';
import { bytesOf } from '../unit/checkpoints/helpers';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const GOLDEN = path.join(ROOT, 'tests', 'fixtures', 'golden', 'tiny-p16');

/** A named file's bytes. */
export interface HostileFile {
  name: string;
  bytes: Uint8Array;
}

const enc = new TextEncoder();

/** Concatenates byte chunks (numbers are single bytes, strings latin-1): the checkpoint tests' own helper. */
export const cat = bytesOf;

const u16 = (n: number): Uint8Array => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff);
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

// --- Pickle (protocol 2) ---------------------------------------------------------------------------
export const P = {
  PROTO2: cat(0x80, 2), STOP: '.', MARK: '(', DICT_EMPTY: '}', LIST_EMPTY: ']', TUPLE: 't', SETITEM: 's',
  SETITEMS: 'u', APPEND: 'a', REDUCE: 'R', BUILD: 'b', NEWOBJ: 0x81, NEWFALSE: 0x89, NONE: 'N', BINPERSID: 'Q',
  STACK_GLOBAL: 0x93, BINPUT: 'q', BINGET: 'h', EMPTY_TUPLE: ')', POP: '0',
} as const;

/** BINUNICODE of a string (any Unicode). */
export function pStr(s: string): Uint8Array {
  const b = enc.encode(s);
  return cat('X', u32(b.length), b);
}

/** A non-negative integer: BININT1, or BININT. */
export function pInt(n: number): Uint8Array {
  return n < 256 ? cat('K', n) : cat('J', new Uint8Array(new Int32Array([n]).buffer));
}

const pGlobal = (module: string, name: string): Uint8Array => cat('c', `${module}\n${name}\n`);
const pTuple = (items: Uint8Array[]): Uint8Array => cat(P.MARK, ...items, P.TUPLE);

/** One tensor of a pickled state dict: a view onto storage `key`. */
export interface ViewSpec {
  name: string;
  key: string;
  offset: number;
  shape: number[];
  stride: number[];
}

/** `_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())` for a float32 storage. */
function pTensor(v: ViewSpec, storageNumel: number): Uint8Array {
  const storage = cat(pTuple([pStr('storage'), pGlobal('torch', 'FloatStorage'), pStr(v.key), pStr('cpu'), pInt(storageNumel)]), P.BINPERSID);
  return cat(pGlobal('torch._utils', '_rebuild_tensor_v2'),
    pTuple([storage, pInt(v.offset), pTuple(v.shape.map(pInt)), pTuple(v.stride.map(pInt)), cat(P.NEWFALSE),
      cat(pGlobal('collections', 'OrderedDict'), P.EMPTY_TUPLE, P.REDUCE)]),
    P.REDUCE);
}

/** A state dict `{name: tensor}` as pickle items (name, value pairs, for SETITEMS). */
function pStateItems(views: ViewSpec[], numel: Map<string, number>): Uint8Array {
  return cat(...views.flatMap((v) => [pStr(v.name), pTensor(v, numel.get(v.key) ?? 0)]));
}

/** `argparse.Namespace(**fields)` as a training checkpoint stores its 'args'. */
function pNamespace(fields: Record<string, number>): Uint8Array {
  const items = Object.entries(fields).flatMap(([k, v]) => [pStr(k), pInt(v)]);
  return cat(pGlobal('argparse', 'Namespace'), P.EMPTY_TUPLE, P.NEWOBJ, P.DICT_EMPTY, P.MARK, ...items, P.SETITEMS, P.BUILD);
}

/** A whole data.pkl: a bare state dict, or `{'model': sd, 'args': Namespace}` when args are given. */
export function statePickle(views: ViewSpec[], numel: Map<string, number>, args?: Record<string, number>): Uint8Array {
  const sd = cat(P.DICT_EMPTY, P.MARK, pStateItems(views, numel), P.SETITEMS);
  if (!args) return cat(P.PROTO2, sd, P.STOP);
  return cat(P.PROTO2, P.DICT_EMPTY, P.MARK, pStr('model'), sd, pStr('args'), pNamespace(args), P.SETITEMS, P.STOP);
}

// --- Zip -----------------------------------------------------------------------------------------
/** One local entry of a hand-made zip: stored (method 0) or deflated (method 8). */
export interface LocalEntry {
  name: string;
  data: Uint8Array;
  method?: 0 | 8;
}

let crcTable: Uint32Array | undefined;
function crc32(b: Uint8Array): number {
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let c = 0xffffffff;
  for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * A zip file, written by hand so its directory can lie: `central` lists (name, index of the local
 * entry it points at); by default one record per local entry.
 */
export function rawZip(locals: LocalEntry[], central?: { name: string; local: number }[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const info: { offset: number; comp: Uint8Array; size: number; crc: number; method: number }[] = [];
  let offset = 0;
  for (const e of locals) {
    const method = e.method ?? 0;
    const comp = method === 8 ? deflateSync(e.data, { level: 1 }) : e.data;
    const name = enc.encode(e.name);
    const crc = crc32(e.data);
    const head = cat(u32(0x04034b50), u16(20), u16(0), u16(method), u16(0), u16(0), u32(crc), u32(comp.length),
      u32(e.data.length), u16(name.length), u16(0), name);
    info.push({ offset, comp, size: e.data.length, crc, method });
    chunks.push(head, comp);
    offset += head.length + comp.length;
  }
  const records = (central ?? locals.map((e, i) => ({ name: e.name, local: i }))).map(({ name, local }) => {
    const e = info[local];
    const n = enc.encode(name);
    return cat(u32(0x02014b50), u16(20), u16(20), u16(0), u16(e.method), u16(0), u16(0), u32(e.crc), u32(e.comp.length),
      u32(e.size), u16(n.length), u16(0), u16(0), u16(0), u16(0), u32(0), u32(e.offset), n);
  });
  const cd = cat(...records);
  const eocd = cat(u32(0x06054b50), u16(0), u16(0), u16(records.length), u16(records.length), u32(cd.length), u32(offset), u16(0));
  return cat(...chunks, cd, eocd);
}

/** A .pth: data.pkl plus float32 storages, all stored, under `archive/`. */
export function pthZip(pkl: Uint8Array, storages: Map<string, Uint8Array>, pklMethod: 0 | 8 = 0): Uint8Array {
  return rawZip([
    { name: 'archive/data.pkl', data: pkl, method: pklMethod },
    ...[...storages].map(([k, v]) => ({ name: `archive/data/${k}`, data: v })),
    { name: 'archive/version', data: enc.encode('3\n') },
  ]);
}

/** A .pth holding `tensors` (float32, each its own contiguous storage), with optional training args. */
export function pthOf(tensors: Map<string, { shape: number[]; data: Float32Array }>, args?: Record<string, number>): Uint8Array {
  const views: ViewSpec[] = [];
  const storages = new Map<string, Uint8Array>();
  const numel = new Map<string, number>();
  let i = 0;
  for (const [name, t] of tensors) {
    const key = String(i++);
    const stride = t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1));
    views.push({ name, key, offset: 0, shape: t.shape, stride });
    storages.set(key, float32ToBytes(t.data));
    numel.set(key, t.data.length);
  }
  return pthZip(statePickle(views, numel, args), storages);
}

// --- safetensors ---------------------------------------------------------------------------------
/** A safetensors file from a raw header text (so it can say what the writer never would). */
export function rawSafetensors(headerText: string, dataBytes: number): Uint8Array {
  const json = enc.encode(headerText);
  return cat(u32(json.length), u32(0), json, new Uint8Array(dataBytes));
}

// --- The golden tiny model ---------------------------------------------------------------------------
/** The golden case's HF files: model.safetensors and config.json bytes. */
export const goldenHfBytes = (): { weights: Uint8Array; config: Uint8Array } => ({
  weights: new Uint8Array(readFileSync(path.join(GOLDEN, 'hf', 'model.safetensors'))),
  config: new Uint8Array(readFileSync(path.join(GOLDEN, 'hf', 'config.json'))),
});
/** The golden architecture (config.json of tests/fixtures/golden/tiny-p16). */
export const GOLDEN_ARCH: MaeConfig = {
  imgSize: 224, patchSize: 16, inChans: 3, embedDim: 64, depth: 2, numHeads: 4,
  decoderEmbedDim: 32, decoderDepth: 2, decoderNumHeads: 4, mlpRatio: 4, layerNormEps: 1e-6, normPixLoss: false,
};

/** Reference-named float32 tensors of an architecture, filled by `fill(index)`. */
export function referenceTensors(c: MaeConfig, fill: (i: number) => number = (i) => ((i * 7919) % 200 - 100) / 1000,
  skip: ReadonlySet<string> = new Set()): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, shape] of expectedParamShapes(c)) {
    if (skip.has(name)) continue;
    out.set(name, { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => fill(i)) });
  }
  return out;
}

/** A safetensors file of float32 tensors under the given names. */
export function safetensorsOf(tensors: Map<string, { shape: number[]; data: Float32Array }>): Uint8Array {
  return writeSafetensors(new Map<string, TensorToWrite>([...tensors].map(([k, t]) =>
    [k, { dtype: 'float32', shape: t.shape, bytes: float32ToBytes(t.data) }])));
}

/** A config.json for an architecture, in the Hugging Face names, with fields replaced by `edit`. */
export function configJson(c: MaeConfig, edit: Record<string, unknown> = {}, raw?: string): Uint8Array {
  const base = {
    model_type: 'vit_mae', hidden_size: c.embedDim, num_hidden_layers: c.depth, num_attention_heads: c.numHeads,
    intermediate_size: c.embedDim * c.mlpRatio, decoder_hidden_size: c.decoderEmbedDim, decoder_num_hidden_layers: c.decoderDepth,
    decoder_num_attention_heads: c.decoderNumHeads, decoder_intermediate_size: c.decoderEmbedDim * c.mlpRatio,
    image_size: c.imgSize, patch_size: c.patchSize, num_channels: c.inChans, layer_norm_eps: c.layerNormEps,
    norm_pix_loss: c.normPixLoss, ...edit,
  };
  return enc.encode(raw ?? JSON.stringify(base));
}

// --- One hostile file per class of issue 10 --------------------------------------------------------
/** ViT-MAE Large's architecture (the one a hostile file pretends to be). */
export const LARGE_ARCH: MaeConfig = {
  imgSize: 224, patchSize: 16, inChans: 3, embedDim: 1024, depth: 24, numHeads: 16,
  decoderEmbedDim: 512, decoderDepth: 8, decoderNumHeads: 16, mlpRatio: 4, layerNormEps: 1e-6, normPixLoss: false,
};
/** 2^28 elements: one float viewed a quarter billion times. */
const HUGE_VIEW = 2 ** 28;

/** Class 1: one float viewed as [2^28] with stride [0] (about 500 bytes). */
export function strideZeroBomb(): HostileFile[] {
  const pkl = statePickle([{ name: 'w', key: '0', offset: 0, shape: [HUGE_VIEW], stride: [0] }], new Map([['0', 1]]));
  return [{ name: 'bomb.pth', bytes: pthZip(pkl, new Map([['0', new Uint8Array(4)]])) }];
}

/**
 * Class 1: every parameter of a ViT-L (1.3 GB as float32) a view with stride 1 on each dimension of
 * one storage of a few thousand floats: about 100 kB that would expand 10 000-fold.
 */
export function overlappingViewsModel(): HostileFile[] {
  const shapes = expectedParamShapes(LARGE_ARCH);
  const storageNumel = Math.max(...[...shapes.values()].map((s) => s.reduce((a, b) => a + b, 0)));
  const views: ViewSpec[] = [...shapes].map(([name, shape]) => ({ name, key: '0', offset: 0, shape, stride: shape.map(() => 1) }));
  const pkl = statePickle(views, new Map([['0', storageNumel]]));
  return [
    { name: 'views.pth', bytes: pthZip(pkl, new Map([['0', new Uint8Array(storageNumel * 4)]])) },
    { name: 'config.json', bytes: configJson(LARGE_ARCH) },
  ];
}

/** Class 1: eight directory entries pointing at one deflated 16 MB storage. */
export function overlappingZipEntries(): HostileFile[] {
  const storageNumel = 4 * 1024 * 1024;
  const views = Array.from({ length: 8 }, (_, i) => ({ name: `t${i}`, key: String(i), offset: 0, shape: [storageNumel], stride: [1] }));
  const pkl = statePickle(views, new Map(views.map((v) => [v.key, storageNumel])));
  const zip = rawZip([
    { name: 'archive/data.pkl', data: pkl },
    { name: 'archive/data/0', data: new Uint8Array(storageNumel * 4), method: 8 },
  ], [{ name: 'archive/data.pkl', local: 0 }, ...views.map((v) => ({ name: `archive/data/${v.key}`, local: 1 }))]);
  return [{ name: 'overlap.pth', bytes: zip }];
}

/** Class 6: two directory entries with one name, the second's bytes never looked at. */
export function duplicateZipNames(): HostileFile[] {
  const pkl = statePickle([{ name: 'w', key: '0', offset: 0, shape: [1], stride: [1] }], new Map([['0', 1]]));
  const zip = rawZip([
    { name: 'archive/data.pkl', data: pkl },
    { name: 'archive/data/0', data: new Uint8Array(4) },
    { name: 'archive/data/0', data: new Uint8Array(4).fill(0xff) },
  ]);
  return [{ name: 'twice.pth', bytes: zip }];
}

/** Class 1: a data.pkl of `n` EMPTY_DICTs, deflated when `deflate` (1e8 of them deflate to about 100 kB). */
export function pickleObjectBomb(n: number, deflate = false): HostileFile[] {
  const pkl = new Uint8Array(n + 3);
  pkl.set(P.PROTO2);
  pkl.fill(0x7d, 2, n + 2);
  pkl[n + 2] = 0x2e;
  return [{ name: 'dicts.pth', bytes: pthZip(pkl, new Map(), deflate ? 8 : 0) }];
}

/** Class 2: a tensor named `blocks.99999999.norm1.weight` next to a valid model. */
export function deepBlockName(): HostileFile[] {
  const t = referenceTensors(GOLDEN_ARCH);
  t.set('blocks.99999999.norm1.weight', { shape: [64], data: new Float32Array(64) });
  return [{ name: 'deep.safetensors', bytes: safetensorsOf(t) }];
}

/** Class 2: config.json with num_hidden_layers 1e9. */
export function configDepth(): HostileFile[] {
  return [{ name: 'model.safetensors', bytes: safetensorsOf(referenceTensors(GOLDEN_ARCH)) },
    { name: 'config.json', bytes: configJson(GOLDEN_ARCH, { num_hidden_layers: 1e9 }) }];
}

const NO_POSITIONS = new Set(['pos_embed', 'decoder_pos_embed']);

/** Class 3: an image size with no position tables, from config.json (`image_size`). */
export function configImageSize(size: number): HostileFile[] {
  return [{ name: 'model.safetensors', bytes: safetensorsOf(referenceTensors(GOLDEN_ARCH, undefined, NO_POSITIONS)) },
    { name: 'config.json', bytes: configJson(GOLDEN_ARCH, { image_size: size }) }];
}

/** Class 3: an image size with no position tables, from a training checkpoint's `args.input_size`. */
export function argsImageSize(size: number): HostileFile[] {
  return [{ name: 'train.pth', bytes: pthOf(referenceTensors(GOLDEN_ARCH, undefined, NO_POSITIONS), { input_size: size }) }];
}

/** Class 4: a root key that is a list nested `depth` deep (String() of it overflows the stack). */
export function deepRootKey(depth = 200_000): HostileFile[] {
  const nested = cat(new Uint8Array(depth).fill(0x5d), new Uint8Array(depth - 1).fill(0x61));
  const pkl = cat(P.PROTO2, P.DICT_EMPTY, pStr('model'), P.DICT_EMPTY, P.SETITEM, nested, P.NONE, P.SETITEM, P.STOP);
  return [{ name: 'deep-key.pth', bytes: pthZip(pkl, new Map()) }];
}

/** Class 4: a root key whose String() would be 2 GB: one 20 kB string referenced 100 000 times. */
export function hugeStringKey(): HostileFile[] {
  const refs = 100_000;
  const pkl = cat(P.PROTO2, P.DICT_EMPTY, pStr('model'), P.DICT_EMPTY, P.SETITEM,
    pStr('x'.repeat(20_000)), P.BINPUT, 0, P.POP, P.MARK, new Uint8Array(refs * 2).map((_, i) => (i % 2 === 0 ? 0x68 : 0)), 'l',
    P.NONE, P.SETITEM, P.STOP);
  return [{ name: 'long-key.pth', bytes: pthZip(pkl, new Map()) }];
}

/** A name that tries to fake a line of output and clear the terminal. */
export const ESCAPING_NAME = 'x\ncheckpoint OK\r\u001b[2J\u001b[31mred';

/** Class 5: a tensor name with a newline and ANSI escapes (the model then has a tensor it does not use). */
export function escapingTensorName(): HostileFile[] {
  const t = referenceTensors(GOLDEN_ARCH);
  t.set(ESCAPING_NAME, { shape: [1], data: new Float32Array(1) });
  return [{ name: 'escape.safetensors', bytes: safetensorsOf(t) }];
}

/** Class 5: a pickle global whose module and name hold a newline and escapes. */
export function escapingGlobal(): HostileFile[] {
  const pkl = cat(P.PROTO2, pStr('os\nfake'), pStr(`system${ESCAPING_NAME}`), P.STACK_GLOBAL, P.STOP);
  return [{ name: 'global.pth', bytes: pthZip(pkl, new Map()) }];
}

/** Class 6: every weight NaN. */
export function nanWeights(): HostileFile[] {
  return [{ name: 'nan.safetensors', bytes: safetensorsOf(referenceTensors(GOLDEN_ARCH, () => Number.NaN)) },
    { name: 'config.json', bytes: configJson(GOLDEN_ARCH) }];
}

/** Class 6: layer_norm_eps written as raw JSON text (1e999 parses as Infinity). */
export function layerNormEps(text: string): HostileFile[] {
  const json = new TextDecoder().decode(configJson(GOLDEN_ARCH, { layer_norm_eps: 0.5 })).replace('"layer_norm_eps":0.5', `"layer_norm_eps":${text}`);
  return [{ name: 'model.safetensors', bytes: safetensorsOf(referenceTensors(GOLDEN_ARCH)) },
    { name: 'config.json', bytes: enc.encode(json) }];
}

/** Class 6: `vit.layernorm.weight` and `layernorm.weight` in one Hugging Face file. */
export function twoNamesForOne(): HostileFile[] {
  const { weights } = goldenHfBytes();
  const header = JSON.parse(new TextDecoder().decode(weights.subarray(8, 8 + new DataView(weights.buffer, weights.byteOffset).getUint32(0, true)))) as Record<string, unknown>;
  const dup = header['vit.layernorm.weight'];
  // A second name for the same bytes: same data_offsets would overlap, so give it its own 64 floats at the end.
  const dataLen = weights.length - 8 - new DataView(weights.buffer, weights.byteOffset).getUint32(0, true);
  header['layernorm.weight'] = { ...(dup as object), data_offsets: [dataLen, dataLen + 64 * 4] };
  const text = JSON.stringify(header);
  const data = weights.subarray(weights.length - dataLen);
  return [{ name: 'model.safetensors', bytes: cat(u32(text.length), u32(0), enc.encode(text), data, new Uint8Array(64 * 4)) },
    { name: 'config.json', bytes: goldenHfBytes().config }];
}

/** Class 6: a safetensors header naming one tensor twice (JSON.parse keeps the last silently). */
export function duplicateSafetensorsKey(): HostileFile[] {
  const text = '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
  return [{ name: 'dup.safetensors', bytes: rawSafetensors(text, 8) }];
}
