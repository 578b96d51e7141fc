// `npm run mae -- finetune ...`: fine-tune a checkpoint on a few pictures (src/model/train.ts, the
// page's trainer) on the wasm (or cpu) backend, print the loss as it goes and the masked-patch
// PSNR under one fixed mask before and after, and save the result as Hugging Face files.
// tools/mae.ts dispatches here.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
// Registers tfjs-core's gradients (its CommonJS build does; tfjs-core's own module is ESM Node cannot load).
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { toHfFiles } from '../src/checkpoints/export';
import type { MaeConfig } from '../src/model/config';
import { numPatches } from '../src/model/config';
import { Mae } from '../src/model/mae';
import { reconstructImage } from '../src/model/reconstruct';
import { DEFAULT_TRAIN_SETTINGS, sampleBatch, Trainer, type TrainSettings } from '../src/model/train';
import type { HostParams } from '../src/model/weights';
import type { RgbaImage } from '../src/shared/augment';
import { MAX_SEED } from '../src/shared/masking';
import { mulberry32 } from '../src/shared/prng';
import { useBackend, type NodeBackend } from './lib/backend';
import { FINETUNE_USAGE } from './finetune-usage';
import { decodeImage, fitToSize, fitToSquare, MAX_IMAGE_FILE_BYTES, type RgbaImage as DecodedImage } from './lib/image';
import { numberOption } from './lib/args';

/** Training pictures are shrunk so their shorter side is at most this many times the model's size (crops stay sharp, steps stay fast). */
const MAX_TRAIN_SIDE_FACTOR = 2;
/** Loss lines printed over a run (about). */
const LOSS_LINES = 20;
/** Largest number of steps one run takes. */
const MAX_STEPS = 100_000;
/** Largest batch. */
const MAX_BATCH = 256;
/** Largest number of training pictures. */
const MAX_IMAGES = 1000;
/** The mask ratio of the before/after evaluation (the page's default). */
const EVAL_MASK_RATIO = 0.75;
const MS_PER_S = 1000;
const US_PER_S = 1e6;
/** Bytes in a MB, and kB (maxRSS's unit) in a MB. */
const MB = 1e6;
const KB_PER_MB = 1e3;

/** A checkpoint as the command line read it. */
export interface FinetuneCheckpoint {
  label: string;
  config: MaeConfig;
  params: HostParams;
  notes: string[];
}

/** What `finetune` needs from the command line around it. */
export interface FinetuneDeps {
  loadCheckpoint(spec: string | undefined): Promise<FinetuneCheckpoint>;
  usageError(message: string): Error;
  imageError(message: string): Error;
}

/** Masked-patch PSNR of each picture (fitted to the model's size) under one seeded mask. */
async function psnrs(config: MaeConfig, params: HostParams, pictures: Uint8ClampedArray[], seed: number): Promise<number[]> {
  const model = Mae.create(config, params);
  try {
    const out: number[] = [];
    for (const rgba of pictures) {
      const r = await reconstructImage(model, rgba, { mask: { pattern: 'random', maskRatio: EVAL_MASK_RATIO, seed } });
      out.push(r.psnr ?? Number.NaN);
    }
    return out;
  } finally {
    model.dispose();
  }
}

/** A picture shrunk (aspect kept) so its shorter side is at most `maxShort` pixels. */
function shrink(img: DecodedImage, maxShort: number): RgbaImage {
  const short = Math.min(img.width, img.height);
  if (short <= maxShort) return img;
  const k = maxShort / short;
  const width = Math.max(1, Math.round(img.width * k));
  const height = Math.max(1, Math.round(img.height * k));
  return { width, height, data: fitToSize(img, width, height, 'squash') };
}

