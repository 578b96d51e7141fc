import { toFloat32 } from './dtypes';
import { inferConfig } from './infer';
import {
  OPTIONAL_PARAMS, detectLayout, expectedShapes, hasDecoder, isHarmlessExtra, mapToReference, stripWrapperPrefix,
} from './names';
import { MAX_HEADER_BYTES, readSafetensorsLenient } from './safetensors';
import { readTorchCheckpoint, type TorchCheckpoint } from './torch';
import type { MaeConfig } from '../model/config';
import { CheckpointError, type HostTensor, type LoadedCheckpoint, type MaeParams, type StoredTensor } from './types';

/** A file the user picked: its name (for messages and config.json detection) and contents. */
export interface CheckpointFile {
  name: string;
  bytes: Uint8Array;
}

/** Options for loadCheckpoint. */
export interface LoadOptions {
  /** Architecture values the caller knows for sure; they replace anything read or assumed. */
  overrides?: Partial<MaeConfig>;
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
const JSON_OPEN_BRACE = 0x7b;
const U32_RANGE = 2 ** 32;
const CONFIG_NAME = 'config.json';
const JSON_EXT = '.json';
const LIST_LIMIT = 5;

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

function baseName(name: string): string {
  return name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
}

function listNames(names: string[]): string {
  const shown = names.slice(0, LIST_LIMIT).join(', ');
  return names.length > LIST_LIMIT ? `${shown} and ${names.length - LIST_LIMIT} more` : shown;
}

const fmtShape = (s: readonly number[]): string => `[${s.join(',')}]`;

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

interface RawWeights {
  tensors: Map<string, StoredTensor>;
  unsupported: Map<string, string>;
  args?: TorchCheckpoint['args'];
  notes: string[];
}

function readWeightFile(file: CheckpointFile): RawWeights {
  switch (detectFormat(file.bytes)) {
    case 'torch':
      return readTorchCheckpoint(file.bytes);
    case 'safetensors': {
      const st = readSafetensorsLenient(file.bytes);
      return { tensors: st.tensors, unsupported: st.unsupported, notes: [] };
    }
    case 'legacy-torch':
      throw new CheckpointError(`${file.name} uses the legacy (pre-1.6) PyTorch format; re-save it with a `
        + 'recent PyTorch: torch.save(torch.load(path), path)', 'unsupported');
    case 'unknown':
      throw new CheckpointError(`${NOT_A_CHECKPOINT} (${file.name} is neither)`, 'not-a-checkpoint');
  }
}

/** Merges weight files (e.g. safetensors shards); a tensor name may appear in only one. */
function readWeights(files: CheckpointFile[]): RawWeights {
  const merged: RawWeights = { tensors: new Map(), unsupported: new Map(), notes: [] };
  for (const file of files) {
    const w = readWeightFile(file);
    for (const [name, t] of w.tensors) {
      if (merged.tensors.has(name) || merged.unsupported.has(name)) {
        throw new CheckpointError(`tensor ${name} appears in more than one file`);
      }
      merged.tensors.set(name, t);
    }
    for (const [name, d] of w.unsupported) merged.unsupported.set(name, d);
    merged.args ??= w.args;
    merged.notes.push(...w.notes);
  }
  return merged;
}

function parseConfigJson(file: CheckpointFile): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(file.bytes));
  } catch {
    throw new CheckpointError(`${file.name} is not valid JSON`, 'not-a-checkpoint');
  }
}

