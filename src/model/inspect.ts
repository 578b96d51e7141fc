// What a model computes for one image, for viewing: a plain-ops reference forward pass (the
// reference models_mae.py op for op on a single image, weights kept in the reference layout, no
// folding and no custom kernels) that also returns what the fast path never materialises: every
// attention softmax of the encoder and the decoder, the latent after the final norm and the
// prediction, at the checkpoint's image size or any other (position tables interpolated
// bicubically as the reference's `interpolate_pos_embed`).
//
// It uses only standard, differentiable tf ops (matMul, softmax, gather, erf, moments...).
// Fine-tuning (train.ts) runs `forwardBatch`, the same pass on a batch with gather-free token
// selection and, on wasm, only plain 2-D products, under tf.variableGrads with the weights wrapped
// in tf.variables (`create`'s adopt hook); gradients need
// `import '@tensorflow/tfjs-core/dist/register_all_gradients'` first (tfjs-core registers none).
// It is slower than the fast path and holds its own copy of the weights: create it when a view
// needs it, dispose it when the view closes.
import * as tf from '@tensorflow/tfjs-core';
import type { MaeConfig } from './config';
import { gridSize, validateConfig } from './config';
import { interpolatePosEmbed, sincosPosEmbed, type PatchGrid } from './posembed';
import { checkParams, type HostParams } from './weights';
import { planFor, type MaskPlan, type MaskSpec } from '../shared/masking';

/** An image size in pixels; both sides multiples of the patch size. */
export interface ImageSize {
  width: number;
  height: number;
}

/** Bytes of one float32 or int32 value. */
const BYTES_PER_VALUE = 4;

/** A linear layer in `x @ w + b` form. */
interface RefLinear {
  w: tf.Tensor2D; // [in, out]
  b: tf.Tensor1D; // [out]
}

/** LayerNorm affine parameters. */
interface RefNorm {
  g: tf.Tensor1D; // [D]
  b: tf.Tensor1D; // [D]
}

/** One timm pre-norm block with fused qkv, as the checkpoint stores it. */
interface RefBlock {
  norm1: RefNorm;
  qkv: RefLinear; // [D, 3D], columns q | k | v
  proj: RefLinear; // [D, D]
  norm2: RefNorm;
  fc1: RefLinear; // [D, hidden]
  fc2: RefLinear; // [hidden, D]
}

/** Device weights in the reference layout (linear weights transposed to `[in, out]`, nothing folded). */
export interface InspectWeights {
  patchEmbed: RefLinear; // [p*p*3, E], rows in patchify (row, column, channel) order
  clsToken: tf.Tensor2D; // [1, E]
  blocks: RefBlock[];
  norm: RefNorm;
  decoderEmbed: RefLinear; // [E, D]
  maskToken: tf.Tensor2D; // [1, D]
  decoderBlocks: RefBlock[];
  decoderNorm: RefNorm;
  decoderPred: RefLinear; // [D, p*p*3]
}

/**
 * Receives each weight as it is uploaded, with its reference state-dict name, and returns the
 * tensor the model keeps (the given one, or a replacement such as a tf.variable of it).
 */
export type WeightAdopter = (name: string, t: tf.Tensor) => tf.Tensor;

/** How much of a stack of attention maps to return: every head, their mean, or nothing. */
export type AttentionCapture = 'heads' | 'mean' | 'none';

/** Which attention maps a forward pass returns (every head of both by default). */
export interface InspectOptions {
  encoderAttention?: AttentionCapture;
  decoderAttention?: AttentionCapture;
}

/** What `InspectModel.forward` returns; the caller owns every tensor. */
export interface InspectTensors {
  /** `[depth, heads, 1+keep, 1+keep]` softmax weights (heads = 1 for 'mean'); token 0 = cls, token i = patch idsKeep[i-1]. */
  encoderAttention: tf.Tensor4D | null;
  /** `[decoder_depth, decoder_heads, 1+L, 1+L]` (heads = 1 for 'mean'); token 0 = cls, token j = patch j-1. */
  decoderAttention: tf.Tensor4D | null;
  latent: tf.Tensor2D; // [1+keep, E], after the encoder's final norm
  pred: tf.Tensor2D; // [L, p*p*3], normalised pixel space (per-patch normalised for norm_pix checkpoints)
}

