// Golden cases: a reference forward pass in a folder (see tests/fixtures/golden/README.md),
// run through the TypeScript model and compared output by output. No Node APIs here, so the
// same code runs in the browser (webgpu/webgl parity) with a fetch-based reader.
import * as tf from '@tensorflow/tfjs-core';
import { readNpy } from '../../src/checkpoints/npy';
import { loadCheckpoint, type CheckpointFile } from '../../src/checkpoints/load';
import { chwToPatches, IMAGENET_MEAN, IMAGENET_STD, Mae, MAX_8BIT, NORM_PIX_EPS, planFromNoise, reconstructBatch, type MaeOptions } from '../../src/model';

/** Absolute tolerance for float outputs against the reference (float32 port, cpu/wasm). */
export const GOLDEN_ABS_TOL = 1e-4;

/** Checkpoint layouts a case folder holds. */
export type Layout = 'pth' | 'hf';

/** Reads a file of the case folder by relative path; resolves null when it does not exist. */
export type CaseReader = (rel: string) => Promise<Uint8Array | null>;

/** The architecture and settings a case folder was made with (case.json). */
export interface CaseJson {
  img_size: number;
  patch_size: number;
  embed_dim: number;
  depth: number;
  num_heads: number;
  decoder_embed_dim: number;
  decoder_depth: number;
  decoder_num_heads: number;
  mlp_ratio: number;
  layer_norm_eps: number;
  norm_pix_loss: boolean;
  mask_ratio: number;
  batch: number;
  loss: number | null;
}

/** Largest absolute difference between two equally long arrays (NaN counts as infinite). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (Number.isNaN(d)) return Infinity;
    if (d > m) m = d;
  }
  return m;
}

/** Difference of two losses; both null (nothing masked) is agreement, one null is not. */
const lossDiff = (a: number | null, b: number | null) => (a === null || b === null ? (a === b ? 0 : Infinity) : Math.abs(a - b));

/** Per-output comparison of one case run. */
export interface CaseReport {
  case: string;
  layout: Layout;
  backend: string;
  maskEqual: boolean;
  idsRestoreEqual: boolean;
  /**
   * latent ... loss: Mae.forward against the reference. shown*: the page's path (reconstructBatch,
   * 'true' statistics) against the reference in normalised image space: shownRecon against pred
   * (norm_pix: un-normalised with each patch's statistics), shownPaste against x on visible patches
   * and that on masked ones, shownLoss against the loss.
   */
  maxAbs: { latent: number; pred: number; recon: number; paste: number; loss: number; shownRecon: number; shownPaste: number; shownLoss: number };
  /** Readbacks from the backend during reconstructBatch (read or readSync, outermost calls): one by design. */
  readbacks: number;
  tolerance: number;
  pass: boolean;
}

/** Backends whose data lives off the host: a read there is a device-to-host copy. */
const DEVICE_BACKENDS = new Set(['webgl', 'webgpu']);

/**
 * Runs `fn`, counting readbacks: tensor reads (engine read/readSync, what data() and dataSync()
 * use) and, on GPU backends, every other backend read too (a kernel reading its input back).
 * Nested calls count once. On wasm and cpu the backend's memory is the host's, so kernels' own
 * reads there copy nothing off a device and are not counted.
 */
export async function countReadbacks<R>(fn: () => Promise<R>): Promise<{ result: R; readbacks: number }> {
  const targets: Record<string, unknown>[] = [tf.engine() as unknown as Record<string, unknown>];
  if (DEVICE_BACKENDS.has(tf.getBackend())) targets.push(tf.backend() as unknown as Record<string, unknown>);
  const restore: (() => void)[] = [];
  let depth = 0;
  let readbacks = 0;
  for (const target of targets) for (const name of ['read', 'readSync', 'readToGPU']) {
    const orig = target[name];
    if (typeof orig !== 'function') continue;
    restore.push(() => { target[name] = orig; });
    target[name] = function (this: unknown, ...args: unknown[]) {
      if (depth === 0) readbacks++;
      depth++;
      let out: unknown;
      try {
        out = (orig as (...a: unknown[]) => unknown).apply(this, args);
      } catch (e) {
        depth--;
        throw e;
      }
      if (out instanceof Promise) return out.finally(() => depth--);
      depth--;
      return out;
    };
  }
  try {
    return { result: await fn(), readbacks };
  } finally {
    for (const r of restore) r();
  }
}

/** 0-255 pixel values as reconstructBatch reports them (channels innermost) -> normalised image space. */
const toNormalised = (v255: ArrayLike<number>) => Float64Array.from(v255, (v, i) => (v / MAX_8BIT - IMAGENET_MEAN[i % 3]) / IMAGENET_STD[i % 3]);

/**
 * What the page should show for the reference's outputs, in normalised image space and patch order:
 * recon = pred (norm_pix: times each patch's std plus its mean, unbiased variance + NORM_PIX_EPS), paste =
 * x on visible patches and recon on masked ones.
 */