function concatRows(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Loads an MAE checkpoint from the user's files: one .pth/.bin (PyTorch zip) or .safetensors file
 * (or several safetensors shards), plus an optional Hugging Face config.json. Parameters come back
 * in the reference layout as float32; a float32 tensor may share memory with the input bytes.
 */
export function loadCheckpoint(files: CheckpointFile[], options: LoadOptions = {}): LoadedCheckpoint {
  const notes: string[] = [];
  const configFiles = files.filter((f) => baseName(f.name) === CONFIG_NAME);
  if (configFiles.length > 1) throw new CheckpointError('more than one config.json was given');
  const ignored = files.filter((f) => baseName(f.name) !== CONFIG_NAME && f.name.endsWith(JSON_EXT));
  if (ignored.length > 0) notes.push(`ignored ${ignored.map((f) => f.name).join(', ')}`);
  const weightFiles = files.filter((f) => !f.name.endsWith(JSON_EXT));
  if (weightFiles.length === 0) throw new CheckpointError(NOT_A_CHECKPOINT, 'not-a-checkpoint');
  const configJson = configFiles.length === 1 ? parseConfigJson(configFiles[0]) : undefined;

  const raw = readWeights(weightFiles);
  notes.push(...raw.notes);
  for (const [name, dtype] of raw.unsupported) {
    if (!isHarmlessExtra(name)) throw new CheckpointError(`unsupported dtype ${dtype} for tensor ${name}`, 'unsupported');
  }

  const stored = new Map<string, StoredTensor>();
  for (const [name, original] of stripWrapperPrefix([...raw.tensors.keys()])) {
    stored.set(name, raw.tensors.get(original) as StoredTensor);
  }
  const layout = detectLayout(stored.keys());
  const { params: mapped, unmapped } = mapToReference(stored.keys(), layout);
  // Nothing with an MAE encoder name (patch embedding, blocks) means another model altogether.
  const encoderNames = [...mapped.keys()].filter((k) => k.startsWith('patch_embed.') || k.startsWith('blocks.'));
  if (encoderNames.length === 0) {
    throw new CheckpointError('not an MAE checkpoint: none of its tensors has a ViT-MAE name '
      + `(it holds ${listNames([...stored.keys()])})`, 'not-a-checkpoint');
  }
  if (!hasDecoder(mapped.keys())) throw new CheckpointError(NO_DECODER, 'encoder-only');

  // Shapes under reference names; a fused qkv is its parts stacked along the output dimension.
  const shapes = new Map<string, number[]>();
  for (const [ref, m] of mapped) {
    if (m.sources.some((s) => s === undefined)) continue;
    const parts = m.sources.map((s) => (stored.get(s as string) as StoredTensor).shape);
    if (parts.some((p) => p.length === 0 || !sameShape(p.slice(1), parts[0].slice(1)))) {
      throw new CheckpointError(`${ref}: the parts ${m.sources.join(', ')} have shapes `
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
      (mapped.get(k)?.sources ?? []).filter((s) => s !== undefined));
    const detail = partial.length > 0 ? ` (found only ${listNames(partial as string[])})` : '';
    throw new CheckpointError(
      `the checkpoint is missing ${missing.length} tensor(s) the model needs: ${listNames(missing)}${detail}`, 'not-a-checkpoint');
  }
  const unexpected = [
    ...unmapped,
    ...[...mapped.keys()].filter((k) => !expected.has(k))
      .flatMap((k) => (mapped.get(k)?.sources ?? []).filter((s): s is string => s !== undefined)),
  ].filter((n) => !isHarmlessExtra(n));
  if (unexpected.length > 0) {
    throw new CheckpointError(`the checkpoint has ${unexpected.length} tensor(s) this MAE does not use: `
      + `${listNames(unexpected)}`, 'not-a-checkpoint');
  }
  const mismatches: string[] = [];
  for (const [ref, want] of expected) {
    const found = shapes.get(ref);
    if (found && !sameShape(found, want)) {
      const from = layout === 'hf' ? ` (from ${mapped.get(ref)?.sources.join(' + ')})` : '';
      mismatches.push(`${ref}${from}: expected ${fmtShape(want)}, found ${fmtShape(found)}`);
    }
  }
  if (mismatches.length > 0) {
    const more = mismatches.length > LIST_LIMIT ? `; and ${mismatches.length - LIST_LIMIT} more` : '';
    throw new CheckpointError(`${mismatches.slice(0, LIST_LIMIT).join('; ')}${more}`);
  }

  const params: MaeParams = new Map();
  for (const [ref, shape] of expected) {
    const m = mapped.get(ref);
    if (!m) {
      notes.push(`${ref} not in the checkpoint: the model will use the fixed 2-D sin-cos table `
        + '(MAE never trains it)');
      continue;
    }
    const parts = m.sources.map((s) => toFloat32(stored.get(s as string) as StoredTensor));
    const tensor: HostTensor = { shape, data: parts.length === 1 ? parts[0] : concatRows(parts) };
    params.set(ref, tensor);
  }
  return { config: inferred.config, params, notes, layout };
}
