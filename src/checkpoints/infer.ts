import { ConfigError, DEFAULT_LAYER_NORM_EPS, validateConfig, type MaeConfig } from '../model/config';
import { LoadError, nameOf, printable } from '../shared/errors';
import { checkArchitecture, MAX_DEPTH } from './limits';
import type { Layout } from './names';

/** What inferConfig can use besides the tensor shapes (all optional). */
export interface InferOptions {
  /** Parsed Hugging Face `config.json`. */
  configJson?: unknown;
  /** Fields of the argparse.Namespace a reference training checkpoint stores under 'args'. */
  args?: Record<string, string | number | boolean | null>;
  /** Naming scheme the shapes came from; only changes which defaults are worth a note. */
  layout?: Layout;
  /** Values the caller knows (e.g. a golden case's head count); they win over everything else. */
  overrides?: Partial<MaeConfig>;
}

/** Image size the official models use, assumed when nothing in the file says otherwise. */
const DEFAULT_IMG_SIZE = 224;
/** ViT convention when nothing else is known: 64 channels per head. */
const DEFAULT_HEAD_DIM = 64;
/** config.json `model_type` of a ViT-MAE. */
export const HF_MODEL_TYPE = 'vit_mae';
/** Longest config.json value quoted in a message, in characters. */
const MAX_SHOWN_VALUE_CHARS = 40;
/** The one activation the model implements (exact erf GELU). */
export const SUPPORTED_ACT = 'gelu';

/** Official MAE architectures: heads are not visible in the weights, so they are looked up here. */
const KNOWN_ENCODERS: readonly { dim: number; depth: number; heads: number; name: string }[] = [
  { dim: 768, depth: 12, heads: 12, name: 'ViT-Base' },
  { dim: 1024, depth: 24, heads: 16, name: 'ViT-Large' },
  { dim: 1280, depth: 32, heads: 16, name: 'ViT-Huge' },
];
const KNOWN_DECODERS: readonly { dim: number; depth: number; heads: number; name: string }[] = [
  { dim: 512, depth: 8, heads: 16, name: 'the MAE decoder' },
];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A config.json value for a message, never serialised whole (it may be nested deep or be huge). */
function shownValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(printable(v, MAX_SHOWN_VALUE_CHARS));
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object' && v !== null) return 'an object';
  return String(v);
}

/** Reads one config.json field, insisting on the right type when it is present. */
function field<T extends 'number' | 'boolean' | 'string'>(
  cfg: Record<string, unknown>, key: string, type: T,
): (T extends 'number' ? number : T extends 'boolean' ? boolean : string) | undefined {
  const v = cfg[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== type) throw new LoadError(`config.json: ${key} should be a ${type}, found ${shownValue(v)}`);
  return v as never;
}

/** Number of blocks `<prefix>.<i>.` present (1 + the highest index), refused past MAX_DEPTH. */
function countBlocks(shapes: Map<string, number[]>, prefix: string): number {
  const re = new RegExp(`^${prefix}\\.(\\d+)\\.`);
  let n = 0;
  for (const k of shapes.keys()) {
    const m = re.exec(k);
    if (!m) continue;
    const index = Number(m[1]);
    if (!(index < MAX_DEPTH)) {
      throw new LoadError(`the checkpoint names ${nameOf(k)}: block ${printable(m[1], MAX_SHOWN_VALUE_CHARS)} is past the `
        + `limit of ${MAX_DEPTH} blocks`);
    }
    n = Math.max(n, index + 1);
  }
  return n;
}

function dimOf(shapes: Map<string, number[]>, key: string, axis: number): number | undefined {
  const s = shapes.get(key);
  return s && axis < s.length ? s[axis] : undefined;
}

function need(v: number | undefined, what: string, from: string): number {
  if (v === undefined) throw new LoadError(`cannot tell the ${what}: ${from} is missing from the checkpoint`);
  return v;
}

function guessHeads(
  dim: number, depth: number, known: typeof KNOWN_ENCODERS, field: string, notes: string[],
): number {
  const hit = known.find((k) => k.dim === dim && k.depth === depth);
  if (hit) {
    notes.push(`${field} not in the checkpoint: assumed ${hit.heads} (${hit.name})`);
    return hit.heads;
  }
  const heads = dim % DEFAULT_HEAD_DIM === 0 ? dim / DEFAULT_HEAD_DIM : 1;
  notes.push(`${field} not in the checkpoint: assumed ${heads} (head size ${dim / heads}); `
    + 'add a config.json if this is wrong');
  return heads;
}

/** Side of the patch grid from a [1, 1 + L, dim] position table; L must be a square. */
function imgSizeFromPositions(tokens: number, patch: number, name: string): number {
  const grid = Math.round(Math.sqrt(tokens - 1));
  if (tokens < 2 || grid * grid !== tokens - 1) {
    throw new LoadError(`${name} has ${tokens} positions, which is not 1 + a square grid of patches`);
  }
  return grid * patch;
}

/**
 * Works out the architecture from config.json when given, else from the shapes of the reference-named
 * parameters; `notes` says everything that had to be assumed.
 */