function expectedShown(pred: ArrayLike<number>, xPatches: Float32Array, mask: ArrayLike<number>, k: number, normPix: boolean): { recon: Float64Array; paste: Float64Array } {
  const rows = mask.length;
  const recon = new Float64Array(rows * k);
  const paste = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    let std = 1;
    if (normPix) {
      for (let j = 0; j < k; j++) mean += xPatches[r * k + j];
      mean /= k;
      let v = 0;
      for (let j = 0; j < k; j++) v += (xPatches[r * k + j] - mean) ** 2;
      std = Math.sqrt(v / (k - 1) + NORM_PIX_EPS);
    }
    for (let j = 0; j < k; j++) {
      recon[r * k + j] = pred[r * k + j] * std + mean;
      paste[r * k + j] = mask[r] ? recon[r * k + j] : xPatches[r * k + j];
    }
  }
  return { recon, paste };
}

async function must(read: CaseReader, rel: string): Promise<Uint8Array> {
  const b = await read(rel);
  if (!b) throw new Error(`the case folder has no ${rel}`);
  return b;
}

const blobOf = (bytes: Uint8Array): Blob => new Blob([bytes as BlobPart]);

/** The checkpoint files of a case in one layout. */
export async function caseCheckpointFiles(read: CaseReader, layout: Layout): Promise<CheckpointFile[]> {
  if (layout === 'pth') return [{ name: 'checkpoint.pth', blob: blobOf(await must(read, 'checkpoint.pth')) }];
  const files = [{ name: 'model.safetensors', blob: blobOf(await must(read, 'hf/model.safetensors')) }];
  const cfg = await read('hf/config.json');
  if (cfg) files.push({ name: 'config.json', blob: blobOf(cfg) });
  return files;
}

/** Runs a case on the active backend and compares every output with the reference (model options: e.g. the attention layout). */
export async function runGoldenCase(name: string, read: CaseReader, layout: Layout, tolerance = GOLDEN_ABS_TOL,
  modelOptions: MaeOptions = {}): Promise<CaseReport> {
  const cj = JSON.parse(new TextDecoder().decode(await must(read, 'case.json'))) as CaseJson;
  const npy = async (n: string) => readNpy(await must(read, `${n}.npy`));
  // A .pth carries no head count; the case states the architecture it was made with.
  const ckpt = await loadCheckpoint(await caseCheckpointFiles(read, layout), {
    overrides: { numHeads: cj.num_heads, decoderNumHeads: cj.decoder_num_heads, normPixLoss: cj.norm_pix_loss },
  });
  const model = Mae.create(ckpt.config, ckpt.params, modelOptions);
  try {
    const x = await npy('x');
    const noise = await npy('noise');
    const [n] = noise.shape;
    const plan = planFromNoise(Float32Array.from(noise.data as ArrayLike<number>), n, cj.mask_ratio);
    const imgs = tf.tensor4d(Float32Array.from(x.data as ArrayLike<number>), x.shape as [number, number, number, number]);
    const out = model.forward(imgs, plan);
    const [latent, pred, recon, paste, mask, ids] = await Promise.all(
      [out.latent, out.pred, out.recon, out.paste, out.mask, out.idsRestore].map((t) => t.data()));
    const loss = out.loss ? (await out.loss.data())[0] : null;
    tf.dispose([imgs, out.latent, out.pred, out.recon, out.paste, out.mask, out.idsRestore, ...(out.loss ? [out.loss] : [])]);
    const refLoss = cj.loss;
    // The page's path on the same input: patches in, one packed readback out.
    const [, , size] = x.shape;
    const p = ckpt.config.patchSize;
    const k = p * p * 3;
    const chw = Float32Array.from(x.data as ArrayLike<number>);
    const xPatches = new Float32Array(n * plan.numPatches * k);
    for (let b = 0; b < n; b++) xPatches.set(chwToPatches(chw.subarray(b * 3 * size * size, (b + 1) * 3 * size * size), size, p), b * plan.numPatches * k);
    const { result: shown, readbacks } = await countReadbacks(() => reconstructBatch(model, xPatches, plan, 'true'));
    const expected = expectedShown((await npy('pred')).data as ArrayLike<number>, xPatches, plan.mask, k, ckpt.config.normPixLoss);
    const maskedCount = plan.n * (plan.numPatches - plan.lenKeep);
    const shownLoss = maskedCount > 0 ? shown.lossSums.reduce((a, v) => a + v, 0) / maskedCount : null;
    const maskEqual = maxAbsDiff(mask, (await npy('mask')).data as ArrayLike<number>) === 0;
    const idsRestoreEqual = maxAbsDiff(ids, (await npy('ids_restore')).data as ArrayLike<number>) === 0;
    const maxAbs = {
      latent: maxAbsDiff(latent, (await npy('latent')).data as ArrayLike<number>),
      pred: maxAbsDiff(pred, (await npy('pred')).data as ArrayLike<number>),
      recon: maxAbsDiff(recon, (await npy('recon')).data as ArrayLike<number>),
      paste: maxAbsDiff(paste, (await npy('paste')).data as ArrayLike<number>),
      loss: lossDiff(loss, refLoss),
      shownRecon: maxAbsDiff(toNormalised(shown.recon), expected.recon),
      shownPaste: maxAbsDiff(toNormalised(shown.pasted), expected.paste),
      shownLoss: lossDiff(shownLoss, refLoss),
    };
    const pass = maskEqual && idsRestoreEqual && readbacks === 1 && Object.values(maxAbs).every((v) => v <= tolerance);
    return { case: name, layout, backend: tf.getBackend(), maskEqual, idsRestoreEqual, maxAbs, readbacks, tolerance, pass };
  } finally {
    model.dispose();
  }
}
