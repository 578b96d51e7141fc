// `mae inspect`, run as a user runs it (a child process), its .npy files read back; and the .npy writer.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../../src/checkpoints/npy';
import { loadCheckpoint } from '../../../src/checkpoints/load';
import { InspectModel, maskFor, rgbaToNormalizedChw } from '../../../src/model';
import { encodeNpy } from '../../../tools/lib/npy';
import { decodeImage, fitToSize } from '../../../tools/lib/image';
import { maxAbsDiff } from '../../../tools/lib/golden';
import { useBackend } from '../../helpers/tf';

/** Same model, same backend, another process: the outputs agree to float32 round-off at most. */
const SAME_BACKEND_TOL = 1e-6;
/** Softmax rows sum to 1 up to float32 round-off. */
const ROW_SUM_TOL = 1e-5;
/** .npy data starts on a multiple of this many bytes. */
const NPY_ALIGN = 64;

const ROOT = path.resolve(__dirname, '..', '..', '..');
const GOLDEN = path.join(ROOT, 'tests', 'fixtures', 'golden', 'tiny-p16');
const CKPT = path.join(GOLDEN, 'hf');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'mae-inspect-'));
const img = path.join(tmp, 'photo.png');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(TSX, [path.join(ROOT, 'tools', 'mae.ts'), ...args], { cwd: tmp, maxBuffer: 1 << 24 },
      (err, stdout, stderr) => resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, stdout, stderr }));
  });
}

const read = (dir: string, name: string) => readNpy(new Uint8Array(readFileSync(path.join(tmp, dir, `${name}.npy`))));

beforeAll(() => {
  const [w, h] = [300, 200];
  const png = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) {
    png.data[i * 4] = (i % w) * 0.8; png.data[i * 4 + 1] = Math.floor(i / w); png.data[i * 4 + 2] = (i * 7) % 256; png.data[i * 4 + 3] = 255;
  }
  writeFileSync(img, PNG.sync.write(png));
});

describe('encodeNpy', () => {
  it('writes arrays readNpy reads back with their shape and dtype, data 64-byte aligned', () => {
    const f = Float32Array.from({ length: 24 }, (_, i) => i / 3 - 2);
    const i32 = Int32Array.from([5, -1, 2 ** 31 - 1]);
    for (const [data, shape] of [[f, [2, 3, 4]], [i32, [3]], [Float32Array.of(1.5), []]] as const) {
      const bytes = encodeNpy(data, shape);
      const back = readNpy(bytes);
      expect(back.shape).toEqual(shape);
      expect(back.dtype).toBe(data instanceof Float32Array ? 'float32' : 'int32');
      expect(Array.from(back.data as ArrayLike<number>)).toEqual(Array.from(data));
      expect((bytes.length - data.length * 4) % NPY_ALIGN).toBe(0);
    }
    expect(new TextDecoder().decode(encodeNpy(i32, [3]).subarray(0, NPY_ALIGN))).toMatch(/'shape': \(3,\)/);
    expect(() => encodeNpy(f, [5, 5])).toThrow(/does not hold 24/);
  });
});

