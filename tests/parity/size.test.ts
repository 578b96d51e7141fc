// The fast path (Mae.atGrid + reconstructBatch/reconstructImage) on other patch grids: against the
// reference's pred at 176x256 (tests/fixtures/golden/tiny-p16/inspect, made by the reference code with
// interpolate_pos_embed), and against InspectModel (itself checked against the reference) at 224x336
// and 448x448, within GOLDEN_ABS_TOL.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../src/checkpoints/npy';
import { loadCheckpoint } from '../../src/checkpoints/load';
import { InspectModel, Mae, planFor, planFromNoise, reconstructImage, type PatchGrid } from '../../src/model';
import { GOLDEN_ABS_TOL, maxAbsDiff, type CaseJson } from '../../tools/lib/golden';
import { useBackend } from '../helpers/tf';

const GOLDEN = path.join(__dirname, '..', 'fixtures', 'golden', 'tiny-p16');
const INSPECT = path.join(GOLDEN, 'inspect');
/** The reference's case at another size and aspect (width x height in pixels). */
const REF_CASE = 'size-176x256';
/** Sizes checked against InspectModel, width x height in pixels (448 on wasm only: the cpu backend takes 20 s for it). */
const SIZES: Record<'cpu' | 'wasm', [number, number][]> = { cpu: [[224, 336]], wasm: [[224, 336], [448, 448]] };

const caseJson = JSON.parse(readFileSync(path.join(GOLDEN, 'case.json'), 'utf8')) as CaseJson;
const npy = (file: string) => readNpy(new Uint8Array(readFileSync(file))).data as Float32Array;
const P = caseJson.patch_size;

function loadTiny() {
  return loadCheckpoint([{ name: 'checkpoint.pth', blob: new Blob([readFileSync(path.join(GOLDEN, 'checkpoint.pth'))]) }], {
    overrides: { numHeads: caseJson.num_heads, decoderNumHeads: caseJson.decoder_num_heads, normPixLoss: caseJson.norm_pix_loss },
  });
}

/** Normalised CHW `[3, H, W]` -> patchify order `[L, p*p*3]`. */
function chwToPatches(chw: Float32Array, w: number, h: number): Float32Array {
  const out = new Float32Array(chw.length);
  const cols = w / P;
  let o = 0;
  for (let gr = 0; gr < h / P; gr++) for (let gc = 0; gc < cols; gc++) {
    for (let r = 0; r < P; r++) for (let c = 0; c < P; c++) for (let ch = 0; ch < 3; ch++) {
      out[o++] = chw[ch * w * h + (gr * P + r) * w + gc * P + c];
    }
  }
  return out;
}

describe.each(['cpu', 'wasm'] as const)('the fast path on another grid (%s)', (backend) => {
  let base: Mae;
  let inspect: InspectModel;
  beforeAll(async () => {
    await useBackend(backend);
    const ckpt = await loadTiny();
    base = Mae.create(ckpt.config, ckpt.params);
    inspect = InspectModel.create(ckpt.config, ckpt.params);
  });
  afterAll(() => {
    base.dispose();
    inspect.dispose();
  });

  it(`${REF_CASE}: pred equals the reference's within GOLDEN_ABS_TOL`, async () => {
    const [w, h] = [176, 256];
    const grid: PatchGrid = { rows: h / P, cols: w / P };
    const model = await base.atGrid(grid);
    const x = npy(path.join(INSPECT, REF_CASE, 'x.npy'));
    const plan = planFromNoise(npy(path.join(INSPECT, REF_CASE, 'noise.npy')), 1, 0.75);
    const pred = model.predict(chwToPatches(x, w, h), plan);
    const got = (await pred.data()) as Float32Array;
    pred.dispose();
    model.dispose();
    expect(maxAbsDiff(got, npy(path.join(INSPECT, REF_CASE, 'pred.npy')))).toBeLessThanOrEqual(GOLDEN_ABS_TOL);
  });

  it.each(SIZES[backend])('%ix%i: pred equals InspectModel\'s within GOLDEN_ABS_TOL; the base model is untouched; no tensor left', async (w, h) => {
    const before = tf.memory().numTensors;
    const grid: PatchGrid = { rows: h / P, cols: w / P };
    const model = await base.atGrid(grid);
    expect(model.numPatches).toBe(grid.rows * grid.cols);
    expect(model.imageSize).toEqual({ width: w, height: h });
    const plan = planFor({ pattern: 'random', maskRatio: 0.75, seed: 3 }, grid.rows, grid.cols);
    const x = tf.tidy(() => tf.randomNormal([3, h, w], 0, 1, 'float32', 7).dataSync() as Float32Array);
    const pred = model.predict(chwToPatches(x, w, h), plan);
    const got = (await pred.data()) as Float32Array;
    pred.dispose();
    const ref = await inspect.inspect(x, { width: w, height: h }, plan, { encoderAttention: 'none', decoderAttention: 'none' });
    expect(maxAbsDiff(got, ref.pred.data)).toBeLessThanOrEqual(GOLDEN_ABS_TOL);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(base.numPatches).toBe((caseJson.img_size / P) ** 2);
  });

  it('reconstructImage at 224x336 returns a 224x336 picture with figures over the masked patches', async () => {
    const model = await base.atGrid({ rows: 336 / P, cols: 224 / P });
    const rgba = new Uint8ClampedArray(224 * 336 * 4).map((_, i) => (i * 37) % 256);
    const r = await reconstructImage(model, rgba, { mask: { pattern: 'grid', maskRatio: 0.75, seed: 0 } });
    model.dispose();
    expect([r.width, r.height]).toEqual([224, 336]);
    expect(r.reconstruction.length).toBe(224 * 336 * 4);
    expect(r.errorMap.length).toBe(224 * 336);
    expect(r.mask.length).toBe(14 * 21);
    expect(r.maskedCount).toBe(r.mask.reduce((a, b) => a + b, 0));
    expect(r.mse).toBeGreaterThan(0);
    expect(Number.isFinite(r.psnr)).toBe(true);
  });
});
