// `mae finetune`, run as a user runs it (a child process) on the golden tiny checkpoint: it prints a
// falling loss and PSNR before/after for the training and held-out pictures, and writes Hugging
// Face files that load back as the same architecture with trained weights; bad input gets one line.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../../src/checkpoints/load';
import { configJson, GOLDEN_ARCH, referenceTensors, safetensorsOf } from '../../helpers/hostile';

/** Exit status for bad input. */
const EXIT_BAD_INPUT = 2;
/** Steps, batch and peak learning rate of the run: the golden weights are noise, so a high rate fits them fast. */
const STEPS = 8;
const BATCH = 2;
const LR = 3e-3;
/** A step on the tiny model takes well under a second on wasm; the whole run, checkpoint and evaluation included, far less than this (ms). */
const RUN_TIMEOUT_MS = 120_000;

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CKPT = path.join(ROOT, 'tests', 'fixtures', 'golden', 'tiny-p16', 'hf');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'mae-finetune-'));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(TSX, [path.join(ROOT, 'tools', 'mae.ts'), ...args], { cwd: tmp, maxBuffer: 1 << 24 },
      (err, stdout, stderr) => resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, stdout, stderr }));
  });
}

/** A PNG with some structure, `seed` shifting its colours. */
function writePicture(name: string, w: number, h: number, seed: number): string {
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const o = (y * w + x) * 4;
    png.data[o] = (x * 255) / w; png.data[o + 1] = ((y + seed * 40) * 255) / h % 256; png.data[o + 2] = (x + y) % 2 ? 200 : 60; png.data[o + 3] = 255;
  }
  const file = path.join(tmp, name);
  writeFileSync(file, PNG.sync.write(png));
  return file;
}

let a = '';
let b = '';
let held = '';
beforeAll(() => {
  a = writePicture('a.png', 300, 240, 0);
  b = writePicture('b.png', 240, 320, 1);
  held = writePicture('held.png', 256, 256, 2);
});

describe('mae finetune', () => {
  it('prints a falling loss and PSNR before/after, and writes HF files that load with trained weights', async () => {
    const out = path.join(tmp, 'out');
    const r = await run(['finetune', '--checkpoint', CKPT, '--images', `${a},${b}`, '--holdout', held, '--steps', String(STEPS),
      '--batch-size', String(BATCH), '--lr', String(LR), '--seed', '3', '--out', out]);
    expect(r.stderr).not.toMatch(/unexpected error/);
    expect(r.code).toBe(0);
    const losses = [...r.stdout.matchAll(/^step (\d+)\/\d+ loss ([\d.]+)/gm)].map((m) => Number(m[2]));
    expect(losses.length).toBeGreaterThanOrEqual(2);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    for (const name of ['a.png', 'b.png', 'held.png (held out)']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${name.replace(/[().]/g, '\\$&')}: [\\d.]+ dB -> [\\d.]+ dB \\([+-][\\d.]+\\)$`, 'm'));
    }
    const files = ['config.json', 'model.safetensors'].map((f) => ({ name: f, blob: new Blob([readFileSync(path.join(out, f))]) }));
    const trained = await loadCheckpoint(files);
    const original = await loadCheckpoint(['config.json', 'model.safetensors'].map((f) => ({ name: f, blob: new Blob([readFileSync(path.join(CKPT, f))]) })));
    expect(trained.layout).toBe('hf');
    expect(trained.config).toEqual(original.config);
    expect([...trained.params.keys()].sort()).toEqual([...original.params.keys()].sort());
    const changed = (name: string) => trained.params.get(name)!.data.some((v, i) => v !== original.params.get(name)!.data[i]);
    expect(changed('blocks.0.attn.qkv.weight')).toBe(true);
    expect(changed('decoder_pred.bias')).toBe(true);
    expect(changed('pos_embed')).toBe(false); // fixed, as in the reference
  }, RUN_TIMEOUT_MS);

  it('bad input gets one line and exit status 2', async () => {
    const encoderOnly = path.join(tmp, 'encoder-only');
    const skip = new Set([...referenceTensors(GOLDEN_ARCH).keys()].filter((n) => n.startsWith('decoder') || n === 'mask_token'));
    mkdirSync(encoderOnly, { recursive: true });
    writeFileSync(path.join(encoderOnly, 'model.safetensors'), safetensorsOf(referenceTensors(GOLDEN_ARCH, undefined, skip)));
    writeFileSync(path.join(encoderOnly, 'config.json'), configJson(GOLDEN_ARCH));
    const cases: [string[], RegExp][] = [
      [['finetune', '--checkpoint', CKPT, '--out', 'x'], /--images is required/],
      [['finetune', '--checkpoint', CKPT, '--images', a], /--out DIR is required/],
      [['finetune', '--checkpoint', CKPT, '--images', `${a},nope.png`, '--out', 'x'], /no such image: nope\.png/],
      [['finetune', '--checkpoint', CKPT, '--images', a, '--steps', '0', '--out', 'x'], /--steps must be an integer/],
      [['finetune', '--checkpoint', encoderOnly, '--images', a, '--out', 'x'], /has no decoder/], // refused by the loader already
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(EXIT_BAD_INPUT);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  }, RUN_TIMEOUT_MS);
});