export function inferConfig(shapes: Map<string, number[]>, opts: InferOptions = {}): {
  config: MaeConfig;
  notes: string[];
} {
  const notes: string[] = [];
  if (opts.configJson !== undefined && !isObject(opts.configJson)) {
    throw new LoadError('config.json is not a JSON object');
  }
  const cfg: Record<string, unknown> = opts.configJson ?? {};
  const args = opts.args ?? {};
  const ov = opts.overrides ?? {};

  const modelType = field(cfg, 'model_type', 'string');
  if (modelType !== undefined && modelType !== HF_MODEL_TYPE) {
    throw new LoadError(`config.json is for a "${nameOf(modelType)}" model, not a ViT-MAE ("${HF_MODEL_TYPE}")`, 'not-a-checkpoint');
  }
  const act = field(cfg, 'hidden_act', 'string');
  if (act !== undefined && act !== SUPPORTED_ACT) {
    throw new LoadError(`config.json asks for the ${nameOf(act)} activation; only gelu is supported`, 'unsupported');
  }
  if (field(cfg, 'qkv_bias', 'boolean') === false) {
    throw new LoadError('config.json has qkv_bias false; only models with attention biases are supported', 'unsupported');
  }

  const patchWeight = 'patch_embed.proj.weight';
  const embedDim = ov.embedDim ?? field(cfg, 'hidden_size', 'number')
    ?? dimOf(shapes, patchWeight, 0) ?? need(dimOf(shapes, 'cls_token', 2), 'embedding width', patchWeight);
  const patchSize = ov.patchSize ?? field(cfg, 'patch_size', 'number')
    ?? need(dimOf(shapes, patchWeight, 2), 'patch size', patchWeight);
  const patchW = dimOf(shapes, patchWeight, 3);
  if (patchW !== undefined && patchW !== patchSize) {
    throw new LoadError(`${patchWeight} has ${patchSize}x${patchW} patches; only square patches are supported`, 'unsupported');
  }
  const inChans = ov.inChans ?? field(cfg, 'num_channels', 'number')
    ?? need(dimOf(shapes, patchWeight, 1), 'number of input channels', patchWeight);
  const depth = ov.depth ?? field(cfg, 'num_hidden_layers', 'number') ?? countBlocks(shapes, 'blocks');
  const mlpHidden = ov.mlpHidden ?? field(cfg, 'intermediate_size', 'number')
    ?? need(dimOf(shapes, 'blocks.0.mlp.fc1.weight', 0), 'MLP width', 'blocks.0.mlp.fc1.weight');

  const decoderEmbedDim = ov.decoderEmbedDim ?? field(cfg, 'decoder_hidden_size', 'number')
    ?? dimOf(shapes, 'decoder_embed.weight', 0)
    ?? need(dimOf(shapes, 'mask_token', 2), 'decoder width', 'decoder_embed.weight');
  const decoderDepth = ov.decoderDepth ?? field(cfg, 'decoder_num_hidden_layers', 'number') ?? countBlocks(shapes, 'decoder_blocks');
  const decoderMlpHidden = ov.decoderMlpHidden ?? field(cfg, 'decoder_intermediate_size', 'number')
    ?? need(dimOf(shapes, 'decoder_blocks.0.mlp.fc1.weight', 0), 'decoder MLP width',
      'decoder_blocks.0.mlp.fc1.weight');

  const numHeads = ov.numHeads ?? field(cfg, 'num_attention_heads', 'number')
    ?? guessHeads(embedDim, depth, KNOWN_ENCODERS, 'num_heads', notes);
  const decoderNumHeads = ov.decoderNumHeads ?? field(cfg, 'decoder_num_attention_heads', 'number')
    ?? guessHeads(decoderEmbedDim, decoderDepth, KNOWN_DECODERS, 'decoder_num_heads', notes);

  let imgSize = ov.imgSize ?? field(cfg, 'image_size', 'number');
  if (imgSize === undefined && typeof args.input_size === 'number') imgSize = args.input_size;
  if (imgSize === undefined) {
    const enc = dimOf(shapes, 'pos_embed', 1);
    const dec = dimOf(shapes, 'decoder_pos_embed', 1);
    if (enc !== undefined) imgSize = imgSizeFromPositions(enc, patchSize, 'pos_embed');
    else if (dec !== undefined) imgSize = imgSizeFromPositions(dec, patchSize, 'decoder_pos_embed');
    else {
      imgSize = DEFAULT_IMG_SIZE;
      notes.push(`image size not in the checkpoint (no position embeddings): assumed ${DEFAULT_IMG_SIZE}`);
    }
  }

  let layerNormEps = ov.layerNormEps ?? field(cfg, 'layer_norm_eps', 'number');
  if (layerNormEps === undefined) {
    layerNormEps = DEFAULT_LAYER_NORM_EPS;
    // The reference model hard-codes 1e-6, so only a file of unknown origin deserves a note.
    if (opts.layout === 'hf') notes.push(`layer_norm_eps not in the checkpoint: assumed ${DEFAULT_LAYER_NORM_EPS}`);
  }

  let normPixLoss = ov.normPixLoss ?? field(cfg, 'norm_pix_loss', 'boolean');
  if (normPixLoss === undefined && typeof args.norm_pix_loss === 'boolean') normPixLoss = args.norm_pix_loss;
  if (normPixLoss === undefined) {
    normPixLoss = false;
    notes.push('norm_pix_loss not in the checkpoint: assumed false (the decoder predicts plain pixels)');
  }

  const mlpRatio = mlpHidden / embedDim;
  const config: MaeConfig = {
    imgSize, patchSize, inChans, embedDim, depth, numHeads,
    decoderEmbedDim, decoderDepth, decoderNumHeads, mlpRatio, layerNormEps, normPixLoss,
  };
  // One mlp_ratio serves both MLPs in the reference; record the decoder's width only if it differs.
  if (Math.round(decoderEmbedDim * mlpRatio) !== decoderMlpHidden) config.decoderMlpHidden = decoderMlpHidden;
  try {
    validateConfig(config);
  } catch (e) {
    if (e instanceof ConfigError) throw new LoadError(`the checkpoint's architecture is not usable: ${e.message}`);
    throw e;
  }
  // Bounds come after the model's own checks (integers, divisibility) and before any shape list is built.
  checkArchitecture(config);
  return { config, notes };
}
