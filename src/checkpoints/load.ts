import type { MaeConfig } from '../model/config';
import type { HostParam, HostParams } from '../model/weights';
import { LoadError, nameOf } from '../shared/errors';
import { countNonFinite, toFloat32 } from './dtypes';
import { inferConfig } from './infer';
import { checkFits, ExpansionBudget, MAX_CONFIG_BYTES, MAX_HEADER_BYTES, type MemoryBudget } from './limits';
import {
  OPTIONAL_PARAMS, detectLayout, expectedShapes, hasDecoder, isHarmlessExtra, mapToReference, stripWrapperPrefix,
  type MappedParam,
} from './names';
import { readSafetensorsLenient } from './safetensors';
import { blobSource, readSmallFile, type CheckpointFile } from './source';
import { readTorchCheckpoint, type TorchCheckpoint } from './torch';
import type { LoadedCheckpoint, TensorEntry } from './types';

export type { CheckpointFile } from './source';

/** Options for openCheckpoint and loadCheckpoint. */
export interface LoadOptions {
  /** Architecture values the caller knows for sure; they replace anything read or assumed. */
  overrides?: Partial<MaeConfig>;
  /** What the device can hold: a model that cannot fit is refused before any weight is read. */
  memory?: MemoryBudget;
  /** Stops reading between two tensors; the load then rejects with a 'cancelled' LoadError. */
  signal?: AbortSignal;
}

/** What a file looks like from its first bytes. */
export type CheckpointFormat = 'torch' | 'safetensors' | 'legacy-torch' | 'unknown';

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
/** An empty zip starts with its end-of-directory record. */
const EMPTY_ZIP_MAGIC = [0x50, 0x4b, 0x05, 0x06];
/** Pickle PROTO opcode: how pre-1.6 `torch.save` files (a bare pickle stream) begin. */
const PICKLE_PROTO = 0x80;
const MAX_PICKLE_PROTOCOL = 5;
const SAFETENSORS_PREFIX_BYTES = 8;
/** Bytes read from the start of a file to tell its format. */
const SNIFF_BYTES = 16;
const JSON_OPEN_BRACE = 0x7b;
const U32_RANGE = 2 ** 32;
const CONFIG_NAME = 'config.json';
const JSON_EXT = '.json';
const LIST_LIMIT = 5;
/** What an allocation failure says ("Array buffer allocation failed", "Invalid typed array length" is not one). */
const OUT_OF_MEMORY_RE = /allocation failed|out of memory/i;

const NOT_A_CHECKPOINT = 'not a checkpoint: expected a .safetensors or PyTorch .pth/.bin file';
const NO_DECODER = 'this checkpoint has no decoder, so it cannot reconstruct '
  + '(it is an encoder-only checkpoint, e.g. mae_pretrain_vit_*.pth)';

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return bytes.byteLength >= magic.length && magic.every((b, i) => bytes[i] === b);
}

/** Sniffs the format from magic bytes (file names are not trusted). */
export function detectFormat(bytes: Uint8Array): CheckpointFormat {
  if (startsWith(bytes, ZIP_MAGIC) || startsWith(bytes, EMPTY_ZIP_MAGIC)) return 'torch';
  if (bytes.byteLength >= 2 && bytes[0] === PICKLE_PROTO && bytes[1] <= MAX_PICKLE_PROTOCOL) return 'legacy-torch';
  if (bytes.byteLength > SAFETENSORS_PREFIX_BYTES) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const headerLen = view.getUint32(0, true) + view.getUint32(4, true) * U32_RANGE;
    if (headerLen > 0 && headerLen <= MAX_HEADER_BYTES && bytes[SAFETENSORS_PREFIX_BYTES] === JSON_OPEN_BRACE) {
      return 'safetensors';
    }
  }
  return 'unknown';
}