/** Runs `finetune` with its arguments (after the command name). */
export async function finetuneCommand(argv: string[], deps: FinetuneDeps): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      checkpoint: { type: 'string' },
      images: { type: 'string' },
      holdout: { type: 'string' },
      out: { type: 'string' },
      steps: { type: 'string' },
      'batch-size': { type: 'string' },
      lr: { type: 'string' },
      seed: { type: 'string' },
      backend: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(FINETUNE_USAGE + '\n');
    return;
  }
  const bad = deps.usageError;
  const number = numberOption(bad);
  if (!values.images) throw bad('--images is required: the pictures to train on, separated by commas');
  if (!values.out) throw bad('--out DIR is required (the folder config.json and model.safetensors go to)');
  const steps = number('steps', values.steps, DEFAULT_TRAIN_SETTINGS.steps, (n) => Number.isInteger(n) && n >= 1 && n <= MAX_STEPS, `an integer from 1 to ${MAX_STEPS}`);
  const batchSize = number('batch-size', values['batch-size'], DEFAULT_TRAIN_SETTINGS.batchSize, (n) => Number.isInteger(n) && n >= 1 && n <= MAX_BATCH, `an integer from 1 to ${MAX_BATCH}`);
  const baseLr = number('lr', values.lr, DEFAULT_TRAIN_SETTINGS.baseLr, (n) => n > 0 && n <= 1, 'a number above 0 and at most 1');
  const seed = number('seed', values.seed, 0, (n) => Number.isInteger(n) && n >= 0 && n <= MAX_SEED, `an integer from 0 to ${MAX_SEED}`);
  const backend = values.backend ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'cpu') throw bad(`--backend must be one of wasm, cpu, got "${backend}"`);
  const imagePaths = values.images.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (imagePaths.length === 0) throw bad('--images names no picture');
  if (imagePaths.length > MAX_IMAGES) throw bad(`--images names ${imagePaths.length} pictures, more than ${MAX_IMAGES}`);
  if (existsSync(values.out) && !statSync(values.out).isDirectory()) throw bad(`--out ${values.out} exists and is not a folder`);
  const readImage = (file: string): DecodedImage => {
    if (!existsSync(file)) throw bad(`no such image: ${file}`);
    const st = statSync(file);
    if (!st.isFile()) throw bad(`not a file: ${file}`);
    if (st.size > MAX_IMAGE_FILE_BYTES) throw deps.imageError(`${file} is ${st.size} bytes, more than the ${MAX_IMAGE_FILE_BYTES} an image within the size limits can take`);
    return decodeImage(new Uint8Array(readFileSync(file)));
  };
  const decoded = imagePaths.map(readImage);
  const holdout = values.holdout === undefined ? null : readImage(values.holdout);

  const ckpt = await deps.loadCheckpoint(values.checkpoint);
  const c = ckpt.config;
  const S = c.imgSize;
  const settings: TrainSettings = { ...DEFAULT_TRAIN_SETTINGS, steps, batchSize, baseLr, seed };
  await useBackend(backend as NodeBackend);
  const trainer = Trainer.create(c, ckpt.params, settings);
  try {
    for (const n of ckpt.notes) process.stderr.write(`note: ${n}\n`);
    const evalNames = [...imagePaths.map((p) => path.basename(p)), ...(values.holdout ? [`${path.basename(values.holdout)} (held out)`] : [])];
    const evalPictures = [...decoded, ...(holdout ? [holdout] : [])].map((img) => fitToSquare(img, S, 'crop'));
    const before = await psnrs(c, ckpt.params, evalPictures, seed);
    const train = decoded.map((img) => shrink(img, MAX_TRAIN_SIDE_FACTOR * S));
    const L = numPatches(c);
    const rng = mulberry32(seed);
    const every = Math.max(1, Math.round(steps / LOSS_LINES));
    process.stdout.write(`${ckpt.label}: fine-tuning on ${imagePaths.length} picture(s), ${steps} steps of ${batchSize} at ${S} px, `
      + `peak lr ${baseLr}, seed ${seed}, ${backend}\n`);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let firstLoss = Number.NaN;
    let lastLoss = Number.NaN;
    for (let i = 0; i < steps; i++) {
      const { batch, noise } = sampleBatch(train, batchSize, S, L, rng);
      const r = await trainer.step(batch, noise);
      if (i === 0) firstLoss = r.loss;
      lastLoss = r.loss;
      if (i === 0 || (i + 1) % every === 0 || i === steps - 1) {
        const rate = ((i + 1) * MS_PER_S) / (performance.now() - t0);
        process.stdout.write(`step ${i + 1}/${steps} loss ${r.loss.toFixed(4)} lr ${r.lr.toExponential(2)} (${rate.toFixed(2)} steps/s)\n`);
      }
    }
    const trainS = (performance.now() - t0) / MS_PER_S;
    const cpu = process.cpuUsage(cpu0);
    const cpuS = (cpu.user + cpu.system) / US_PER_S; // on a shared machine, wall time says little
    const heldBytes = tf.memory().numBytes; // weights and Adam moments, between steps
    const params = await trainer.hostParams();
    const after = await psnrs(c, params, evalPictures, seed);
    const files = toHfFiles(c, params);
    mkdirSync(values.out, { recursive: true });
    writeFileSync(path.join(values.out, 'config.json'), files.configJson);
    writeFileSync(path.join(values.out, 'model.safetensors'), files.safetensors);
    process.stdout.write(`trained ${steps} steps in ${trainS.toFixed(1)} s (${(steps / trainS).toFixed(2)} steps/s, `
      + `${((steps * batchSize) / trainS).toFixed(1)} images/s; ${(cpuS / steps).toFixed(2)} s of CPU a step); `
      + `loss ${firstLoss.toFixed(4)} -> ${lastLoss.toFixed(4)}\n`);
    process.stdout.write(`memory: ${(heldBytes / MB).toFixed(1)} MB of tensors held between steps, `
      + `peak resident ${(process.resourceUsage().maxRSS / KB_PER_MB).toFixed(0)} MB (the process, wasm heap included)\n`);
    process.stdout.write(`masked-patch PSNR, ${Math.round(EVAL_MASK_RATIO * 100)} % masked, seed ${seed} (0-255 space):\n`);
    evalNames.forEach((name, i) => {
      const d = after[i] - before[i];
      process.stdout.write(`  ${name}: ${before[i].toFixed(2)} dB -> ${after[i].toFixed(2)} dB (${d >= 0 ? '+' : ''}${d.toFixed(2)})\n`);
    });
    process.stdout.write(`wrote ${path.join(values.out, 'config.json')} and ${path.join(values.out, 'model.safetensors')}\n`);
  } finally {
    trainer.dispose();
  }
}
