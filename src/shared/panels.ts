// Panel pixels shared by the page and the command line: plain RGBA arrays, no DOM, no tf.

/** How masked patches are drawn on the masked panel. */
export type MaskStyle = 'grey' | 'checker';

/** The ImageNet mean colour: what a masked patch looks like in the reference demo (x * (1 - mask)). */
export const MEAN_GREY_RGB = [124, 116, 104] as const;
/** Checkerboard cell size in pixels and its two shades. */
const CHECKER_CELL_PX = 4;
const CHECKER_LIGHT = 200;
const CHECKER_DARK = 150;

/** The original with masked patches hidden: `[H, W, 4]` RGBA (`size` wide, `height` high: square by default). */
export function maskedPanel(original: Uint8ClampedArray, size: number, patch: number, mask: ArrayLike<number>,
  style: MaskStyle = 'grey', height = size): Uint8ClampedArray {
  const out = new Uint8ClampedArray(original);
  const g = size / patch;
  for (let y = 0; y < height; y++) for (let x = 0; x < size; x++) {
    if (!mask[Math.floor(y / patch) * g + Math.floor(x / patch)]) continue;
    const i = (y * size + x) * 4;
    if (style === 'grey') {
      out[i] = MEAN_GREY_RGB[0];
      out[i + 1] = MEAN_GREY_RGB[1];
      out[i + 2] = MEAN_GREY_RGB[2];
    } else {
      const v = ((Math.floor(x / CHECKER_CELL_PX) + Math.floor(y / CHECKER_CELL_PX)) & 1) ? CHECKER_LIGHT : CHECKER_DARK;
      out[i] = v;
      out[i + 1] = v;
      out[i + 2] = v;
    }
    out[i + 3] = 255;
  }
  return out;
}

/** Panels of equal size (`size` wide, `height` high: square by default) side by side with a gap of `gap` px filled with `background`. */
export function sideBySide(panels: Uint8ClampedArray[], size: number, gap: number,
  background = 255, height = size): { width: number; height: number; data: Uint8ClampedArray } {
  const width = panels.length * size + (panels.length - 1) * gap;
  const data = new Uint8ClampedArray(width * height * 4).fill(background);
  panels.forEach((p, k) => {
    const x0 = k * (size + gap);
    for (let y = 0; y < height; y++) {
      data.set(p.subarray(y * size * 4, (y + 1) * size * 4), (y * width + x0) * 4);
    }
  });
  return { width, height, data };
}

/** Counts masked patches in a rendered masked panel by looking for patches entirely of the mask colour. */
export function countGreyPatches(panel: Uint8ClampedArray, size: number, patch: number, tolerance = 2): number {
  const g = size / patch;
  let count = 0;
  for (let gr = 0; gr < g; gr++) for (let gc = 0; gc < g; gc++) {
    let all = true;
    for (let y = gr * patch; y < (gr + 1) * patch && all; y++) for (let x = gc * patch; x < (gc + 1) * patch; x++) {
      const i = (y * size + x) * 4;
      if (Math.abs(panel[i] - MEAN_GREY_RGB[0]) > tolerance || Math.abs(panel[i + 1] - MEAN_GREY_RGB[1]) > tolerance
        || Math.abs(panel[i + 2] - MEAN_GREY_RGB[2]) > tolerance) { all = false; break; }
    }
    if (all) count++;
  }
  return count;
}
