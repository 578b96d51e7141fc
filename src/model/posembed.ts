// Fixed 2-D sin-cos position embeddings, as the reference `get_2d_sincos_pos_embed`:
// the first half of the channels encodes the patch's column, the second half its row,
// each half being [sin(pos * omega), cos(pos * omega)] with omega = 1 / 10000^(i / (D/4)).
// And the reference's interpolate_pos_embed, to run a checkpoint at another image size.
import type { MaeConfig } from './config';
import type { HostParams } from './weights';

/** Sin-cos frequency base of the reference. */
const SINCOS_BASE = 10000;

function sincos1d(dim: number, pos: number, out: Float32Array, offset: number): void {
  const half = dim / 2;
  for (let i = 0; i < half; i++) {
    const omega = 1 / SINCOS_BASE ** (i / half);
    out[offset + i] = Math.sin(pos * omega);
    out[offset + half + i] = Math.cos(pos * omega);
  }
}

/** Position embeddings `[1, 1 + grid*grid, dim]` (row-major), the cls row all zeros. */
export function sincosPosEmbed(dim: number, grid: number): Float32Array {
  if (dim % 4 !== 0) throw new RangeError(`sin-cos position embeddings need a width divisible by 4, got ${dim}`);
  const out = new Float32Array((1 + grid * grid) * dim);
  for (let r = 0; r < grid; r++) {
    for (let c = 0; c < grid; c++) {
      const o = (1 + r * grid + c) * dim;
      sincos1d(dim / 2, c, out, o);
      sincos1d(dim / 2, r, out, o + dim / 2);
    }
  }
  return out;
}

/** A patch grid: rows (image height / patch) by columns (image width / patch). */
export interface PatchGrid {
  rows: number;
  cols: number;
}

/** Coefficient `A` of torch's bicubic convolution kernel (`upsample_bicubic2d`, as OpenCV). */
const BICUBIC_A = -0.75;

/** The four bicubic weights for taps at offsets -1, 0, 1, 2 from `floor(src)`, `t = src - floor(src)`. */
function bicubicWeights(t: number): [number, number, number, number] {
  const a = BICUBIC_A;
  const near = (x: number) => ((a + 2) * x - (a + 3)) * x * x + 1; // |x| <= 1
  const far = (x: number) => ((a * x - 5 * a) * x + 8 * a) * x - 4 * a; // 1 < |x| < 2
  return [far(t + 1), near(t), near(1 - t), far(2 - t)];
}

/**
 * Taps of a 1-D bicubic resize from `inLen` to `outLen` samples, as torch's `interpolate(mode='bicubic',
 * align_corners=False)`: source `(d + 0.5) * inLen / outLen - 0.5`, indices clamped to the edges.
 */
function bicubicTaps(inLen: number, outLen: number): { idx: Int32Array; w: Float64Array } {
  const idx = new Int32Array(outLen * 4);
  const w = new Float64Array(outLen * 4);
  const scale = inLen / outLen;
  for (let d = 0; d < outLen; d++) {
    const src = (d + 0.5) * scale - 0.5;
    const base = Math.floor(src);
    const ws = bicubicWeights(src - base);
    for (let j = 0; j < 4; j++) {
      idx[d * 4 + j] = Math.min(inLen - 1, Math.max(0, base - 1 + j));
      w[d * 4 + j] = ws[j];
    }
  }
  return { idx, w };
}

/**
 * The reference's `interpolate_pos_embed` (util/pos_embed.py) for any grid: a position table
 * `[1 + from.rows*from.cols, dim]` (cls row first, patches row-major) resized bicubically to
 * `[1 + to.rows*to.cols, dim]`, the cls row kept. Same grid: the table is returned as a copy.
 */
export function interpolatePosEmbed(table: Float32Array, dim: number, from: PatchGrid, to: PatchGrid): Float32Array {
  const fromLen = from.rows * from.cols;
  if (table.length !== (1 + fromLen) * dim) {
    throw new RangeError(`position table has ${table.length} values, expected (1 + ${from.rows}x${from.cols}) x ${dim}`);
  }
  const out = new Float32Array((1 + to.rows * to.cols) * dim);
  out.set(table.subarray(0, dim)); // cls row
  if (from.rows === to.rows && from.cols === to.cols) {
    out.set(table.subarray(dim), dim);
    return out;
  }
  const ty = bicubicTaps(from.rows, to.rows);
  const tx = bicubicTaps(from.cols, to.cols);
  const acc = new Float64Array(dim);
  for (let r = 0; r < to.rows; r++) {
    for (let c = 0; c < to.cols; c++) {
      acc.fill(0);
      for (let i = 0; i < 4; i++) {
        const wy = ty.w[r * 4 + i];
        const rowOff = ty.idx[r * 4 + i] * from.cols;
        for (let j = 0; j < 4; j++) {
          const wgt = wy * tx.w[c * 4 + j];
          const src = (1 + rowOff + tx.idx[c * 4 + j]) * dim;
          for (let k = 0; k < dim; k++) acc[k] += wgt * table[src + k];
        }
      }
      out.set(acc, (1 + r * to.cols + c) * dim);
    }
  }
  return out;
}

/** The position tables a checkpoint carries (both may be absent: then they are fixed sin-cos). */
const POSITION_TABLES = [['pos_embed', 'embedDim'], ['decoder_pos_embed', 'decoderEmbedDim']] as const;

/**
 * A checkpoint made ready for another square image size: `imgSize` replaced and both position
 * tables interpolated bicubically from the checkpoint's grid (the sin-cos tables of that grid when
 * the checkpoint has none), as transformers' `interpolate_pos_encoding`. The other parameters are
 * shared, not copied. Any aspect: InspectModel (src/model/inspect.ts) takes a width and a height.
 */
export function paramsAtImageSize(config: MaeConfig, params: HostParams, imgSize: number): { config: MaeConfig; params: HostParams } {
  const p = config.patchSize;
  if (!Number.isInteger(imgSize) || imgSize <= 0 || imgSize % p !== 0) {
    throw new RangeError(`image size ${imgSize} px is not a positive multiple of the patch size ${p}`);
  }
  const from = config.imgSize / p;
  const to = imgSize / p;
  const out: HostParams = new Map(params);
  for (const [name, dimKey] of POSITION_TABLES) {
    const dim = config[dimKey];
    const table = params.get(name)?.data ?? sincosPosEmbed(dim, from);
    out.set(name, {
      shape: [1, 1 + to * to, dim],
      data: interpolatePosEmbed(table, dim, { rows: from, cols: from }, { rows: to, cols: to }),
    });
  }
  return { config: { ...config, imgSize }, params: out };
}
