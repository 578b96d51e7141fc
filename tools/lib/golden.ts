// Golden cases: a reference forward pass in a folder (see tests/fixtures/golden/README.md),
// run through the TypeScript model and compared output by output. No Node APIs here, so the
// same code runs in the browser (webgpu/webgl parity) with a fetch-based reader.
import * as tf from '@tensorflow/tfjs-core';
import { readNpy } from '../../src/checkpoints/npy';
import { loadCheckpoint, type CheckpointFile } from '../../src/checkpoints/load';
import { Mae, planFromNoise } from '../../src/model';

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

/** Runs a case on the active backend and compares every output with the reference. */
export async function runGoldenCase(name: string, read: CaseReader, layout: Layout, tolerance = GOLDEN_ABS_TOL): Promise<CaseReport> {
  const cj = JSON.parse(new TextDecoder().decode(await must(read, 'case.json'))) as CaseJson;
  const npy = async (n: string) => readNpy(await must(read, `${n}.npy`));
  // A .pth carries no head count; the case states the architecture it was made with.
  const ckpt = await loadCheckpoint(await caseCheckpointFiles(read, layout), {
    overrides: { numHeads: cj.num_heads, decoderNumHeads: cj.decoder_num_heads, normPixLoss: cj.norm_pix_loss },
  });
  const model = Mae.create(ckpt.config, ckpt.params);
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
    const maskEqual = maxAbsDiff(mask, (await npy('mask')).data as ArrayLike<number>) === 0;
    const idsRestoreEqual = maxAbsDiff(ids, (await npy('ids_restore')).data as ArrayLike<number>) === 0;
    const maxAbs = {
      latent: maxAbsDiff(latent, (await npy('latent')).data as ArrayLike<number>),
      pred: maxAbsDiff(pred, (await npy('pred')).data as ArrayLike<number>),
      recon: maxAbsDiff(recon, (await npy('recon')).data as ArrayLike<number>),
      paste: maxAbsDiff(paste, (await npy('paste')).data as ArrayLike<number>),
      // Both undefined (nothing masked) is agreement; one undefined is not.
      loss: loss === null || refLoss === null ? (loss === refLoss ? 0 : Infinity) : Math.abs(loss - refLoss),
    };
    const pass = maskEqual && idsRestoreEqual && Object.values(maxAbs).every((v) => v <= tolerance);
    return { case: name, layout, backend: tf.getBackend(), maskEqual, idsRestoreEqual, maxAbs, tolerance, pass };
  } finally {
    model.dispose();
  }
}
