// The words of the per-patch tooltip over a reconstruction panel: where the patch is, whether
// it was hidden, and its RMS error in 8-bit levels.

import type { GridShape } from '../../shared/inputSize';

/** Tooltip content for each patch of a result on its patch grid, or null before there is one. `errors`: per-patch MSE [L]. */
export function patchTipFor(recon: { mask: ArrayLike<number> } | null, errors: Float32Array | null, pasted: boolean,
  grid: GridShape | null): { grid: GridShape; text: (k: number) => string } | null {
  if (!recon || !errors || !grid || grid.rows * grid.cols !== recon.mask.length) return null;
  const cols = grid.cols;
  return {
    grid,
    text: (k) => {
      const where = `Patch row ${Math.floor(k / cols) + 1}, column ${(k % cols) + 1}`;
      const rms = Math.sqrt(errors[k]).toFixed(1);
      if (recon.mask[k]) return `${where}: hidden · error ${rms} levels RMS`;
      return pasted ? `${where}: visible, copied from the original` : `${where}: visible · error ${rms} levels RMS`;
    },
  };
}
