// The command line as the browser tests run it, and how closely the page must match it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { ROOT } from './browser';

/** Largest per-channel difference (8-bit levels) between the page's reconstruction and the command line's. */
export const PAGE_VS_CLI_PIXEL_TOL = 2;

/** The command line's reconstruction panel (RGBA) of `image` with `checkpoint` under a seeded random mask. */
export function cliReconstruction(o: { checkpoint: string; image: string; seed: string; ratio: number; outDir: string }): Uint8Array {
  mkdirSync(o.outDir, { recursive: true });
  execFileSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'tools', 'mae.ts'), 'reconstruct', '--checkpoint', o.checkpoint,
    '--image', o.image, '--seed', o.seed, '--mask-ratio', String(o.ratio), '--save-panels', o.outDir, '--out', path.join(o.outDir, 'p.png')]);
  return PNG.sync.read(readFileSync(path.join(o.outDir, 'reconstruction.png'))).data;
}

/** Largest absolute difference between two equally long pixel arrays. */
export function maxPixelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`pixel arrays differ in length: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
