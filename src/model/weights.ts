import * as tf from '@tensorflow/tfjs-core';
import type { MaeConfig } from './config';
import { gridSize, numPatches } from './config';
import { expectedParamShapes, OPTIONAL_PARAMS } from './shapes';
import type { AttentionLayout, BlockWeights, Linear, Norm } from './layers';
import { sincosPosEmbed } from './posembed';

/** A host float32 tensor in the reference (PyTorch) layout. */
export interface HostParam {
  shape: number[];
  data: Float32Array;
}

/** Parameters by reference state-dict name (see src/checkpoints/types.ts MaeParams). */
export type HostParams = Map<string, HostParam>;

export { expectedParamShapes, OPTIONAL_PARAMS } from './shapes';

/**
 * Device-resident weights of one MAE, arranged at load time for the fast path (layers.ts):
 * LayerNorm affines folded into the products after them, softmax scale folded into q, patch
 * embedding, position embeddings and cls token in one table that a single product reads.
 */
export interface MaeWeights {
  /**
   * `[1, p*p*3 + L + 1, E]`: patch-embed weight (rows in patchify (row, column, channel) order), then
   * per patch `pos_embed[1 + j] + patch bias`, then `cls_token + pos_embed[0]`. An encoder input row
   * `[patch | one-hot position | is-cls]` times this is the reference's embedded token.
   */
  encoderInput: tf.Tensor3D;
  blocks: BlockWeights[];
  norm: Norm; // the encoder's final norm, kept apart: its output is the latent
  decoderEmbed: Linear; // [1, E, D]
  maskToken: tf.Tensor3D; // [1, 1, D]
  decoderPosEmbed: tf.Tensor3D; // [1, 1+L, D]
  decoderBlocks: BlockWeights[];
  decoderPred: Linear; // [1, D, p*p*3], decoder_norm folded in
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

/** 1/sqrt 2: exact GELU's input scale, split between fc1 and fc2 (layers.ts `block`). */
const GELU_SPLIT = Math.SQRT1_2;

/** LayerNorm gain and bias on the host, to fold into the product that follows. */
interface HostNorm {
  g: Float32Array;
  b: Float32Array;
}

/**
 * Output rows `[from, from + count)` of a PyTorch Linear (weight `[out, in]`) as `x @ w + b` with
 * w `[1, in, count]`, a preceding LayerNorm folded in: `(xhat g + beta) W^T s + b t` is
 * `xhat (g W^T s) + (beta W^T s + b t)` for weight scale s and bias scale t. A null bias leaves
 * the bias out. Arranged with the backend's native kernels: host loops over the weights took
 * 1.5-2x as long for ViT-B. The result's tensors are the caller's.
 */
function foldLinear(w: HostParam, bias: Float32Array | null, from: number, count: number,
  norm: HostNorm | null, scale = 1, biasScale = scale): { w: tf.Tensor3D; b: tf.Tensor1D | null } {
  const inDim = w.shape[1];
  const out = tf.tidy(() => {
    const rows = tf.tensor2d(w.data.subarray(from * inDim, (from + count) * inDim), [count, inDim]); // [count, in]
    const wT = tf.transpose(rows); // [in, count]
    const gain = norm || scale !== 1 ? tf.mul(norm ? tf.tensor2d(norm.g, [inDim, 1]) : tf.scalar(1), scale) : null; // [in, 1]
    const folded = tf.reshape(gain ? tf.mul(wT, gain) : wT, [1, inDim, count]);
    if (!bias) return { w: folded };
    let b = tf.mul(tf.tensor1d(bias.subarray(from, from + count)), biasScale);
    // W beta, with beta as the product's small operand (XNNPACK packs that one, not W).
    if (norm) b = tf.add(b, tf.mul(tf.reshape(tf.matMul(rows, tf.tensor2d(norm.b, [inDim, 1])), [count]), scale));
    return { w: folded, b };
  });
  return { w: out.w as tf.Tensor3D, b: (out.b as tf.Tensor1D | undefined) ?? null };
}

/** Which upload group a reference parameter belongs to: a block, or one of the model's other parts. */
function groupOf(name: string): string {
  const m = /^((?:decoder_)?blocks\.\d+)\./.exec(name);
  if (m) return m[1];
  if (name === 'cls_token' || name === 'pos_embed' || name.startsWith('patch_embed.')) return 'encoderInput';
  if (name.startsWith('decoder_pred.') || name.startsWith('decoder_norm.')) return 'decoderPred';
  if (name.startsWith('decoder_embed.')) return 'decoderEmbed';
  if (name.startsWith('norm.')) return 'norm';
  if (name === 'mask_token') return 'maskToken';
  if (name === 'decoder_pos_embed') return 'decoderPosEmbed';
  return name;
}

/** The device tensors of one upload group, as `WeightAssembler` hands them to its listener. */
export type UploadedGroup =
  | { kind: 'block'; decoder: boolean; index: number; weights: BlockWeights }
  | { kind: 'encoderInput'; table: tf.Tensor3D }
  | { kind: 'decoderEmbed' | 'decoderPred'; linear: Linear }
  | { kind: 'other' };

/**
 * Builds MaeWeights from parameters handed over one at a time (in any order), uploading each group
 * (a block, the encoder input table, ...) as soon as it is complete and dropping its host arrays,
 * so a checkpoint streamed from a file is never held whole on the host. Groups holding an optional
 * position table wait for `finish`. Names and shapes are checked as they arrive (checkShapes can
 * check them all before any data is read). Call `dispose` if the build is abandoned.
 */
export class WeightAssembler {
  private readonly expected: Map<string, number[]>;
  private readonly members = new Map<string, string[]>();
  private readonly pending = new Map<string, HostParams>();
  private readonly blocks: (BlockWeights | undefined)[];
  private readonly decoderBlocks: (BlockWeights | undefined)[];
  private readonly parts: Partial<Omit<MaeWeights, 'blocks' | 'decoderBlocks'>> = {};
  private readonly uploaded: tf.Tensor[] = [];
  /** What was assumed (sin-cos tables computed for missing position embeddings). */
  readonly notes: string[] = [];

