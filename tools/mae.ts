// `npm run mae -- reconstruct ...`: reconstruct an image with an MAE checkpoint, no browser.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadCheckpoint } from '../src/checkpoints/load';
import { MAX_WASM_HEAP_BYTES } from '../src/checkpoints/limits';
import { ConfigError, Mae, reconstructImage, type SeededPattern } from '../src/model';
import { ParamError } from '../src/model/weights';
import { MAX_SEED } from '../src/shared/masking';
import { LoadError, printable } from '../src/shared/errors';
import { DEFAULT_HF_ENDPOINT } from '../src/shared/hub';
import { maskedPanel, sideBySide, type MaskStyle } from '../src/shared/panels';
import { useBackend, type NodeBackend } from './lib/backend';
import { readCheckpoint, UsageError } from './lib/checkpoint';
import { decodeImage, encodePng, fitToSquare, ImageError, MAX_IMAGE_FILE_BYTES, type FitMode } from './lib/image';
import { INSPECT_USAGE, inspectCommand } from './inspect';
import { FINETUNE_USAGE } from './finetune-usage';
import { TrainError } from '../src/model/train';

/** The checkpoint the project ships, used when --checkpoint is left out. */
export const BUNDLED_CHECKPOINT = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'public', 'checkpoints', 'mae-small');
/** Gap between panels in the side-by-side PNG, in pixels. */
const PANEL_GAP_PX = 8;
/** Exit status for bad input (arguments, images, checkpoints). */
const EXIT_BAD_INPUT = 2;
/** Exit status for anything else (a bug). */
const EXIT_FAILURE = 1;

const USAGE = `usage: npm run --silent mae -- reconstruct [--checkpoint <file|folder|hf:org/name[@revision]>] --image <png|jpg>
    [--mask-ratio 0.75] [--seed 0] [--pattern random|block|grid] [--resize crop|squash]
    [--out panels.png] [--save-panels DIR] [--mask-style grey|checker] [--backend wasm|cpu] [--json]

  --checkpoint     a .safetensors/.pth/.bin file, a folder (model.safetensors, else pytorch_model.bin,
                   else its one weight file, with its config.json), or a hub repository
  --resize crop    shorter side to the model's size, then a centre crop (default)
  --resize squash  the whole image stretched to a square
  Panels: original | masked | reconstruction | reconstruction + visible.
  Errors are over masked patches in 0-255 pixel space. hf: downloads from $HF_ENDPOINT
  (default ${DEFAULT_HF_ENDPOINT}) into $MAE_CACHE (default ~/.cache/mae-playground).`;

function numberArg(name: string, v: string | undefined, def: number, check: (n: number) => boolean, what: string): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} must be ${what}, got "${v}"`);
  return n;
}

function oneOf<T extends string>(name: string, v: string | undefined, allowed: readonly T[], def: T): T {
  if (v === undefined) return def;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got "${v}"`);
  return v as T;
}