/** A host array with its shape (C order). */
export interface HostArray<T extends Float32Array | Int32Array = Float32Array> {
  data: T;
  shape: number[];
}

/** Everything `InspectModel.inspect` computes for one image, as host arrays. */
export interface InspectResult {
  size: ImageSize;
  grid: PatchGrid;
  patchSize: number;
  numPatches: number;
  lenKeep: number;
  /** `[keep]` patch index of each visible token, in the encoder's order. */
  idsKeep: Int32Array;
  /** `[L]` 1 = masked, patch order. */
  mask: Float32Array;
  /** `[depth, heads or 1, 1+keep, 1+keep]`, null when not asked for. */
  encoderAttention: HostArray | null;
  /** `[decoder_depth, decoder_heads or 1, 1+L, 1+L]`, null when not asked for. */
  decoderAttention: HostArray | null;
  latent: HostArray; // [1+keep, E]
  pred: HostArray; // [L, p*p*3]
}

/** The patch grid of an image size; throws RangeError when a side is not a positive multiple of the patch. */
export function patchGridFor(patchSize: number, size: ImageSize): PatchGrid {
  for (const [name, v] of [['width', size.width], ['height', size.height]] as const) {
    if (!Number.isInteger(v) || v <= 0 || v % patchSize !== 0) {
      throw new RangeError(`image ${name} ${v} px is not a positive multiple of the patch size ${patchSize}`);
    }
  }
  return { rows: size.height / patchSize, cols: size.width / patchSize };
}

/**
 * Bytes the outputs of one inspect pass take on the host (and about as much on the device), so a
 * caller can refuse a size before running it: attention maps grow with the square of the tokens.
 */
export function inspectOutputBytes(c: MaeConfig, grid: PatchGrid, lenKeep: number, opts: InspectOptions = {}): number {
  const L = grid.rows * grid.cols;
  const heads = (cap: AttentionCapture | undefined, h: number) => (cap === 'none' ? 0 : cap === 'mean' ? 1 : h);
  const enc = c.depth * heads(opts.encoderAttention, c.numHeads) * (1 + lenKeep) ** 2;
  const dec = c.decoderDepth * heads(opts.decoderAttention, c.decoderNumHeads) * (1 + L) ** 2;
  const k = c.patchSize * c.patchSize * c.inChans;
  return BYTES_PER_VALUE * (enc + dec + (1 + lenKeep) * c.embedDim + L * k + 2 * L);
}

/** `x @ w + b` on `[T, in]` -> `[T, out]`. Call inside tidy. */
function linear(x: tf.Tensor2D, l: RefLinear): tf.Tensor2D {
  return tf.add(tf.matMul(x, l.w), l.b);
}

/** LayerNorm over the last axis with biased variance, as torch. Call inside tidy. */
function layerNorm(x: tf.Tensor2D, n: RefNorm, eps: number): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true); // [T, 1]
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), n.g), n.b);
}

