// The command line, run as a user runs it: a child process, its stdout, stderr, exit code and files.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubServer } from '../../helpers/hub-server';
import { endpointCacheKey } from '../../../src/shared/hub';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const GOLDEN = path.join(ROOT, 'tests', 'fixtures', 'golden', 'tiny-p16');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'mae-cli-'));

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(TSX, [path.join(ROOT, 'tools', 'mae.ts'), ...args], { env: { ...process.env, ...env }, cwd: tmp, maxBuffer: 1 << 24 },
      (err, stdout, stderr) => resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, stdout, stderr }));
  });
}

function writePng(file: string, w: number, h: number): void {
  const png = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) {
    png.data[i * 4] = (i % w) * 3; png.data[i * 4 + 1] = Math.floor(i / w) * 2; png.data[i * 4 + 2] = 128; png.data[i * 4 + 3] = 255;
  }
  writeFileSync(file, PNG.sync.write(png));
}

/** A PNG whose header claims the given size (no pixel data needed to be refused). */
function pngHeaderOnly(file: string, w: number, h: number): void {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8); b.write('IHDR', 12); b.writeUInt32BE(w, 16); b.writeUInt32BE(h, 20);
  b[24] = 8; b[25] = 6;
  writeFileSync(file, b);
}

const img = path.join(tmp, 'photo.png');
const ckpt = path.join(GOLDEN, 'hf');

beforeAll(() => writePng(img, 300, 200));

describe('mae reconstruct', () => {
  it('writes four panels side by side and prints masked-patch MSE and PSNR', async () => {
    const r = await run(['reconstruct', '--checkpoint', ckpt, '--image', img, '--out', 'p.png', '--seed', '3']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/147\/196 patches masked/);
    expect(r.stdout).toMatch(/MSE \d+\.\d+, PSNR \d+\.\d+ dB/);
    const png = PNG.sync.read(readFileSync(path.join(tmp, 'p.png')));
    expect([png.width, png.height]).toEqual([4 * 224 + 3 * 8, 224]);
  });

  /** Relative difference of the masked MSE between the cpu and wasm backends (float32 round-off, orders of magnitude above it). */
  const BACKEND_MSE_REL_TOL = 1e-4;

  it('--json prints one object with the mask in patch order, metrics and timings; same seed, same mask', async () => {
    const a = await run(['reconstruct', '--checkpoint', ckpt, '--image', img, '--json', '--seed', '11', '--mask-ratio', '0.5', '--out', 'j.png']);
    expect(a.code).toBe(0);
    const j = JSON.parse(a.stdout);
    expect(a.stdout.trim().split('\n')).toHaveLength(1);
    expect(j.image).toMatchObject({ width: 300, height: 200, modelSize: 224 });
    expect(j.patchSize).toBe(16);
    expect(j.mask).toHaveLength(196);
    expect(j.mask.reduce((s: number, v: number) => s + v, 0)).toBe(98);
    expect(j.metrics.psnr).toBeGreaterThan(0);
    expect(j.timings.totalMs).toBeGreaterThan(0);
    const b = await run(['reconstruct', '--checkpoint', ckpt, '--image', img, '--json', '--seed', '11', '--mask-ratio', '0.5', '--out', 'j.png', '--backend', 'cpu']);
    const jb = JSON.parse(b.stdout);
    expect(jb.mask).toEqual(j.mask);
    // Same model on another backend: error figures agree to float32 round-off (relative: the MSE is in the thousands here).
    expect(Math.abs(jb.metrics.mse - j.metrics.mse) / j.metrics.mse).toBeLessThan(BACKEND_MSE_REL_TOL);
  });

  it('--save-panels writes each panel at the model resolution', async () => {
    const r = await run(['reconstruct', '--checkpoint', path.join(GOLDEN, 'checkpoint.pth'), '--image', img, '--save-panels', 'panels', '--out', 's.png']);
    // A .pth has no head count: the loader says what it assumed.
    expect(r.code).toBe(0);
    expect(readdirSync(path.join(tmp, 'panels')).sort()).toEqual(['masked.png', 'original.png', 'pasted.png', 'reconstruction.png']);
    const p = PNG.sync.read(readFileSync(path.join(tmp, 'panels', 'masked.png')));
    expect([p.width, p.height]).toEqual([224, 224]);
  });

  it('--image-size 224x336 runs on a 14 x 21 grid at that size and says the checkpoint was trained at 224 px', async () => {
    const r = await run(['reconstruct', '--checkpoint', ckpt, '--image', img, '--image-size', '224x336', '--json', '--out', 'r.png', '--save-panels', 'rect']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.image).toMatchObject({ modelSize: 224, inputWidth: 224, inputHeight: 336 });
    expect(j.mask).toHaveLength(14 * 21);
    expect(j.metrics.maskedPatches).toBe(294 - Math.trunc(294 * 0.25));
    expect(j.notes.join(' ')).toMatch(/trained at 224x224 px; run at 224x336 px/);
    const png = PNG.sync.read(readFileSync(path.join(tmp, 'r.png')));
    expect([png.width, png.height]).toEqual([4 * 224 + 3 * 8, 336]);
    const p = PNG.sync.read(readFileSync(path.join(tmp, 'rect', 'reconstruction.png')));
    expect([p.width, p.height]).toEqual([224, 336]);
  });

  it.each([
    ['an image size off the patch grid', ['--image', 'photo.png', '--image-size', '230'], /--image-size 230x230: the picture is 230x230 px: both sides must be whole multiples of the 16 px patch/],
    ['an image size over the patch budget', ['--image', 'photo.png', '--image-size', '1024'], /4096 patches: at most 1024 are run/],
    ['an image size that is no size', ['--image', 'photo.png', '--image-size', 'big'], /--image-size must be W or WxH/],
    ['no such image', ['--image', 'missing.png'], /no such image: missing.png/],
    ['not an image', ['--image', 'README.txt'], /not an image/],
    ['a 0 px image', ['--image', 'zero.png'], /has no pixels/],
    ['a 100 000 px image', ['--image', 'huge.png'], /100000x10 px; the largest supported/],
    ['a bad mask ratio', ['--image', 'photo.png', '--mask-ratio', '2'], /--mask-ratio must be a number from 0 to 1/],
    ['no such checkpoint', ['--image', 'photo.png', '--checkpoint', 'nope.safetensors'], /no such checkpoint/],
    ['a checkpoint of another model', ['--image', 'photo.png', '--checkpoint', 'other.safetensors'], /not an MAE checkpoint/],
  ])('%s: exits non-zero with one clear line, no stack trace', async (_name, args, pattern) => {
    writeFileSync(path.join(tmp, 'README.txt'), 'hello');
    pngHeaderOnly(path.join(tmp, 'zero.png'), 0, 5);
    pngHeaderOnly(path.join(tmp, 'huge.png'), 100000, 10);
    // A valid safetensors file whose tensors are not an MAE's.
    const header = JSON.stringify({ 'resnet.conv1.weight': { dtype: 'F32', shape: [2], data_offsets: [0, 8] } });
    const h = Buffer.alloc(8); h.writeBigUInt64LE(BigInt(header.length));
    writeFileSync(path.join(tmp, 'other.safetensors'), Buffer.concat([h, Buffer.from(header), Buffer.alloc(8)]));
    const r = await run(['reconstruct', '--checkpoint', ckpt, ...args]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^mae: /);
    expect(lines[0]).not.toMatch(/unexpected error|\s{4}at /);
    expect(lines[0]).toMatch(pattern);
  });
});