  constructor(private readonly c: MaeConfig, private readonly layout: AttentionLayout,
    private readonly onGroup: (g: UploadedGroup) => void = () => {}) {
    this.expected = expectedParamShapes(c);
    for (const name of this.expected.keys()) {
      const g = groupOf(name);
      this.members.set(g, [...(this.members.get(g) ?? []), name]);
    }
    this.blocks = new Array<BlockWeights | undefined>(c.depth);
    this.decoderBlocks = new Array<BlockWeights | undefined>(c.decoderDepth);
  }

  /** Takes one parameter; uploads its group once the group is complete (throws ParamError on a bad name or shape). */
  add(name: string, p: HostParam): void {
    const shape = this.expected.get(name);
    if (!shape) throw new ParamError(`unexpected parameter ${name}`);
    if (!sameShape(p.shape, shape) || p.data.length !== shape.reduce((a, b) => a * b, 1)) {
      throw new ParamError(`shape mismatch: ${name}: expected [${shape}], found [${p.shape}]`);
    }
    const g = groupOf(name);
    const got = this.pending.get(g) ?? new Map<string, HostParam>();
    got.set(name, p);
    this.pending.set(g, got);
    const names = this.members.get(g)!;
    if (names.every((n) => got.has(n))) this.upload(g);
  }

