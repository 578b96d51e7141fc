// Test helpers for TF.js code: backend set-up and a tensor-leak check.
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { useBackend, type NodeBackend } from '../../tools/lib/backend';
import type { MaeConfig } from '../../src/model';

export { useBackend };
export type { NodeBackend };

/**
 * Runs `fn` and asserts that the live tensor count grows by exactly the tensors it returns
 * (a tensor, or an object/array of them): nothing else may leak.
 */
export async function expectNoLeak<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await fn();
  const returned: tf.Tensor[] = [];
  const walk = (v: unknown) => {
    if (v instanceof tf.Tensor) returned.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object' && !ArrayBuffer.isView(v)) Object.values(v).forEach(walk);
  };
  walk(out);
  expect(tf.memory().numTensors).toBe(before + new Set(returned).size);
  return out;
}

/** The golden cases' architecture: small enough for fast tests. */
export const TINY: MaeConfig = {
  imgSize: 224, patchSize: 16, inChans: 3, embedDim: 64, depth: 2, numHeads: 4,
  decoderEmbedDim: 32, decoderDepth: 2, decoderNumHeads: 4, mlpRatio: 4, layerNormEps: 1e-6, normPixLoss: false,
};

/** Largest absolute difference. */
export function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