async function reconstruct(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      checkpoint: { type: 'string' },
      image: { type: 'string' },
      'mask-ratio': { type: 'string' },
      seed: { type: 'string' },
      pattern: { type: 'string' },
      resize: { type: 'string' },
      out: { type: 'string' },
      'save-panels': { type: 'string' },
      'mask-style': { type: 'string' },
      backend: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.image) throw new UsageError('--image is required');
  const maskRatio = numberArg('mask-ratio', values['mask-ratio'], 0.75, (n) => n >= 0 && n <= 1, 'a number from 0 to 1');
  const seed = numberArg('seed', values.seed, 0, (n) => Number.isInteger(n) && n >= 0 && n <= MAX_SEED, `an integer from 0 to ${MAX_SEED}`);
  const pattern = oneOf<SeededPattern>('pattern', values.pattern, ['random', 'block', 'grid'], 'random');
  const fit = oneOf<FitMode>('resize', values.resize, ['crop', 'squash'], 'crop');
  const style = oneOf<MaskStyle>('mask-style', values['mask-style'], ['grey', 'checker'], 'grey');
  const backend = oneOf<NodeBackend>('backend', values.backend, ['wasm', 'cpu'], 'wasm');

  const t0 = performance.now();
  if (!existsSync(values.image)) throw new UsageError(`no such image: ${values.image}`);
  const imageBytes = statSync(values.image);
  if (!imageBytes.isFile()) throw new UsageError(`not a file: ${values.image}`);
  if (imageBytes.size > MAX_IMAGE_FILE_BYTES) {
    throw new ImageError(`the image file is ${imageBytes.size} bytes, more than the ${MAX_IMAGE_FILE_BYTES} an image within the size limits can take`);
  }
  const img = decodeImage(new Uint8Array(readFileSync(values.image)));
  const { label, files, notes: pickNotes } = await readCheckpoint(values.checkpoint, BUNDLED_CHECKPOINT);
  // The Node wasm backend has the same 4 GB heap as the page's.
  const memory = backend === 'wasm' ? { device: 'the WebAssembly backend', totalBytes: MAX_WASM_HEAP_BYTES } : undefined;
  const ckpt = await loadCheckpoint(files, { memory });
  await useBackend(backend);
  const tLoad0 = performance.now();
  const model = Mae.create(ckpt.config, ckpt.params);
  const loadMs = performance.now() - tLoad0;
  try {
    const S = ckpt.config.imgSize;
    const p = ckpt.config.patchSize;
    const original = fitToSquare(img, S, fit);
    const r = await reconstructImage(model, original, { mask: { pattern, maskRatio, seed } });
    const masked = maskedPanel(original, S, p, r.mask, style);
    const panels = { original, masked, reconstruction: r.reconstruction, pasted: r.pasted };
    const out = values.out ?? 'panels.png';
    writeFileSync(out, encodePng(sideBySide(Object.values(panels), S, PANEL_GAP_PX)));
    if (values['save-panels']) {
      mkdirSync(values['save-panels'], { recursive: true });
      for (const [name, data] of Object.entries(panels)) {
        writeFileSync(path.join(values['save-panels'], `${name}.png`), encodePng({ width: S, height: S, data }));
      }
    }
    const totalMs = performance.now() - t0;
    const notes = [...pickNotes, ...ckpt.notes, ...model.notes];
    // null means "nothing masked"; a non-finite figure is written out, never passed off as null or "inf dB".
    const figure = (v: number | null) => (v === null || Number.isFinite(v) ? v : String(v));
    const warnings = [r.mse, r.psnr, r.loss].some((v) => v !== null && Number.isNaN(v))
      ? ['the error figures are NaN: the model\'s output holds NaN or infinite values (its weights overflow float32)'] : [];
    if (values.json) {
      process.stdout.write(JSON.stringify({
        checkpoint: label,
        image: { width: img.width, height: img.height, resize: fit, modelSize: S },
        patchSize: p,
        maskRatio,
        seed,
        pattern,
        backend,
        mask: Array.from(r.mask),
        metrics: { mse: figure(r.mse), psnr: figure(r.psnr), maskedPatches: r.maskedCount, loss: figure(r.loss) },
        timings: { totalMs: Math.round(totalMs), loadMs: Math.round(loadMs), modelMs: Math.round(r.modelMs) },
        out,
        notes,
        warnings,
      }) + '\n');
    } else {
      // PSNR is +inf only for a perfect reconstruction (MSE 0); NaN stays NaN.
      const fmt = (v: number | null, d: number) => (v === null ? 'n/a (no masked patch)' : Number.isFinite(v) ? v.toFixed(d) : Number.isNaN(v) ? 'NaN' : 'inf');
      for (const n of notes) process.stderr.write(`note: ${printable(n)}\n`);
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
      process.stdout.write(`${printable(label)}: ${img.width}x${img.height} -> ${S}x${S} (${fit}), patch ${p}, ${r.maskedCount}/${r.mask.length} patches masked (ratio ${maskRatio}, seed ${seed}, ${pattern})\n`);
      process.stdout.write(`masked-patch MSE ${fmt(r.mse, 2)}, PSNR ${fmt(r.psnr, 2)} dB (0-255 space); ${backend} ${r.modelMs.toFixed(0)} ms\n`);
      process.stdout.write(`wrote ${out}${values['save-panels'] ? ` and ${values['save-panels']}/{original,masked,reconstruction,pasted}.png` : ''}\n`);
    }
  } finally {
    model.dispose();
  }
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(USAGE + '\n\n' + INSPECT_USAGE + '\n\n' + FINETUNE_USAGE + '\n');
    return;
  }
  if (cmd === 'inspect') {
    await inspectCommand(rest, {
      loadCheckpoint: async (spec) => {
        const { label, files, notes } = await readCheckpoint(spec, BUNDLED_CHECKPOINT);
        const c = await loadCheckpoint(files);
        return { label, config: c.config, params: c.params, notes: [...notes, ...c.notes] };
      },
      usageError: (message) => new UsageError(message),
    });
    return;
  }
  if (cmd === 'finetune') {
    // Loaded on demand: training registers every gradient (all of @tensorflow/tfjs), which the other commands never need.
    const { finetuneCommand } = await import('./finetune');
    await finetuneCommand(rest, {
      loadCheckpoint: async (spec) => {
        const { label, files, notes } = await readCheckpoint(spec, BUNDLED_CHECKPOINT);
        // Training holds the weights about four times (weights, two Adam moments, gradients).
        const c = await loadCheckpoint(files, { memory: { device: 'the WebAssembly backend', totalBytes: MAX_WASM_HEAP_BYTES } });
        return { label, config: c.config, params: c.params, notes: [...notes, ...c.notes] };
      },
      usageError: (message) => new UsageError(message),
      imageError: (message) => new ImageError(message),
    });
    return;
  }
  if (cmd !== 'reconstruct') throw new UsageError(`unknown command "${cmd}" (try: reconstruct, inspect, finetune)`);
  await reconstruct(rest);
}

main().catch((e: unknown) => {
  const known = e instanceof UsageError || e instanceof ImageError || e instanceof LoadError
    || e instanceof ConfigError || e instanceof ParamError || e instanceof TrainError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  // Whatever a file, a server or an argument put in the message, it prints as one line.
  const msg = printable(e instanceof Error ? e.message : String(e));
  process.stderr.write(`mae: ${known ? msg : `unexpected error: ${msg}`}\n`);
  process.exit(known ? EXIT_BAD_INPUT : EXIT_FAILURE);
});
