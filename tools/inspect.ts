// `npm run mae -- inspect ...`: what a checkpoint computes for one image (attention maps, latent,
// prediction) written as NumPy files, at the checkpoint's size or any other (position tables
// interpolated as the reference's interpolate_pos_embed). tools/mae.ts dispatches here.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { MaeConfig } from '../src/model/config';
import type { HostParams } from '../src/model/weights';
import { InspectModel, inspectOutputBytes, type ImageSize, type InspectResult } from '../src/model/inspect';
import { rgbaToNormalizedChw } from '../src/model/pixels';
import { lenKeepFor, MAX_SEED, type SeededPattern } from '../src/shared/masking';
import { useBackend, type NodeBackend } from './lib/backend';
import { decodeImage, fitToSize, type FitMode } from './lib/image';
import { encodeNpy } from './lib/npy';
import { numberOption } from './lib/args';

/**
 * Largest total size of the arrays one run writes, in bytes. Attention maps grow with the
 * square of the tokens (ViT-Large's decoder at 448 px: 315 MB), and they exist on the backend and
 * on the host at once; the wasm backend has a 4 GB heap.
 */
export const MAX_INSPECT_OUTPUT_BYTES = 1024 ** 3;
/** Default mask ratio, as `reconstruct`. */
const DEFAULT_MASK_RATIO = 0.75;

export const INSPECT_USAGE = `usage: npm run --silent mae -- inspect [--checkpoint <file|folder|hf:org/name[@revision]>] --image <png|jpg>
    --out DIR [--mask-ratio 0.75] [--seed 0] [--pattern random|block|grid] [--image-size W[xH]]
    [--resize crop|squash] [--backend wasm|cpu]

  Writes NumPy files to DIR (float32 unless said; token 0 is the cls token):
    ids_keep.npy           int32 [keep]: patch index of each visible token, in the encoder's order
    mask.npy               [L]: 1 = masked, patches row-major
    encoder_attention.npy  [depth, heads, 1+keep, 1+keep]: softmax weights; token i = patch ids_keep[i-1]
    decoder_attention.npy  [decoder_depth, decoder_heads, 1+L, 1+L]: token j = patch j-1
    latent.npy             [1+keep, E]: the encoder output after its final norm
    pred.npy               [L, p*p*3]: the decoder's prediction (normalised pixels)
    inspect.json           the settings, grid and shapes
  --image-size W[xH]  run at W x H px (multiples of the patch size) instead of the checkpoint's size:
                      position embeddings are interpolated bicubically (the model was trained at its size)`;

/** A checkpoint as the command line read it. */
export interface InspectCheckpoint {
  label: string;
  config: MaeConfig;
  params: HostParams;
  notes: string[];
}

/** What `inspect` needs from the command line around it. */
export interface InspectDeps {
  /** Reads and parses the checkpoint `--checkpoint` names (undefined: the bundled one). */
  loadCheckpoint(spec: string | undefined): Promise<InspectCheckpoint>;
  /** The error printed as a usage mistake (one line, exit 2). */
  usageError(message: string): Error;
}

/** `--image-size`: "W" (square) or "WxH", in pixels; null when the text is neither. */
export function parseImageSize(text: string): ImageSize | null {
  const m = /^(\d+)(?:x(\d+))?$/.exec(text);
  if (!m) return null;
  const width = Number(m[1]);
  const height = m[2] === undefined ? width : Number(m[2]);
  return width > 0 && height > 0 ? { width, height } : null;
}

/** The arrays of a result, each with the name of its .npy file and its shape. */
export function inspectArrays(r: InspectResult): { file: string; data: Float32Array | Int32Array; shape: number[] }[] {
  return [
    { file: 'ids_keep.npy', data: r.idsKeep, shape: [r.lenKeep] },
    { file: 'mask.npy', data: r.mask, shape: [r.numPatches] },
    ...(r.encoderAttention ? [{ file: 'encoder_attention.npy', ...r.encoderAttention }] : []),
    ...(r.decoderAttention ? [{ file: 'decoder_attention.npy', ...r.decoderAttention }] : []),
    { file: 'latent.npy', ...r.latent },
    { file: 'pred.npy', ...r.pred },
  ];
}

