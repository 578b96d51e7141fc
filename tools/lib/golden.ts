// Golden cases: a reference forward pass in a folder (see tests/fixtures/golden/README.md),
// run through the TypeScript model and compared output by output.
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { readNpy } from '../../src/checkpoints/npy';
import { loadCheckpoint } from '../../src/checkpoints/load';
import { Mae, planFromNoise } from '../../src/model';

/** Absolute tolerance for float outputs against the reference (float32 port, cpu/wasm). */
export const GOLDEN_ABS_TOL = 1e-4;

/** Checkpoint layouts a case folder holds. */
export type Layout = 'pth' | 'hf';

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
  arrays: Record<string, { shape: number[]; dtype: string }>;
}

/** The files of a checkpoint in a case folder, for the given layout. */
export function caseCheckpointFiles(dir: string, layout: Layout): { name: string; bytes: Uint8Array }[] {
  if (layout === 'pth') {
    const f = path.join(dir, 'checkpoint.pth');
    return [{ name: 'checkpoint.pth', bytes: new Uint8Array(readFileSync(f)) }];
  }
  const files = [{ name: 'model.safetensors', bytes: new Uint8Array(readFileSync(path.join(dir, 'hf', 'model.safetensors'))) }];
  const cfg = path.join(dir, 'hf', 'config.json');
  if (existsSync(cfg)) files.push({ name: 'config.json', bytes: new Uint8Array(readFileSync(cfg)) });
  return files;
}

/** Largest absolute difference between two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** Per-output comparison of one case run. */
export interface CaseReport {
  case: string;
  layout: Layout;
  backend: string;
  maskEqual: boolean;
  idsRestoreEqual: boolean;
  maxAbs: { latent: number; pred: number; recon: number; paste: number; loss: number };
  tolerance: number;
  pass: boolean;
}

function npy(dir: string, name: string) {
  return readNpy(new Uint8Array(readFileSync(path.join(dir, `${name}.npy`))));
}

/** Runs a case folder on the active backend and compares every output with the reference. */
export async function runGoldenCase(dir: string, layout: Layout): Promise<CaseReport> {
  const cj = JSON.parse(readFileSync(path.join(dir, 'case.json'), 'utf8')) as CaseJson;
  // A .pth carries no head count; the case states the architecture it was made with.
  const ckpt = loadCheckpoint(caseCheckpointFiles(dir, layout), {
    overrides: { numHeads: cj.num_heads, decoderNumHeads: cj.decoder_num_heads, normPixLoss: cj.norm_pix_loss },
  });
  const model = Mae.create(ckpt.config, ckpt.params);
  try {
    const x = npy(dir, 'x');
    const noise = npy(dir, 'noise');
    const [n, l] = noise.shape;
    const plan = planFromNoise(Float32Array.from(noise.data as ArrayLike<number>), n, cj.mask_ratio);
    const imgs = tf.tensor4d(Float32Array.from(x.data as ArrayLike<number>), x.shape as [number, number, number, number]);
    const out = model.forward(imgs, plan);
    const [latent, pred, recon, paste, mask, ids] = await Promise.all(
      [out.latent, out.pred, out.recon, out.paste, out.mask, out.idsRestore].map((t) => t.data()));
    const loss = out.loss ? (await out.loss.data())[0] : null;
    tf.dispose([imgs, out.latent, out.pred, out.recon, out.paste, out.mask, out.idsRestore, ...(out.loss ? [out.loss] : [])]);
    const refLoss = npy(dir, 'loss').data[0] as number;
    const maskEqual = maxAbsDiff(mask, npy(dir, 'mask').data as ArrayLike<number>) === 0 && mask.length === n * l;
    const idsRestoreEqual = maxAbsDiff(ids, npy(dir, 'ids_restore').data as ArrayLike<number>) === 0;
    const maxAbs = {
      latent: maxAbsDiff(latent, npy(dir, 'latent').data as ArrayLike<number>),
      pred: maxAbsDiff(pred, npy(dir, 'pred').data as ArrayLike<number>),
      recon: maxAbsDiff(recon, npy(dir, 'recon').data as ArrayLike<number>),
      paste: maxAbsDiff(paste, npy(dir, 'paste').data as ArrayLike<number>),
      loss: loss === null || Number.isNaN(refLoss) ? (loss === null && (cj.loss === null) ? 0 : Infinity) : Math.abs(loss - refLoss),
    };
    const pass = maskEqual && idsRestoreEqual && Object.values(maxAbs).every((v) => v <= GOLDEN_ABS_TOL);
    return { case: path.basename(dir), layout, backend: tf.getBackend(), maskEqual, idsRestoreEqual, maxAbs, tolerance: GOLDEN_ABS_TOL, pass };
  } finally {
    model.dispose();
  }
}
