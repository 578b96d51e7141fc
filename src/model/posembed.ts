// Fixed 2-D sin-cos position embeddings, as the reference `get_2d_sincos_pos_embed`:
// the first half of the channels encodes the patch's column, the second half its row,
// each half being [sin(pos * omega), cos(pos * omega)] with omega = 1 / 10000^(i / (D/4)).

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
