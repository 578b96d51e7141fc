// The words of the per-patch tooltip over a reconstruction panel: where the patch is, whether
// it was hidden, and its RMS error in 8-bit levels.

/** Tooltip content for each patch of a result, or null before there is one. `errors`: per-patch MSE [L]. */
export function patchTipFor(recon: { mask: ArrayLike<number> } | null, errors: Float32Array | null, pasted: boolean):
  { grid: number; text: (k: number) => string } | null {
  if (!recon || !errors) return null;
  const grid = Math.round(Math.sqrt(recon.mask.length));
  return {
    grid,
    text: (k) => {
      const where = `Patch row ${Math.floor(k / grid) + 1}, column ${(k % grid) + 1}`;
      const rms = Math.sqrt(errors[k]).toFixed(1);
      if (recon.mask[k]) return `${where}: hidden · error ${rms} levels RMS`;
      return pasted ? `${where}: visible, copied from the original` : `${where}: visible · error ${rms} levels RMS`;
    },
  };
}