describe('mae inspect', () => {
  it('writes every array with the documented shapes, equal to the model run in-process on the same picture', async () => {
    const r = await run(['inspect', '--checkpoint', CKPT, '--image', img, '--out', 'a', '--seed', '3', '--mask-ratio', '0.6', '--backend', 'cpu']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/14x14 patches of 16 px, 118\/196 masked/);
    const meta = JSON.parse(readFileSync(path.join(tmp, 'a', 'inspect.json'), 'utf8'));
    expect(meta.grid).toEqual({ rows: 14, cols: 14 });
    const keep = 196 - 118;
    const want: Record<string, number[]> = {
      ids_keep: [keep], mask: [196], encoder_attention: [2, 4, 1 + keep, 1 + keep], decoder_attention: [2, 4, 197, 197],
      latent: [1 + keep, 64], pred: [196, 768],
    };
    for (const [name, shape] of Object.entries(want)) {
      const a = read('a', name);
      expect(a.shape, name).toEqual(shape);
      expect(a.dtype, name).toBe(name === 'ids_keep' ? 'int32' : 'float32');
      expect(meta.arrays[`${name}.npy`].shape).toEqual(shape);
    }
    // The mask is the seeded one every command and the page draw; ids_keep lists its visible patches.
    const mask = read('a', 'mask').data as Float32Array;
    expect(Array.from(mask)).toEqual(Array.from(maskFor({ pattern: 'random', maskRatio: 0.6, seed: 3 }, 14)));
    const ids = Array.from(read('a', 'ids_keep').data as Int32Array);
    expect([...ids].sort((x, y) => x - y)).toEqual([...mask.keys()].filter((i) => mask[i] === 0));
    for (const name of ['encoder_attention', 'decoder_attention']) {
      const a = read('a', name);
      const t = a.shape[3];
      const data = a.data as Float32Array;
      for (let row = 0; row < data.length / t; row += 37) {
        const s = data.subarray(row * t, (row + 1) * t).reduce((x, y) => x + y, 0);
        expect(Math.abs(s - 1)).toBeLessThan(ROW_SUM_TOL);
      }
    }
    // In-process, same picture fitting and model: the files hold exactly this.
    await useBackend('cpu');
    const files = ['model.safetensors', 'config.json'].map((name) => ({ name, blob: new Blob([readFileSync(path.join(CKPT, name))]) }));
    const ck = await loadCheckpoint(files);
    const model = InspectModel.create(ck.config, ck.params);
    const rgba = fitToSize(decodeImage(new Uint8Array(readFileSync(img))), 224, 224, 'crop');
    const res = await model.inspect(rgbaToNormalizedChw(rgba, 224, 224), { width: 224, height: 224 }, { pattern: 'random', maskRatio: 0.6, seed: 3 });
    model.dispose();
    const ours = { encoder_attention: res.encoderAttention!.data, decoder_attention: res.decoderAttention!.data, latent: res.latent.data, pred: res.pred.data };
    for (const [name, data] of Object.entries(ours)) {
      expect(maxAbsDiff(read('a', name).data as Float32Array, data), name).toBeLessThanOrEqual(SAME_BACKEND_TOL);
    }
  });

  it('--image-size WxH runs on a rows x cols grid with interpolated position tables, and says so', async () => {
    const r = await run(['inspect', '--checkpoint', CKPT, '--image', img, '--out', 'b', '--image-size', '224x336']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^note: position embeddings interpolated bicubically from 14x14 to 21x14 patches: the model was trained at 224 px$/m);
    expect(r.stdout).toMatch(/-> 224x336 \(crop\), 21x14 patches/);
    expect(read('b', 'pred').shape).toEqual([294, 768]);
    expect(read('b', 'decoder_attention').shape).toEqual([2, 4, 295, 295]);
    expect(read('b', 'encoder_attention').shape).toEqual([2, 4, 1 + 73, 1 + 73]);
  });

  it('--image-size 448 gives a 28x28 grid', async () => {
    const r = await run(['inspect', '--checkpoint', CKPT, '--image', img, '--out', 'c', '--image-size', '448', '--pattern', 'grid']);
    expect(r.code).toBe(0);
    const meta = JSON.parse(readFileSync(path.join(tmp, 'c', 'inspect.json'), 'utf8'));
    expect(meta.grid).toEqual({ rows: 28, cols: 28 });
    expect(read('c', 'mask').shape).toEqual([784]);
    expect(read('c', 'latent').shape).toEqual([1 + 196, 64]);
  });

  it.each([
    ['no --out', ['--image', 'photo.png'], /--out DIR is required/],
    ['an image size that is not a multiple of the patch', ['--image', 'photo.png', '--out', 'x', '--image-size', '100x224'], /--image-size 100x224: both sides must be multiples of the checkpoint's patch size, 16 px/],
    ['an image size that is not a size', ['--image', 'photo.png', '--out', 'x', '--image-size', '22.4'], /--image-size must be W or WxH in pixels/],
    ['an image size whose attention maps are too large', ['--image', 'photo.png', '--out', 'x', '--image-size', '2048', '--mask-ratio', '0'], /16384 patches: the attention maps would take \d+\.\d GB, more than the 1\.1 GB/],
    ['--out naming a file', ['--image', 'photo.png', '--out', 'photo.png'], /--out photo.png exists and is not a folder/],
    ['no such image', ['--image', 'missing.png', '--out', 'x'], /no such image: missing.png/],
  ])('%s: exits 2 with one clear line', async (_name, args, pattern) => {
    const r = await run(['inspect', '--checkpoint', CKPT, ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^mae: /);
    expect(lines[0]).toMatch(pattern);
    expect(existsSync(path.join(tmp, 'x'))).toBe(false);
  });
});
