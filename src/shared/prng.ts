// Seeded noise for masking. The same seed gives the same noise in every backend, in the
// browser and on the command line, because it is computed on the host in plain JS.
//
// Generator: mulberry32 (a 32-bit state, one Weyl step plus an xorshift-multiply mix per draw),
// value = uint32 / 2^32 in [0, 1). Image n of a batch takes draws n*L .. n*L+L-1 of one stream.

const TWO_POW_32 = 4294967296;
/** mulberry32's Weyl increment. */
const WEYL = 0x6d2b79f5;

/** Returns a generator of uniform floats in [0, 1) seeded by a 32-bit integer. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + WEYL) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / TWO_POW_32;
  };
}

/** Uniform noise `[n, L]` (row-major) for `randomMasking`, from a seed. */
export function seededNoise(seed: number, n: number, numPatches: number): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(n * numPatches);
  for (let i = 0; i < out.length; i++) out[i] = next();
  return out;
}