/** Exact GELU, `0.5 x (1 + erf(x / sqrt 2))` (torch `nn.GELU()` default). Call inside tidy. */
function gelu(x: tf.Tensor2D): tf.Tensor2D {
  return tf.mul<tf.Tensor2D>(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

/**
 * timm multi-head self-attention on `n` sequences of T tokens stacked as `[n*T, D]`: the projected
 * output `[n*T, D]` and the softmax weights `[n*H, T, T]` (sequence-major). Call inside tidy.
 */
function attention(x: tf.Tensor2D, b: RefBlock, heads: number, n = 1): { out: tf.Tensor2D; weights: tf.Tensor3D } {
  const [nt, d] = x.shape;
  const t = nt / n;
  const hd = d / heads;
  const qkv = linear(x, b.qkv); // [n*T, 3D]
  const part = (i: number) => tf.reshape(
    tf.transpose(tf.reshape(tf.slice(qkv, [0, i * d], [nt, d]), [n, t, heads, hd]), [0, 2, 1, 3]), [n * heads, t, hd]); // [n*H, T, hd]
  const scores = tf.mul(tf.matMul(part(0), part(1), false, true), hd ** -0.5); // [n*H, T, T]
  const weights = tf.softmax(scores, -1) as tf.Tensor3D;
  const merged = tf.reshape(tf.transpose(tf.reshape(tf.matMul(weights, part(2)), [n, heads, t, hd]), [0, 2, 1, 3]), [nt, d]) as tf.Tensor2D; // [n*T, D]
  return { out: linear(merged, b.proj), weights };
}

/** A pre-norm block on `n` sequences `[n*T, D]` and its attention weights `[n*H, T, T]`. Call inside tidy. */
function block(x: tf.Tensor2D, b: RefBlock, heads: number, eps: number, n = 1): { out: tf.Tensor2D; weights: tf.Tensor3D } {
  const a = attention(layerNorm(x, b.norm1, eps), b, heads, n);
  const h = tf.add<tf.Tensor2D>(x, a.out);
  return { out: tf.add(h, linear(gelu(linear(layerNorm(h, b.norm2, eps), b.fc1)), b.fc2)), weights: a.weights };
}

/**
 * How `forwardBatch` lays out its products. 'plain': only untransposed 2-D products, forward and
 * backward (the wasm backend runs just those on XNNPACK; transposed or batched products take it
 * ~10x longer), attention per sample and head. 'batched': batched attention, fewest kernels (GPUs).
 */
export type ProductLayout = 'plain' | 'batched';

/** `a @ b` on `[m, k] x [k, n]` whose gradients are untransposed products of explicit transposes too. */
const plainMatMul = tf.customGrad((...args: unknown[]) => {
  const [a, b, save] = args as [tf.Tensor2D, tf.Tensor2D, (t: tf.Tensor[]) => void];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const g = dy as tf.Tensor2D;
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(g, tf.transpose(sb)), tf.matMul(tf.transpose(sa), g)];
    },
  };
}) as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/** `x @ w + b` with plain products. Call inside tidy. */
function plainLinear(x: tf.Tensor2D, l: RefLinear): tf.Tensor2D {
  return tf.add(plainMatMul(x, l.w), l.b);
}

/**
 * Attention on `n` sequences `[n*T, D]` -> `[n*T, D]` with plain products only: one `[T, T]`
 * score product per sample and head. Splits, not slices (a split's gradient is one concat, a
 * slice's a padded copy of the whole input). Call inside tidy.
 */
function plainAttention(x: tf.Tensor2D, b: RefBlock, heads: number, n: number): tf.Tensor2D {
  const d = x.shape[1];
  const scale = (d / heads) ** -0.5;
  const qkv = plainLinear(x, b.qkv); // [n*T, 3D]
  const samples = n > 1 ? tf.split(qkv, n, 0) : [qkv]; // n x [T, 3D]
  const merged = samples.map((sq) => {
    const parts = tf.split(sq, 3 * heads, 1) as tf.Tensor2D[]; // q heads, k heads, v heads: [T, hd] each
    const outs = Array.from({ length: heads }, (_, h) => {
      const scores = tf.mul(plainMatMul(parts[h], tf.transpose(parts[heads + h])), scale); // [T, T]
      return plainMatMul(tf.softmax(scores, -1) as tf.Tensor2D, parts[2 * heads + h]); // [T, hd]
    });
    return outs.length > 1 ? tf.concat(outs, 1) : outs[0]; // [T, D]
  });
  return plainLinear(merged.length > 1 ? tf.concat(merged, 0) : merged[0], b.proj);
}

/** A pre-norm block on `n` sequences `[n*T, D]` in a product layout, without its attention maps. Call inside tidy. */
function trainBlock(x: tf.Tensor2D, b: RefBlock, heads: number, eps: number, n: number, layout: ProductLayout): tf.Tensor2D {
  if (layout === 'batched') return block(x, b, heads, eps, n).out;
  const h = tf.add<tf.Tensor2D>(x, plainAttention(layerNorm(x, b.norm1, eps), b, heads, n));
  return tf.add(h, plainLinear(gelu(plainLinear(layerNorm(h, b.norm2, eps), b.fc1)), b.fc2));
}

/** Stacks per-layer `[H, T, T]` maps as `[layers, H or 1, T, T]`, or null. Call inside tidy. */
function stackAttention(maps: tf.Tensor3D[], cap: AttentionCapture): tf.Tensor4D | null {
  if (cap === 'none') return null;
  const all = tf.stack(maps) as tf.Tensor4D; // [layers, H, T, T]
  return cap === 'mean' ? (tf.mean(all, 1, true) as tf.Tensor4D) : all;
}