/** Why the first bytes of a file are no checkpoint, in the words of the format its name promises. */
export function whatIsWrong(name: string, head: Uint8Array, size: number): string {
  const text = new TextDecoder().decode(head).trimStart();
  if (text.startsWith('<')) return 'looks like a web page (HTML), perhaps a login or error page saved in its place';
  if (/\.safetensors$/i.test(name)) {
    if (size <= SAFETENSORS_PREFIX_BYTES) return `has ${size} bytes, too few for a safetensors header`;
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const headerLen = view.getUint32(0, true) + view.getUint32(4, true) * U32_RANGE;
    if (headerLen === 0 || headerLen > MAX_HEADER_BYTES) return `is damaged: its first 8 bytes give a header length of ${headerLen} bytes (the limit is ${MAX_HEADER_BYTES})`;
    return 'is damaged: its header is not JSON';
  }
  return 'is neither a zip archive (PyTorch 1.6 and later) nor a legacy PyTorch pickle';
}

function baseName(name: string): string {
  return name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
}

function listNames(names: string[]): string {
  const shown = names.slice(0, LIST_LIMIT).map(nameOf).join(', ');
  return names.length > LIST_LIMIT ? `${shown} and ${names.length - LIST_LIMIT} more` : shown;
}

const fmtShape = (s: readonly number[]): string => `[${s.join(',')}]`;

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

interface RawWeights {
  tensors: Map<string, TensorEntry>;
  unsupported: Map<string, string>;
  args?: TorchCheckpoint['args'];
  notes: string[];
}

async function readWeightFile(file: CheckpointFile, budget: ExpansionBudget): Promise<RawWeights> {
  const src = blobSource(file);
  const head = await src.read(0, Math.min(SNIFF_BYTES, src.size));
  switch (detectFormat(head)) {
    case 'torch':
      return readTorchCheckpoint(src, budget);
    case 'safetensors': {
      const st = await readSafetensorsLenient(src);
      return { tensors: st.tensors, unsupported: st.unsupported, notes: [] };
    }
    case 'legacy-torch':
      throw new LoadError(`${nameOf(file.name)} uses the legacy (pre-1.6) PyTorch format; re-save it with a `
        + 'recent PyTorch: torch.save(torch.load(path), path)', 'unsupported');
    case 'unknown':
      throw new LoadError(`${NOT_A_CHECKPOINT}: ${nameOf(file.name)} ${whatIsWrong(file.name, head, src.size)}`, 'not-a-checkpoint');
  }
}

/** Merges weight files (e.g. safetensors shards); a tensor name may appear in only one. */
async function readWeights(files: CheckpointFile[], budget: ExpansionBudget): Promise<RawWeights> {
  const merged: RawWeights = { tensors: new Map(), unsupported: new Map(), notes: [] };
  for (const file of files) {
    const w = await readWeightFile(file, budget);
    for (const [name, t] of w.tensors) {
      if (merged.tensors.has(name) || merged.unsupported.has(name)) {
        throw new LoadError(`tensor ${nameOf(name)} appears in more than one file`);
      }
      merged.tensors.set(name, t);
    }
    for (const [name, d] of w.unsupported) merged.unsupported.set(name, d);
    merged.args ??= w.args;
    merged.notes.push(...w.notes);
  }
  return merged;
}

async function parseConfigJson(file: CheckpointFile): Promise<unknown> {
  const bytes = await readSmallFile(file, MAX_CONFIG_BYTES);
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new LoadError(`${nameOf(file.name)} is not valid JSON`, 'not-a-checkpoint');
  }
}

/** A checkpoint whose names, shapes and architecture are checked and whose weights are not yet read. */
export interface OpenedCheckpoint {
  config: MaeConfig;
  /** Human-readable notes, e.g. "num_heads not in the checkpoint: assumed 12 (ViT-Base)". */
  notes: string[];
  /** Which file layout the names came from. */
  layout: 'pth' | 'hf';
  /** Reference names and shapes of the parameters readParams hands over, in that order. */
  shapes: Map<string, number[]>;
  /** Float32 bytes those parameters take. */
  paramBytes: number;
  /**
   * Reads, converts (float32, q/k/v fused) and checks each parameter in turn, each from its own
   * slices of the files, and hands it over; the next is read once `onParam` has returned (or
   * resolved), so a caller that uploads and drops each one never holds the weights twice.
   */
  readParams(onParam: (name: string, param: HostParam) => void | Promise<void>): Promise<void>;
}

/** Runs `f`, turning anything but a LoadError (a RangeError from a hostile size, say) into one. */
async function guarded<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof LoadError) throw e;
    const why = e instanceof Error ? e.message : 'unknown failure';
    throw new LoadError(`the checkpoint could not be read (${why})`, OUT_OF_MEMORY_RE.test(why) ? 'out-of-memory' : 'other');
  }
}

function cancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new LoadError('cancelled', 'cancelled');
}

/**
 * Opens an MAE checkpoint from the user's files: one .pth/.bin (PyTorch zip) or .safetensors file
 * (or several safetensors shards), plus an optional Hugging Face config.json. Reads only headers,
 * zip directories and the pickle; checks names, shapes, architecture, the file's expansion budget
 * and (when given) the device's memory before a single weight is read.
 */
export function openCheckpoint(files: CheckpointFile[], options: LoadOptions = {}): Promise<OpenedCheckpoint> {
  return guarded(() => open(files, options));
}

async function open(files: CheckpointFile[], options: LoadOptions): Promise<OpenedCheckpoint> {
  const notes: string[] = [];
  const configFiles = files.filter((f) => baseName(f.name) === CONFIG_NAME);
  if (configFiles.length > 1) throw new LoadError('more than one config.json was given');
  const ignored = files.filter((f) => baseName(f.name) !== CONFIG_NAME && f.name.endsWith(JSON_EXT));
  if (ignored.length > 0) notes.push(`ignored ${listNames(ignored.map((f) => f.name))}`);
  const weightFiles = files.filter((f) => !f.name.endsWith(JSON_EXT));
  if (weightFiles.length === 0) throw new LoadError(NOT_A_CHECKPOINT, 'not-a-checkpoint');
  const configJson = configFiles.length === 1 ? await parseConfigJson(configFiles[0]) : undefined;

  const budget = new ExpansionBudget(weightFiles.reduce((n, f) => n + f.blob.size, 0));
  const raw = await readWeights(weightFiles, budget);
  notes.push(...raw.notes);
  for (const [name, dtype] of raw.unsupported) {
    if (!isHarmlessExtra(name)) throw new LoadError(`unsupported dtype ${nameOf(dtype)} for tensor ${nameOf(name)}`, 'unsupported');
  }

  const stored = new Map<string, TensorEntry>();
  for (const [name, original] of stripWrapperPrefix([...raw.tensors.keys()])) {
    stored.set(name, raw.tensors.get(original) as TensorEntry);
  }
  const layout = detectLayout(stored.keys());
  const { params: mapped, unmapped } = mapToReference(stored.keys(), layout);
  // Nothing with an MAE encoder name (patch embedding, blocks) means another model altogether.
  const encoderNames = [...mapped.keys()].filter((k) => k.startsWith('patch_embed.') || k.startsWith('blocks.'));
  if (encoderNames.length === 0) {
    const holds = stored.size > 0 ? `it holds ${listNames([...stored.keys()])}` : 'it holds no tensors';
    throw new LoadError(`not an MAE checkpoint: none of its tensors has a ViT-MAE name (${holds})`, 'not-a-checkpoint');
  }
  if (!hasDecoder(mapped.keys())) throw new LoadError(NO_DECODER, 'encoder-only');

  // Shapes under reference names; a fused qkv is its parts stacked along the output dimension.
  const shapes = new Map<string, number[]>();
  for (const [ref, m] of mapped) {
    if (m.sources.some((s) => s === undefined)) continue;
    const parts = m.sources.map((s) => (stored.get(s as string) as TensorEntry).shape);
    if (parts.some((p) => p.length === 0 || !sameShape(p.slice(1), parts[0].slice(1)))) {
      throw new LoadError(`${ref}: the parts ${listNames(m.sources as string[])} have shapes `
        + `${parts.map(fmtShape).join(', ')}, which do not stack`);
    }
    shapes.set(ref, [parts.reduce((n, p) => n + p[0], 0), ...parts[0].slice(1)]);
  }

  const inferred = inferConfig(shapes, { configJson, args: raw.args, layout, overrides: options.overrides });
  notes.push(...inferred.notes);
  const expected = expectedShapes(inferred.config);

  const missing = [...expected.keys()].filter((k) => !OPTIONAL_PARAMS.has(k) && !shapes.has(k));
  if (missing.length > 0) {
    const partial = missing.filter((k) => mapped.has(k)).flatMap((k) =>
      (mapped.get(k)?.sources ?? []).filter((s): s is string => s !== undefined));
    const detail = partial.length > 0 ? ` (found only ${listNames(partial)})` : '';
    throw new LoadError(
      `the checkpoint is missing ${missing.length} tensor(s) the model needs: ${listNames(missing)}${detail}`, 'not-a-checkpoint');
  }
  const unexpected = [
    ...unmapped,
    ...[...mapped.keys()].filter((k) => !expected.has(k))
      .flatMap((k) => (mapped.get(k)?.sources ?? []).filter((s): s is string => s !== undefined)),
  ].filter((n) => !isHarmlessExtra(n));
  if (unexpected.length > 0) {
    throw new LoadError(`the checkpoint has ${unexpected.length} tensor(s) this MAE does not use: `
      + `${listNames(unexpected)}`, 'not-a-checkpoint');
  }
  const mismatches: string[] = [];
  for (const [ref, want] of expected) {
    const found = shapes.get(ref);
    if (found && !sameShape(found, want)) {
      const from = layout === 'hf' ? ` (from ${(mapped.get(ref)?.sources ?? []).map((s) => nameOf(s ?? '?')).join(' + ')})` : '';
      mismatches.push(`${ref}${from}: expected ${fmtShape(want)}, found ${fmtShape(found)}`);
    }
  }
  if (mismatches.length > 0) {
    const more = mismatches.length > LIST_LIMIT ? `; and ${mismatches.length - LIST_LIMIT} more` : '';
    throw new LoadError(`${mismatches.slice(0, LIST_LIMIT).join('; ')}${more}`);
  }

  const present = new Map<string, { shape: number[]; m: MappedParam }>();
  let paramBytes = 0;
  for (const [ref, shape] of expected) {
    const m = mapped.get(ref);
    if (!m) {
      notes.push(`${ref} not in the checkpoint: the model will use the fixed 2-D sin-cos table `
        + '(MAE never trains it)');
      continue;
    }
    present.set(ref, { shape, m });
    paramBytes += shape.reduce((a, b) => a * b, 1) * Float32Array.BYTES_PER_ELEMENT;
  }
  // Views that share one storage (or a float16 file) may make more float32 bytes than the file
  // holds, within reason; far more is a hostile file.
  budget.take(paramBytes, 'the float32 parameters');
  checkFits(inferred.config, options.memory);

  const readParams = (onParam: (name: string, param: HostParam) => void | Promise<void>): Promise<void> =>
    guarded(async () => {
      for (const [ref, { shape, m }] of present) {
        cancelled(options.signal);
        const sources = m.sources as string[];
        const data = await readParam(sources.map((s) => stored.get(s) as TensorEntry), shape);
        const bad = countNonFinite(data);
        if (bad > 0) {
          throw new LoadError(`${listNames(sources)} holds ${bad} NaN or infinite value(s) of ${data.length}: `
            + 'the checkpoint is damaged', 'not-a-checkpoint');
        }
        await onParam(ref, { shape, data });
      }
      cancelled(options.signal);
    });
  return {
    config: inferred.config, notes, layout, paramBytes, readParams,
    shapes: new Map([...present].map(([k, v]) => [k, v.shape])),
  };
}

/** One parameter as float32: a single tensor, or q, k and v read one after another into one array. */
async function readParam(parts: TensorEntry[], shape: number[]): Promise<Float32Array> {
  if (parts.length === 1) {
    const t = parts[0];
    return toFloat32({ dtype: t.dtype, shape: t.shape, bytes: await t.read() });
  }
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let at = 0;
  for (const t of parts) {
    const part = toFloat32({ dtype: t.dtype, shape: t.shape, bytes: await t.read() });
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Loads an MAE checkpoint (see openCheckpoint) and reads every parameter into host memory, in the
 * reference layout as float32. Each float32 tensor is its own slice of the file: nothing is held twice.
 */
export async function loadCheckpoint(files: CheckpointFile[], options: LoadOptions = {}): Promise<LoadedCheckpoint> {
  const opened = await openCheckpoint(files, options);
  const params: HostParams = new Map();
  await opened.readParams((name, p) => {
    params.set(name, p);
  });
  return { config: opened.config, params, notes: opened.notes, layout: opened.layout };
}
