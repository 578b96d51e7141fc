import type { MaeConfig } from './config';
import { validateConfig } from './config';
import { mulberry32 } from '../shared/prng';
import type { HostParams } from './weights';
import { expectedParamShapes } from './weights';

/** Standard deviation of random weights: small enough that activations stay tame. */
const RANDOM_WEIGHT_STD = 0.02;

/**
 * Seeded random parameters for an architecture (a test model, or "random weights" in the page):
 * weights ~ uniform with std 0.02, LayerNorm gains 1 and biases 0, sin-cos position embeddings.
 */
export function randomParams(config: MaeConfig, seed = 0): HostParams {
  validateConfig(config);
  const next = mulberry32(seed);
  const half = RANDOM_WEIGHT_STD * Math.sqrt(3); // uniform(-a, a) has std a / sqrt(3)
  const params: HostParams = new Map();
  for (const [name, shape] of expectedParamShapes(config)) {
    if (name === 'pos_embed' || name === 'decoder_pos_embed') continue; // computed as sin-cos
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    const isNorm = /norm\d?\.(weight|bias)$/.test(name);
    if (isNorm) data.fill(name.endsWith('weight') ? 1 : 0);
    else if (!name.endsWith('bias')) for (let i = 0; i < size; i++) data[i] = (next() * 2 - 1) * half;
    params.set(name, { shape, data });
  }
  return params;
}