describe('mae reconstruct --checkpoint hf:org/name', () => {
  let server: Awaited<ReturnType<typeof startHubServer>>;
  beforeAll(async () => {
    server = await startHubServer(new Map([
      ['/test-org/tiny-mae/resolve/main/config.json', new Uint8Array(readFileSync(path.join(GOLDEN, 'hf', 'config.json')))],
      ['/test-org/tiny-mae/resolve/main/model.safetensors', new Uint8Array(readFileSync(path.join(GOLDEN, 'hf', 'model.safetensors')))],
      // Another repository with only a PyTorch file, at a revision.
      ['/test-org/tiny-pth/resolve/v1/pytorch_model.bin', new Uint8Array(readFileSync(path.join(GOLDEN, 'checkpoint.pth')))],
    ]));
  });
  afterAll(() => server.close());

  it('downloads config.json and model.safetensors into the cache, then reuses them', async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), 'mae-cache-'));
    const env = { HF_ENDPOINT: server.url, MAE_CACHE: cache };
    const a = await run(['reconstruct', '--checkpoint', 'hf:test-org/tiny-mae', '--image', img, '--json', '--out', 'h.png'], env);
    expect(a.code).toBe(0);
    expect(a.stderr).toMatch(/downloading model.safetensors: .*100 %/);
    expect(existsSync(path.join(cache, 'hub', endpointCacheKey(server.url), 'test-org', 'tiny-mae', 'main', 'model.safetensors'))).toBe(true);
    const n = server.requests.length;
    const b = await run(['reconstruct', '--checkpoint', 'hf:test-org/tiny-mae', '--image', img, '--json', '--out', 'h.png'], env);
    expect(b.code).toBe(0);
    expect(server.requests.length).toBe(n);
    expect(JSON.parse(b.stdout).metrics).toEqual(JSON.parse(a.stdout).metrics);
  });

  it('falls back to pytorch_model.bin at a revision', async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), 'mae-cache-'));
    const r = await run(['reconstruct', '--checkpoint', 'hf:test-org/tiny-pth@v1', '--image', img, '--json', '--out', 'h2.png'], { HF_ENDPOINT: server.url, MAE_CACHE: cache });
    expect(r.code).toBe(0);
    expect(server.requests).toContain('/test-org/tiny-pth/resolve/v1/pytorch_model.bin');
  });

  it('a repository that does not exist fails with one line', async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), 'mae-cache-'));
    const r = await run(['reconstruct', '--checkpoint', 'hf:test-org/none', '--image', img], { HF_ENDPOINT: server.url, MAE_CACHE: cache });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/neither model.safetensors nor pytorch_model.bin/);
  });
});