/**
 * Reference `patchify` for one image of any aspect: `[3, H, W]` -> `[rows*cols, p*p*3]`, patches
 * row-major, each patch's pixels in (row, column, channel) order. Call inside tidy.
 */
function patchifyImage(img: tf.Tensor3D, p: number, grid: PatchGrid): tf.Tensor2D {
  const grid5 = tf.reshape(img, [3, grid.rows, p, grid.cols, p]); // [C, rows, p, cols, p]
  const ordered = tf.transpose(grid5, [1, 3, 2, 4, 0]); // [rows, cols, p, p, C]
  return tf.reshape(ordered, [grid.rows * grid.cols, p * p * 3]) as tf.Tensor2D;
}

/** The reference MAE forward pass on one image with every attention map; weights in the reference layout. */
export class InspectModel {
  readonly config: MaeConfig;
  readonly weights: InspectWeights;
  /** What was assumed while building (e.g. sin-cos position embeddings computed). */
  readonly notes: string[];
  /** Position tables at the checkpoint's grid, `[1+L, E]` and `[1+L, D]`, host copies. */
  private readonly posEmbed: Float32Array;
  private readonly decoderPosEmbed: Float32Array;
  /** The last grid's interpolated tables (host arrays: nothing on the device outlives a call). */
  private tables: { key: string; pos: Float32Array; dpos: Float32Array } | null = null;

  private constructor(config: MaeConfig, weights: InspectWeights, pos: Float32Array, dpos: Float32Array, notes: string[]) {
    this.config = config;
    this.weights = weights;
    this.posEmbed = pos;
    this.decoderPosEmbed = dpos;
    this.notes = notes;
  }

  /**
   * Validates config and params, then uploads the weights in the reference layout; dispose() frees
   * them. `adopt(name, t)` sees each uploaded weight with its reference name (`t` in this model's
   * layout, see InspectWeights) and returns what the model keeps (a trainer wraps it in a
   * tf.variable and disposes `t`); the default keeps `t`.
   */
  static create(config: MaeConfig, params: HostParams, adopt: WeightAdopter = (_, t) => t): InspectModel {
    validateConfig(config);
    const notes = checkParams(config, params);
    const g = gridSize(config);
    const get = (name: string) => params.get(name)!;
    const vec = (name: string) => adopt(name, tf.tensor1d(get(name).data)) as tf.Tensor1D;
    const row = (name: string) => adopt(name, tf.tensor2d(get(name).data, [1, get(name).data.length])) as tf.Tensor2D;
    // PyTorch Linear stores [out, in]; matMul wants [in, out].
    const lin = (prefix: string): RefLinear => {
      const w = get(`${prefix}.weight`);
      const wt = tf.tidy(() => tf.transpose(tf.tensor2d(w.data, [w.shape[0], w.shape[1]])));
      return { w: adopt(`${prefix}.weight`, wt) as tf.Tensor2D, b: vec(`${prefix}.bias`) };
    };
    const norm = (prefix: string): RefNorm => ({ g: vec(`${prefix}.weight`), b: vec(`${prefix}.bias`) });
    const blockW = (prefix: string): RefBlock => ({
      norm1: norm(`${prefix}.norm1`), qkv: lin(`${prefix}.attn.qkv`), proj: lin(`${prefix}.attn.proj`),
      norm2: norm(`${prefix}.norm2`), fc1: lin(`${prefix}.mlp.fc1`), fc2: lin(`${prefix}.mlp.fc2`),
    });
    const pos = (name: string, dim: number) => params.get(name)?.data ?? sincosPosEmbed(dim, g);
    const conv = get('patch_embed.proj.weight'); // [E, C, p, p]
    const p = config.patchSize;
    const weights: InspectWeights = {
      // Conv weight [E, C, p, p] -> [p, p, C, E] -> [p*p*C, E]: a stride-p conv is a matMul on patches.
      patchEmbed: {
        w: adopt('patch_embed.proj.weight', tf.tidy(() => tf.reshape(tf.transpose(
          tf.tensor4d(conv.data, [config.embedDim, config.inChans, p, p]), [2, 3, 1, 0]), [p * p * config.inChans, config.embedDim]))) as tf.Tensor2D,
        b: vec('patch_embed.proj.bias'),
      },
      clsToken: row('cls_token'),
      blocks: Array.from({ length: config.depth }, (_, i) => blockW(`blocks.${i}`)),
      norm: norm('norm'),
      decoderEmbed: lin('decoder_embed'),
      maskToken: row('mask_token'),
      decoderBlocks: Array.from({ length: config.decoderDepth }, (_, i) => blockW(`decoder_blocks.${i}`)),
      decoderNorm: norm('decoder_norm'),
      decoderPred: lin('decoder_pred'),
    };
    return new InspectModel(config, weights, pos('pos_embed', config.embedDim), pos('decoder_pos_embed', config.decoderEmbedDim), notes);
  }