  /** Uploads what is left (filling absent position tables with sin-cos) and returns the weights; the caller owns them. */
  finish(): MaeWeights {
    const missing: string[] = [];
    for (const [g, names] of this.members) {
      if (!this.pending.has(g) && this.isUploaded(g)) continue;
      const got = this.pending.get(g) ?? new Map<string, HostParam>();
      this.pending.set(g, got);
      for (const n of names) {
        if (got.has(n)) continue;
        if (OPTIONAL_PARAMS.has(n)) this.notes.push(`${n} not in the checkpoint: using fixed 2-D sin-cos`);
        else missing.push(n);
      }
    }
    if (missing.length) {
      throw new ParamError(`missing ${missing.length} parameter(s): ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
    }
    for (const g of [...this.pending.keys()]) this.upload(g);
    const w = this.parts as Omit<MaeWeights, 'blocks' | 'decoderBlocks'>;
    return { ...w, blocks: this.blocks as BlockWeights[], decoderBlocks: this.decoderBlocks as BlockWeights[] };
  }

  /** Frees everything uploaded so far (for an abandoned build). */
  dispose(): void {
    tf.dispose(this.uploaded);
    this.uploaded.length = 0;
  }

  private isUploaded(g: string): boolean {
    const m = /^(decoder_)?blocks\.(\d+)$/.exec(g);
    if (m) return (m[1] ? this.decoderBlocks : this.blocks)[Number(m[2])] !== undefined;
    const key = ({ encoderInput: 'encoderInput', norm: 'norm', decoderEmbed: 'decoderEmbed', maskToken: 'maskToken',
      decoderPosEmbed: 'decoderPosEmbed', decoderPred: 'decoderPred' } as const)[g as 'norm'];
    return key !== undefined && this.parts[key] !== undefined;
  }

  private upload(g: string): void {
    const params = this.pending.get(g)!;
    this.pending.delete(g);
    const group = uploadGroup(this.c, g, params, this.layout);
    this.uploaded.push(...weightTensors(group.value as object));
    const m = /^(decoder_)?blocks\.(\d+)$/.exec(g);
    if (m) {
      const decoder = m[1] !== undefined;
      const index = Number(m[2]);
      (decoder ? this.decoderBlocks : this.blocks)[index] = group.value as BlockWeights;
      this.onGroup({ kind: 'block', decoder, index, weights: group.value as BlockWeights });
      return;
    }
    Object.assign(this.parts, { [g]: group.value });
    if (g === 'encoderInput') this.onGroup({ kind: 'encoderInput', table: group.value as tf.Tensor3D });
    else if (g === 'decoderEmbed' || g === 'decoderPred') this.onGroup({ kind: g, linear: group.value as Linear });
    else this.onGroup({ kind: 'other' });
  }
}

/** One group's device tensors, arranged for the fast path; the caller owns them. */
function uploadGroup(c: MaeConfig, g: string, params: HostParams, layout: AttentionLayout): { value: unknown } {
  const E = c.embedDim;
  const D = c.decoderEmbedDim;
  const p = c.patchSize;
  const L = numPatches(c);
  const grid = gridSize(c);
  const k = p * p * c.inChans;
  const get = (name: string) => params.get(name)!;
  const hostNorm = (prefix: string): HostNorm => ({ g: get(`${prefix}.weight`).data, b: get(`${prefix}.bias`).data });
  const withBias = (l: { w: tf.Tensor3D; b: tf.Tensor1D | null }): Linear => ({ w: l.w, b: l.b! });
  const lin = (prefix: string, outDim: number, norm: HostNorm | null = null, scale = 1, biasScale = scale): Linear =>
    withBias(foldLinear(get(`${prefix}.weight`), get(`${prefix}.bias`).data, 0, outDim, norm, scale, biasScale));
  const posTable = (name: string, dim: number): Float32Array => params.get(name)?.data ?? sincosPosEmbed(dim, grid);
  const blockMatch = /^(decoder_)?blocks\.\d+$/.exec(g);
  if (blockMatch) {
    const decoder = blockMatch[1] !== undefined;
    const dim = decoder ? D : E;
    const heads = decoder ? c.decoderNumHeads : c.numHeads;
    const n1 = hostNorm(`${g}.norm1`);
    const qkvW = get(`${g}.attn.qkv.weight`);
    const qkvB = get(`${g}.attn.qkv.bias`).data;
    const hd = dim / heads;
    const qScale = hd ** -0.5;
    let attn: BlockWeights['attn'];
    if (layout === 'heads') {
      attn = {
        layout,
        q: Array.from({ length: heads }, (_, h) => withBias(foldLinear(qkvW, qkvB, h * hd, hd, n1, qScale))),
        k: foldLinear(qkvW, null, dim, dim, n1).w,
        v: Array.from({ length: heads }, (_, h) => withBias(foldLinear(qkvW, qkvB, 2 * dim + h * hd, hd, n1))),
      };
    } else {
      const q = withBias(foldLinear(qkvW, qkvB, 0, dim, n1, qScale));
      const kv = withBias(foldLinear(qkvW, qkvB, dim, 2 * dim, n1));
      attn = { layout, qkv: { w: tf.concat([q.w, kv.w], 2), b: tf.concat([q.b, kv.b]) } };
      tf.dispose([q.w, q.b, kv.w, kv.b]);
    }
    const hidden = get(`${g}.mlp.fc1.weight`).shape[0];
    const value: BlockWeights = {
      attn,
      proj: lin(`${g}.attn.proj`, dim),
      fc1: lin(`${g}.mlp.fc1`, hidden, hostNorm(`${g}.norm2`), GELU_SPLIT),
      fc2: lin(`${g}.mlp.fc2`, dim, null, GELU_SPLIT, 1),
    };
    return { value };
  }
  switch (g) {
    case 'encoderInput': {
      // Encoder input table: conv weight [E, C, p, p] -> rows (r, c, ch), then positions, then cls.
      const pe = get('patch_embed.proj.weight').data;
      const peBias = get('patch_embed.proj.bias').data;
      const pos = posTable('pos_embed', E);
      const cls = get('cls_token').data;
      const table = new Float32Array((k + L + 1) * E);
      for (let e = 0; e < E; e++) {
        for (let ch = 0; ch < c.inChans; ch++) for (let r = 0; r < p; r++) for (let col = 0; col < p; col++) {
          table[((r * p + col) * c.inChans + ch) * E + e] = pe[((e * c.inChans + ch) * p + r) * p + col];
        }
        for (let j = 0; j < L; j++) table[(k + j) * E + e] = pos[(1 + j) * E + e] + peBias[e];
        table[(k + L) * E + e] = cls[e] + pos[e];
      }
      return { value: tf.tensor3d(table, [1, k + L + 1, E]) };
    }
    case 'norm':
      return { value: { g: tf.tensor1d(get('norm.weight').data), b: tf.tensor1d(get('norm.bias').data) } };
    case 'decoderEmbed':
      return { value: lin('decoder_embed', D) };
    case 'maskToken':
      return { value: tf.tensor3d(get('mask_token').data, [1, 1, D]) };
    case 'decoderPosEmbed':
      return { value: tf.tensor3d(posTable('decoder_pos_embed', D), [1, 1 + L, D]) };
    case 'decoderPred':
      return { value: lin('decoder_pred', k, hostNorm('decoder_norm')) };
    default:
      throw new ParamError(`unexpected parameter group ${g}`);
  }
}

/** Every tensor held by a MaeWeights. */
export function weightTensors(w: MaeWeights | object): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  const walk = (v: unknown) => {
    if (v instanceof tf.Tensor) out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(w);
  return out;
}

/** Number of scalar parameters of the reference model (position embeddings included, as the reference counts buffers). */
export function countParams(c: MaeConfig): number {
  let total = 0;
  for (const shape of expectedParamShapes(c).values()) total += shape.reduce((a, b) => a * b, 1);
  return total;
}
