// `npm run mae -- reconstruct ...`: reconstruct an image with an MAE checkpoint, no browser.
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadCheckpoint } from '../src/checkpoints/load';
import { CheckpointError } from '../src/checkpoints/types';
import { DEFAULT_HF_ENDPOINT, downloadBytes, fetchHubCheckpoint, hubFileUrl, parseHubRef } from '../src/checkpoints/hub';
import { ConfigError, Mae, reconstructImage, type SeededPattern } from '../src/model';
import { ParamError } from '../src/model/weights';
import { MAX_SEED } from '../src/shared/masking';
import { maskedPanel, sideBySide, type MaskStyle } from '../src/shared/panels';
import { useBackend, type NodeBackend } from './lib/backend';
import { decodeImage, encodePng, fitToSquare, ImageError, type FitMode } from './lib/image';
import { INSPECT_USAGE, inspectCommand } from './inspect';

/** The checkpoint the project ships, used when --checkpoint is left out. */
export const BUNDLED_CHECKPOINT = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'public', 'checkpoints', 'mae-small');
/** Gap between panels in the side-by-side PNG, in pixels. */
const PANEL_GAP_PX = 8;

const USAGE = `usage: npm run --silent mae -- reconstruct [--checkpoint <file|folder|hf:org/name[@revision]>] --image <png|jpg>
    [--mask-ratio 0.75] [--seed 0] [--pattern random|block|grid] [--resize crop|squash]
    [--out panels.png] [--save-panels DIR] [--mask-style grey|checker] [--backend wasm|cpu] [--json]

  --resize crop    shorter side to the model's size, then a centre crop (default)
  --resize squash  the whole image stretched to a square
  Panels: original | masked | reconstruction | reconstruction + visible.
  Errors are over masked patches in 0-255 pixel space. hf: downloads from $HF_ENDPOINT
  (default ${DEFAULT_HF_ENDPOINT}) into $MAE_CACHE (default ~/.cache/mae-playground).`;

/** A user mistake: printed as one line, exit code 2. */
class UsageError extends Error {}

function readCheckpointFolder(dir: string): { name: string; bytes: Uint8Array }[] {
  const names = readdirSync(dir).filter((f) => /\.(safetensors|pth|bin|pt)$/.test(f) || f === 'config.json');
  const weights = names.filter((f) => f !== 'config.json');
  if (weights.length === 0) throw new UsageError(`no checkpoint file (.safetensors, .pth, .bin) in ${dir}`);
  if (weights.length > 1) throw new UsageError(`several checkpoint files in ${dir}: ${weights.join(', ')}; name one`);
  return names.map((name) => ({ name, bytes: new Uint8Array(readFileSync(path.join(dir, name))) }));
}

async function fetchHub(ref: string): Promise<{ name: string; bytes: Uint8Array }[]> {
  const hub = parseHubRef(ref);
  const endpoint = process.env.HF_ENDPOINT || DEFAULT_HF_ENDPOINT;
  const cacheRoot = process.env.MAE_CACHE || path.join(os.homedir(), '.cache', 'mae-playground');
  const dir = path.join(cacheRoot, 'hub', ...hub.repo.split('/'), hub.revision.replace(/[^\w.-]/g, '_'));
  mkdirSync(dir, { recursive: true });
  return fetchHubCheckpoint(async (file) => {
    const cached = path.join(dir, file);
    if (existsSync(cached)) return new Uint8Array(readFileSync(cached));
    const url = hubFileUrl(endpoint, hub, file);
    let last = 0;
    const bytes = await downloadBytes(url, (loaded, total) => {
      const now = Date.now();
      if (now - last < 200 && loaded !== total) return;
      last = now;
      const pct = total ? ` (${((100 * loaded) / total).toFixed(0)} %)` : '';
      process.stderr.write(`\rdownloading ${file}: ${(loaded / 1e6).toFixed(1)} MB${pct}   `);
    });
    process.stderr.write('\n');
    // Written under a temporary name first, so an interrupted run never leaves half a file in the cache.
    writeFileSync(cached + '.part', bytes);
    renameSync(cached + '.part', cached);
    return bytes;
  });
}

async function readCheckpoint(spec: string | undefined): Promise<{ label: string; files: { name: string; bytes: Uint8Array }[] }> {
  if (spec === undefined) {
    if (!existsSync(BUNDLED_CHECKPOINT)) throw new UsageError('no --checkpoint given and no bundled checkpoint in public/checkpoints/mae-small');
    return { label: 'bundled mae-small', files: readCheckpointFolder(BUNDLED_CHECKPOINT) };
  }
  if (spec.startsWith('hf:')) return { label: spec, files: await fetchHub(spec) };
  if (!existsSync(spec)) throw new UsageError(`no such checkpoint file or folder: ${spec}`);
  if (statSync(spec).isDirectory()) return { label: spec, files: readCheckpointFolder(spec) };
  const files = [{ name: path.basename(spec), bytes: new Uint8Array(readFileSync(spec)) }];
  const cfg = path.join(path.dirname(spec), 'config.json');
  if (spec.endsWith('.safetensors') && existsSync(cfg)) files.push({ name: 'config.json', bytes: new Uint8Array(readFileSync(cfg)) });
  return { label: spec, files };
}

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
  const img = decodeImage(new Uint8Array(readFileSync(values.image)));
  const { label, files } = await readCheckpoint(values.checkpoint);
  const ckpt = loadCheckpoint(files);
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
    const finite = (v: number | null) => (v === null || Number.isFinite(v) ? v : null);
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
        metrics: { mse: r.mse, psnr: finite(r.psnr), maskedPatches: r.maskedCount, loss: r.loss },
        timings: { totalMs: Math.round(totalMs), loadMs: Math.round(loadMs), modelMs: Math.round(r.modelMs) },
        out,
        notes: [...ckpt.notes, ...model.notes],
      }) + '\n');
    } else {
      const fmt = (v: number | null, d: number) => (v === null ? 'n/a (no masked patch)' : Number.isFinite(v) ? v.toFixed(d) : 'inf');
      for (const n of [...ckpt.notes, ...model.notes]) process.stderr.write(`note: ${n}\n`);
      process.stdout.write(`${label}: ${img.width}x${img.height} -> ${S}x${S} (${fit}), patch ${p}, ${r.maskedCount}/${r.mask.length} patches masked (ratio ${maskRatio}, seed ${seed}, ${pattern})\n`);
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
    process.stdout.write(USAGE + '\n\n' + INSPECT_USAGE + '\n');
    return;
  }
  if (cmd === 'inspect') {
    await inspectCommand(rest, {
      loadCheckpoint: async (spec) => {
        const { label, files } = await readCheckpoint(spec);
        return { label, ...loadCheckpoint(files) };
      },
      usageError: (message) => new UsageError(message),
    });
    return;
  }
  if (cmd !== 'reconstruct') throw new UsageError(`unknown command "${cmd}" (try: reconstruct, inspect)`);
  await reconstruct(rest);
}

main().catch((e: unknown) => {
  const known = e instanceof UsageError || e instanceof ImageError || e instanceof CheckpointError
    || e instanceof ConfigError || e instanceof ParamError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`mae: ${known ? msg : `unexpected error: ${msg}`}\n`);
  process.exit(known ? 2 : 1);
});
