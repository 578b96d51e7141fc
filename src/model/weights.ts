import * as tf from '@tensorflow/tfjs-core';
import type { MaeConfig } from './config';
import { gridSize, numPatches } from './config';
import { expectedParamShapes, OPTIONAL_PARAMS } from './shapes';
import type { BlockWeights, Linear, Norm } from './layers';
import { sincosPosEmbed } from './posembed';

/** A host float32 tensor in the reference (PyTorch) layout. */
export interface HostParam {
  shape: number[];
  data: Float32Array;
}

/** Parameters by reference state-dict name (see src/checkpoints/types.ts MaeParams). */
export type HostParams = Map<string, HostParam>;

export { expectedParamShapes, OPTIONAL_PARAMS } from './shapes';

/** Device-resident weights of one MAE. */
export interface MaeWeights {
  clsToken: tf.Tensor3D; // [1, 1, E]
  posEmbed: tf.Tensor3D; // [1, 1+L, E]
  patchEmbed: Linear; // [p*p*3, E], rows in patchify (row, column, channel) order
  blocks: BlockWeights[];
  norm: Norm;
  decoderEmbed: Linear; // [E, D]
  maskToken: tf.Tensor3D; // [1, 1, D]
  decoderPosEmbed: tf.Tensor3D; // [1, 1+L, D]
  decoderBlocks: BlockWeights[];
  decoderNorm: Norm;
  decoderPred: Linear; // [D, p*p*3]
}

/** Thrown when parameters do not fit the architecture. */
export class ParamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParamError';
  }
}

const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Checks names and shapes against the architecture; throws ParamError naming every problem. */
export function checkParams(c: MaeConfig, params: HostParams): string[] {
  const expected = expectedParamShapes(c);
  const missing: string[] = [];
  const wrong: string[] = [];
  const notes: string[] = [];
  for (const [name, shape] of expected) {
    const p = params.get(name);
    if (!p) {
      if (OPTIONAL_PARAMS.has(name)) notes.push(`${name} not in the checkpoint: using fixed 2-D sin-cos`);
      else missing.push(name);
      continue;
    }
    if (!sameShape(p.shape, shape)) wrong.push(`${name}: expected [${shape}], found [${p.shape}]`);
    else if (p.data.length !== shape.reduce((a, b) => a * b, 1)) wrong.push(`${name}: data length ${p.data.length} does not match [${shape}]`);
  }
  const unexpected = [...params.keys()].filter((k) => !expected.has(k));
  const problems: string[] = [];
  if (missing.length) problems.push(`missing ${missing.length} parameter(s): ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
  if (unexpected.length) problems.push(`unexpected ${unexpected.length} parameter(s): ${unexpected.slice(0, 5).join(', ')}${unexpected.length > 5 ? ', ...' : ''}`);
  if (wrong.length) problems.push(`shape mismatch: ${wrong.slice(0, 5).join('; ')}${wrong.length > 5 ? '; ...' : ''}`);
  if (problems.length) throw new ParamError(problems.join('. '));
  return notes;
}

/** Uploads host parameters to the active backend. Caller owns the result (see disposeWeights). */
export function uploadWeights(c: MaeConfig, params: HostParams): MaeWeights {
  checkParams(c, params);
  const E = c.embedDim;
  const D = c.decoderEmbedDim;
  const p = c.patchSize;
  const L = numPatches(c);
  const g = gridSize(c);
  const get = (name: string) => params.get(name)!;
  const raw = (name: string) => tf.tensor(get(name).data, get(name).shape);
  const vec = (name: string) => tf.tensor1d(get(name).data);
  // PyTorch Linear stores [out, in]; matMul wants [in, out].
  const lin = (prefix: string): Linear => ({
    w: tf.tidy(() => tf.transpose(raw(`${prefix}.weight`)) as tf.Tensor2D),
    b: vec(`${prefix}.bias`),
  });
  const norm = (prefix: string): Norm => ({ g: vec(`${prefix}.weight`), b: vec(`${prefix}.bias`) });
  const blockW = (prefix: string): BlockWeights => ({
    norm1: norm(`${prefix}.norm1`),
    qkv: lin(`${prefix}.attn.qkv`),
    proj: lin(`${prefix}.attn.proj`),
    norm2: norm(`${prefix}.norm2`),
    fc1: lin(`${prefix}.mlp.fc1`),
    fc2: lin(`${prefix}.mlp.fc2`),
  });
  const pos = (name: string, dim: number) =>
    params.has(name) ? (raw(name) as tf.Tensor3D) : tf.tensor3d(sincosPosEmbed(dim, g), [1, 1 + L, dim]);
  return {
    clsToken: raw('cls_token') as tf.Tensor3D,
    posEmbed: pos('pos_embed', E),
    // Conv weight [E, C, p, p] -> [p, p, C, E] -> [p*p*C, E]: a stride-p conv is a matMul on patches.
    patchEmbed: {
      w: tf.tidy(() => tf.reshape(tf.transpose(raw('patch_embed.proj.weight'), [2, 3, 1, 0]), [p * p * c.inChans, E]) as tf.Tensor2D),
      b: vec('patch_embed.proj.bias'),
    },
    blocks: Array.from({ length: c.depth }, (_, i) => blockW(`blocks.${i}`)),
    norm: norm('norm'),
    decoderEmbed: lin('decoder_embed'),
    maskToken: raw('mask_token') as tf.Tensor3D,
    decoderPosEmbed: pos('decoder_pos_embed', D),
    decoderBlocks: Array.from({ length: c.decoderDepth }, (_, i) => blockW(`decoder_blocks.${i}`)),
    decoderNorm: norm('decoder_norm'),
    decoderPred: lin('decoder_pred'),
  };
}

/** Every tensor held by a MaeWeights. */
export function weightTensors(w: MaeWeights): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  const walk = (v: unknown) => {
    if (v instanceof tf.Tensor) out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(w);
  return out;
}

/** Number of scalar parameters (sin-cos position embeddings included, as the reference counts buffers). */
export function countParams(w: MaeWeights): number {
  return weightTensors(w).reduce((a, t) => a + t.size, 0);
}