  /** Frees every weight tensor. */
  dispose(): void {
    const out: tf.Tensor[] = [];
    const walk = (v: unknown) => {
      if (v instanceof tf.Tensor) out.push(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(this.weights);
    tf.dispose(out);
  }

  /** The patch grid of an image size for this model's patch (see patchGridFor). */
  gridFor(size: ImageSize): PatchGrid {
    return patchGridFor(this.config.patchSize, size);
  }

  /**
   * Encoder and decoder position tables for a grid, `[1+rows*cols, E]` and `[1+rows*cols, D]`:
   * the checkpoint's own at its grid, else interpolated bicubically (interpolatePosEmbed).
   */
  positionTables(grid: PatchGrid): { pos: Float32Array; dpos: Float32Array } {
    const key = `${grid.rows}x${grid.cols}`;
    if (this.tables?.key !== key) {
      const g = gridSize(this.config);
      const from = { rows: g, cols: g };
      this.tables = {
        key,
        pos: interpolatePosEmbed(this.posEmbed, this.config.embedDim, from, grid),
        dpos: interpolatePosEmbed(this.decoderPosEmbed, this.config.decoderEmbedDim, from, grid),
      };
    }
    return this.tables;
  }

  /**
   * The reference forward pass of one ImageNet-normalised image `[3, H, W]` under a one-image mask
   * plan on its patch grid (row-major, rows = H / p), with the attention maps `opts` asks for.
   * Plain differentiable ops only. Caller owns the result.
   */
  forward(img: tf.Tensor3D, plan: MaskPlan, opts: InspectOptions = {}): InspectTensors {
    const c = this.config;
    const w = this.weights;
    const [, height, width] = img.shape;
    const grid = this.gridFor({ width, height });
    const L = grid.rows * grid.cols;
    if (plan.n !== 1 || plan.numPatches !== L) {
      throw new RangeError(`mask plan is for [${plan.n}, ${plan.numPatches}], the image has 1 x ${L} patches`);
    }
    const keep = plan.lenKeep;
    const { pos, dpos } = this.positionTables(grid);
    const out = tf.tidy(() => {
      const posT = tf.tensor2d(pos, [1 + L, c.embedDim]);
      const dposT = tf.tensor2d(dpos, [1 + L, c.decoderEmbedDim]);
      // Encoder: embed every patch, keep the visible ones (in idsShuffle order), cls first.
      const x = tf.add(linear(patchifyImage(img, c.patchSize, grid), w.patchEmbed), tf.slice(posT, [1, 0], [L, -1])); // [L, E]
      const cls = tf.add<tf.Tensor2D>(w.clsToken, tf.slice(posT, [0, 0], [1, -1])); // [1, E]
      const idsKeep = tf.tensor1d(plan.idsShuffle.subarray(0, keep), 'int32'); // [keep]
      let h: tf.Tensor2D = keep > 0 ? tf.concat([cls, tf.gather(x, idsKeep) as tf.Tensor2D], 0) : cls; // [1+keep, E]
      const encMaps: tf.Tensor3D[] = [];
      for (const b of w.blocks) {
        const r = block(h, b, c.numHeads, c.layerNormEps);
        h = r.out;
        encMaps.push(r.weights);
      }
      const latent = layerNorm(h, w.norm, c.layerNormEps); // [1+keep, E]

      // Decoder: visible tokens then mask tokens, unshuffled to patch order, cls first.
      const y = linear(latent, w.decoderEmbed); // [1+keep, D]
      const parts: tf.Tensor2D[] = [];
      if (keep > 0) parts.push(tf.slice(y, [1, 0], [keep, -1]));
      if (L > keep) parts.push(tf.tile(w.maskToken, [L - keep, 1]));
      const tokens = parts.length === 1 ? parts[0] : tf.concat(parts, 0); // [L, D], shuffled order
      const unshuffled = tf.gather(tokens, tf.tensor1d(plan.idsRestore, 'int32')); // [L, D]
      let d = tf.add(tf.concat([tf.slice(y, [0, 0], [1, -1]), unshuffled], 0), dposT) as tf.Tensor2D; // [1+L, D]
      const decMaps: tf.Tensor3D[] = [];
      for (const b of w.decoderBlocks) {
        const r = block(d, b, c.decoderNumHeads, c.layerNormEps);
        d = r.out;
        decMaps.push(r.weights);
      }
      const pred = tf.slice(linear(layerNorm(d, w.decoderNorm, c.layerNormEps), w.decoderPred), [1, 0], [L, -1]); // [L, p*p*3]
      const result: InspectTensors = {
        encoderAttention: stackAttention(encMaps, opts.encoderAttention ?? 'heads'),
        decoderAttention: stackAttention(decMaps, opts.decoderAttention ?? 'heads'),
        latent,
        pred,
      };
      // tidy's container type has no room for interfaces (nor null): cast in and out.
      return result as unknown as tf.TensorContainer;
    });
    return out as unknown as InspectTensors;
  }

  /**
   * The reference forward pass of a batch at the checkpoint's own grid, for training: patches
   * `[N*L, p*p*3]` (patchify order, ImageNet-normalised) under an N-image mask plan -> pred
   * `[N*L, p*p*3]`. Visible tokens are picked and unshuffled per sample by one-hot products built
   * on the host (a gather's gradient needs UnsortedSegmentSum, which the wasm backend lacks).
   * Plain differentiable ops only; no attention maps. Caller owns the result.
   */
  forwardBatch(patches: tf.Tensor2D, plan: MaskPlan, layout: ProductLayout = 'batched'): tf.Tensor2D {
    const c = this.config;
    const w = this.weights;
    const g = gridSize(c);
    const L = g * g;
    const n = plan.n;
    const K = c.patchSize * c.patchSize * c.inChans;
    if (plan.numPatches !== L || patches.shape[0] !== n * L || patches.shape[1] !== K) {
      throw new RangeError(`batch [${patches.shape.join(', ')}] with a mask for [${n}, ${plan.numPatches}] does not fit ${L} patches of ${K} values`);
    }
    const keep = plan.lenKeep;
    // Per sample: pick[j, idsShuffle[j]] = 1 for the kept j (row j is the j-th visible patch), and
    // its transpose, which puts the visible tokens back at their patches.
    const pick: Float32Array[] = [];
    const place: Float32Array[] = [];
    for (let b = 0; b < n; b++) {
      const pk = new Float32Array(keep * L); // [keep, L]
      const pl = new Float32Array(L * keep); // [L, keep]
      for (let j = 0; j < keep; j++) {
        const id = plan.idsShuffle[b * L + j];
        pk[j * L + id] = 1;
        pl[id * keep + j] = 1;
      }
      pick.push(pk);
      place.push(pl);
    }
    const plain = layout === 'plain';
    const mm = (a: tf.Tensor2D, b: tf.Tensor2D) => (plain ? plainMatMul(a, b) : tf.matMul(a, b));
    const lin = (x: tf.Tensor2D, l: RefLinear) => (plain ? plainLinear(x, l) : linear(x, l));
    const { pos, dpos } = this.positionTables({ rows: g, cols: g });
    return tf.tidy(() => {
      const posT = tf.tensor2d(pos, [1 + L, c.embedDim]);
      const dposT = tf.tensor2d(dpos, [1 + L, c.decoderEmbedDim]);
      const cls = tf.add(w.clsToken, tf.slice(posT, [0, 0], [1, -1])); // [1, E]
      const x = lin(patches, w.patchEmbed); // [N*L, E]
      const xs = n > 1 ? tf.split(x, n, 0) : [x]; // N x [L, E]
      const posPatches = tf.slice(posT, [1, 0], [L, -1]); // [L, E]
      const seqs = xs.map((xb, b) => (keep > 0
        ? tf.concat([cls, mm(tf.tensor2d(pick[b], [keep, L]), tf.add(xb, posPatches))], 0) : cls)); // [1+keep, E]
      let h = (n > 1 ? tf.concat(seqs, 0) : seqs[0]) as tf.Tensor2D; // [N*(1+keep), E]
      for (const b of w.blocks) h = trainBlock(h, b, c.numHeads, c.layerNormEps, n, layout);
      const y = lin(layerNorm(h, w.norm, c.layerNormEps), w.decoderEmbed); // [N*(1+keep), D]
      const ys = n > 1 ? tf.split(y, n, 0) : [y]; // N x [1+keep, D]
      const masked = tf.tensor2d(plan.mask, [n * L, 1]); // [N*L, 1]
      const maskedParts = n > 1 ? tf.split(masked, n, 0) : [masked];
      const decs = ys.map((yb, b) => {
        const maskTokens = tf.mul<tf.Tensor2D>(maskedParts[b], w.maskToken); // [L, D]
        const tokens = keep > 0
          ? tf.add<tf.Tensor2D>(mm(tf.tensor2d(place[b], [L, keep]), tf.slice(yb, [1, 0], [keep, -1]) as tf.Tensor2D), maskTokens) : maskTokens; // [L, D]
        return tf.add(tf.concat([tf.slice(yb, [0, 0], [1, -1]), tokens], 0), dposT); // [1+L, D]
      });
      let d = (n > 1 ? tf.concat(decs, 0) : decs[0]) as tf.Tensor2D; // [N*(1+L), D]
      for (const b of w.decoderBlocks) d = trainBlock(d, b, c.decoderNumHeads, c.layerNormEps, n, layout);
      const out = tf.reshape(lin(layerNorm(d, w.decoderNorm, c.layerNormEps), w.decoderPred), [n, 1 + L, K]); // [N, 1+L, K]
      return tf.reshape(tf.slice(out, [0, 1, 0], [n, L, K]), [n * L, K]) as tf.Tensor2D;
    });
  }

  /**
   * Inspects one ImageNet-normalised image `[3, H, W]` (host floats, e.g. rgbaToNormalizedChw) of
   * `size` under a mask (a spec drawn on the image's patch grid, or a ready one-image plan). Every
   * tensor is freed before it resolves; the result is host arrays.
   */
  async inspect(chw: Float32Array, size: ImageSize, mask: MaskSpec | MaskPlan, opts: InspectOptions = {}): Promise<InspectResult> {
    const grid = this.gridFor(size);
    if (chw.length !== 3 * size.width * size.height) {
      throw new RangeError(`expected ${3 * size.width * size.height} values for a ${size.width}x${size.height} image, got ${chw.length}`);
    }
    const plan = 'idsShuffle' in mask ? mask : planFor(mask, grid.rows, grid.cols);
    const img = tf.tensor3d(chw, [3, size.height, size.width]);
    let t: InspectTensors;
    try {
      t = this.forward(img, plan, opts);
    } finally {
      img.dispose();
    }
    const host = async (x: tf.Tensor | null): Promise<HostArray | null> =>
      x === null ? null : { data: (await x.data()) as Float32Array, shape: x.shape.slice() };
    try {
      const [encoderAttention, decoderAttention, latent, pred] = await Promise.all(
        [t.encoderAttention, t.decoderAttention, t.latent, t.pred].map(host));
      return {
        size: { ...size },
        grid,
        patchSize: this.config.patchSize,
        numPatches: plan.numPatches,
        lenKeep: plan.lenKeep,
        idsKeep: plan.idsShuffle.slice(0, plan.lenKeep),
        mask: plan.mask.slice(),
        encoderAttention,
        decoderAttention,
        latent: latent!,
        pred: pred!,
      };
    } finally {
      const all: (tf.Tensor | null)[] = [t.encoderAttention, t.decoderAttention, t.latent, t.pred];
      tf.dispose(all.filter((x): x is tf.Tensor => x !== null));
    }
  }
}