/** Runs `inspect` with its arguments (after the command name). */
export async function inspectCommand(argv: string[], deps: InspectDeps): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      checkpoint: { type: 'string' },
      image: { type: 'string' },
      out: { type: 'string' },
      'mask-ratio': { type: 'string' },
      seed: { type: 'string' },
      pattern: { type: 'string' },
      'image-size': { type: 'string' },
      resize: { type: 'string' },
      backend: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(INSPECT_USAGE + '\n');
    return;
  }
  const bad = deps.usageError;
  const number = numberOption(bad);
  const oneOf = <T extends string>(name: string, v: string | undefined, allowed: readonly T[], def: T): T => {
    if (v === undefined) return def;
    if (!(allowed as readonly string[]).includes(v)) throw bad(`--${name} must be one of ${allowed.join(', ')}, got "${v}"`);
    return v as T;
  };
  if (!values.image) throw bad('--image is required');
  if (!values.out) throw bad('--out DIR is required (the folder the .npy files go to)');
  const maskRatio = number('mask-ratio', values['mask-ratio'], DEFAULT_MASK_RATIO, (n) => n >= 0 && n <= 1, 'a number from 0 to 1');
  const seed = number('seed', values.seed, 0, (n) => Number.isInteger(n) && n >= 0 && n <= MAX_SEED, `an integer from 0 to ${MAX_SEED}`);
  const pattern = oneOf<SeededPattern>('pattern', values.pattern, ['random', 'block', 'grid'], 'random');
  const fit = oneOf<FitMode>('resize', values.resize, ['crop', 'squash'], 'crop');
  const backend = oneOf<NodeBackend>('backend', values.backend, ['wasm', 'cpu'], 'wasm');
  const asked = values['image-size'] === undefined ? null : parseImageSize(values['image-size']);
  if (values['image-size'] !== undefined && !asked) {
    throw bad(`--image-size must be W or WxH in pixels (e.g. 448 or 224x336), got "${values['image-size']}"`);
  }
  if (!existsSync(values.image)) throw bad(`no such image: ${values.image}`);
  if (!statSync(values.image).isFile()) throw bad(`not a file: ${values.image}`);
  if (existsSync(values.out) && !statSync(values.out).isDirectory()) throw bad(`--out ${values.out} exists and is not a folder`);
  const img = decodeImage(new Uint8Array(readFileSync(values.image)));

  const ckpt = await deps.loadCheckpoint(values.checkpoint);
  const c = ckpt.config;
  const size = asked ?? { width: c.imgSize, height: c.imgSize };
  const p = c.patchSize;
  if (size.width % p !== 0 || size.height % p !== 0) {
    throw bad(`--image-size ${size.width}x${size.height}: both sides must be multiples of the checkpoint's patch size, ${p} px`);
  }
  const grid = { rows: size.height / p, cols: size.width / p };
  const L = grid.rows * grid.cols;
  const bytes = inspectOutputBytes(c, grid, lenKeepFor(L, maskRatio));
  if (bytes > MAX_INSPECT_OUTPUT_BYTES) {
    throw bad(`--image-size ${size.width}x${size.height} gives ${L} patches: the attention maps would take ${(bytes / 1e9).toFixed(1)} GB, `
      + `more than the ${(MAX_INSPECT_OUTPUT_BYTES / 1e9).toFixed(1)} GB this command writes; choose a smaller size or a higher mask ratio`);
  }

  await useBackend(backend);
  const model = InspectModel.create(c, ckpt.params);
  let r: InspectResult;
  const t0 = performance.now();
  try {
    const rgba = fitToSize(img, size.width, size.height, fit);
    r = await model.inspect(rgbaToNormalizedChw(rgba, size.width, size.height), size, { pattern, maskRatio, seed });
  } finally {
    model.dispose();
  }
  const modelMs = performance.now() - t0;

  mkdirSync(values.out, { recursive: true });
  const arrays = inspectArrays(r);
  for (const a of arrays) writeFileSync(path.join(values.out, a.file), encodeNpy(a.data, a.shape));
  const interpolated = size.width !== c.imgSize || size.height !== c.imgSize;
  const notes = [...ckpt.notes, ...model.notes,
    ...(interpolated ? [`position embeddings interpolated bicubically from ${c.imgSize / p}x${c.imgSize / p} to ${grid.rows}x${grid.cols} patches: the model was trained at ${c.imgSize} px`] : [])];
  writeFileSync(path.join(values.out, 'inspect.json'), JSON.stringify({
    checkpoint: ckpt.label,
    image: { width: img.width, height: img.height, resize: fit },
    size, patchSize: p, grid, numPatches: r.numPatches, lenKeep: r.lenKeep,
    maskRatio, seed, pattern, backend,
    arrays: Object.fromEntries(arrays.map((a) => [a.file, { shape: a.shape, dtype: a.data instanceof Int32Array ? 'int32' : 'float32' }])),
    notes,
  }, null, 2) + '\n');
  for (const n of notes) process.stderr.write(`note: ${n}\n`);
  process.stdout.write(`${ckpt.label}: ${img.width}x${img.height} -> ${size.width}x${size.height} (${fit}), ${grid.rows}x${grid.cols} patches of ${p} px, `
    + `${L - r.lenKeep}/${L} masked (ratio ${maskRatio}, seed ${seed}, ${pattern}); ${backend} ${modelMs.toFixed(0)} ms\n`);
  process.stdout.write(`wrote ${[...arrays.map((a) => a.file), 'inspect.json'].join(', ')} to ${values.out}\n`);
}
