// Every bound the checkpoint readers enforce, in one place (the README's "Limits" lists them).
// Each is checked before the memory it guards is allocated, so a hostile file is refused quickly
// and cheaply, and the previous checkpoint keeps running.
import { numPatches, type MaeConfig } from '../model/config';
import { expectedParamShapes } from '../model/shapes';
import { LoadError } from '../shared/errors';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const F32_BYTES = 4;

// --- Files ---------------------------------------------------------------------------------------
/** Largest safetensors JSON header, in bytes (real ones are a few hundred KiB). */
export const MAX_HEADER_BYTES = 100 * MiB;
/** Largest config.json, in bytes (real ones are about 1 KiB). */
export const MAX_CONFIG_BYTES = 1 * MiB;
/** Largest zip central directory of a .pth/.bin, in bytes (ViT-Huge's is about 60 KiB). */
export const MAX_ZIP_DIRECTORY_BYTES = 32 * MiB;
/** Most entries in a .pth/.bin zip (ViT-Huge has about 600; with optimizer state, a few thousand). */
export const MAX_ZIP_ENTRIES = 100_000;
/** Largest data.pkl after inflating, in bytes (ViT-Huge's is about 100 KiB). */
export const MAX_PICKLE_BYTES = 64 * MiB;
/** Most objects (containers, strings, tensors, globals) one pickle may create. */
export const MAX_PICKLE_OBJECTS = 1_000_000;
/** Most memo entries one pickle may define. */
export const MAX_PICKLE_MEMO = 1_000_000;
/** Longest pickled integer, in bytes (building a BigInt is quadratic in its length). */
export const MAX_PICKLE_LONG_BYTES = 1024;
/** Most dimensions of a stored tensor. */
export const MAX_TENSOR_RANK = 16;
/** Largest strided (non-contiguous) tensor gathered into contiguous memory, in bytes. */
export const MAX_GATHER_BYTES = 1 * GiB;
/**
 * Bytes that inflating deflated zip entries and converting parameters to float32 may produce, per
 * byte of the weight files (a float16 file doubles; 4 leaves room for tied or shared storages).
 */
export const MAX_EXPANSION_RATIO = 4;
/** Expansion every file may use whatever its size, in bytes (so tiny files are not refused). */
export const EXPANSION_ALLOWANCE_BYTES = 64 * MiB;

// --- Architecture --------------------------------------------------------------------------------
/** Most transformer blocks in the encoder or in the decoder (ViT-Huge has 32). */
export const MAX_DEPTH = 256;
/** Most attention heads (ViT-Huge has 16). */
export const MAX_HEADS = 256;
/** Widest embedding or MLP, in channels (ViT-Huge's MLP has 5120). */
export const MAX_WIDTH = 32_768;
/** Largest input image side, in pixels (the official models take 224). */
export const MAX_IMAGE_SIZE_PX = 1024;
/** Most patches per image (ViT-Huge at 224 px has 256; attention grows with the square of this). */
export const MAX_PATCHES = 1024;
/** Largest LayerNorm epsilon (official models use 1e-6 or 1e-12); it must also be finite and positive. */
export const MAX_LAYER_NORM_EPS = 1e-2;

// --- Memory and downloads ------------------------------------------------------------------------
/** The wasm32 address space: the most the WebAssembly backend's heap can ever grow to, in bytes. */
export const MAX_WASM_HEAP_BYTES = 4 * GiB;
/** Working memory besides the weights (activations of one 224 px forward pass, kernels), in bytes. */
export const ACTIVATION_HEADROOM_BYTES = 256 * MiB;
/** Largest weight file downloaded from a hub, in bytes (ViT-Huge is 2.6 GB). */
export const MAX_DOWNLOAD_BYTES = 8 * GiB;

/** Decimal units for messages: 1 kB = 1000 bytes. */
const KB = 1e3;
const MB = 1e6;
const GB = 1e9;

/** Bytes in a human (decimal) unit, e.g. "2.6 GB". */
export function formatBytes(n: number): string {
  if (n >= GB) return `${(n / GB).toFixed(1)} GB`;
  if (n >= MB) return `${(n / MB).toFixed(1)} MB`;
  if (n >= KB) return `${(n / KB).toFixed(1)} kB`;
  return `${n} bytes`;
}

/**
 * A running total of bytes a file makes beyond its own size (inflated entries, float32 parameters),
 * refused once it passes `MAX_EXPANSION_RATIO` x the file bytes + `EXPANSION_ALLOWANCE_BYTES`.
 */
export class ExpansionBudget {
  readonly limit: number;
  used = 0;
  constructor(fileBytes: number) {
    this.limit = fileBytes * MAX_EXPANSION_RATIO + EXPANSION_ALLOWANCE_BYTES;
  }

  /** Books `bytes` for `what`; throws before anything that large is allocated. */
  take(bytes: number, what: string): void {
    if (!(this.used + bytes <= this.limit)) {
      throw new LoadError(`${what} would need ${formatBytes(this.used + bytes)}, more than a file of this size can `
        + `hold (at most ${formatBytes(this.limit)}): the file is damaged or hostile`);
    }
    this.used += bytes;
  }
}

const bad = (what: string): LoadError => new LoadError(`the checkpoint's architecture is not usable: ${what}`);

function atMost(value: number, max: number, what: string): void {
  if (!Number.isFinite(value) || value > max) throw bad(`${what} is ${value}, over the limit of ${max}`);
}

/** Checks an architecture against the limits above; throws a LoadError naming the first one broken. */
export function checkArchitecture(c: MaeConfig): void {
  atMost(c.depth, MAX_DEPTH, 'depth (encoder blocks)');
  atMost(c.decoderDepth, MAX_DEPTH, 'decoder depth');
  atMost(c.numHeads, MAX_HEADS, 'num_heads');
  atMost(c.decoderNumHeads, MAX_HEADS, 'decoder_num_heads');
  atMost(c.embedDim, MAX_WIDTH, 'the embedding width');
  atMost(c.decoderEmbedDim, MAX_WIDTH, 'the decoder width');
  atMost(c.mlpHidden ?? c.embedDim * c.mlpRatio, MAX_WIDTH, 'the MLP width');
  atMost(c.decoderMlpHidden ?? c.decoderEmbedDim * c.mlpRatio, MAX_WIDTH, 'the decoder MLP width');
  atMost(c.imgSize, MAX_IMAGE_SIZE_PX, 'the image size');
  atMost(c.patchSize, MAX_IMAGE_SIZE_PX, 'the patch size');
  if (c.patchSize > 0 && Number.isInteger(c.imgSize / c.patchSize)) atMost(numPatches(c), MAX_PATCHES, 'the number of patches');
  if (!(Number.isFinite(c.layerNormEps) && c.layerNormEps > 0 && c.layerNormEps <= MAX_LAYER_NORM_EPS)) {
    throw bad(`layer_norm_eps is ${c.layerNormEps}; it must be positive and at most ${MAX_LAYER_NORM_EPS}`);
  }
}

/** Float32 bytes of every parameter the model holds (position tables included, as it builds them if absent). */
export function modelParamBytes(c: MaeConfig): { total: number; largest: number } {
  let total = 0;
  let largest = 0;
  for (const shape of expectedParamShapes(c).values()) {
    const bytes = shape.reduce((a, b) => a * b, 1) * F32_BYTES;
    total += bytes;
    largest = Math.max(largest, bytes);
  }
  return { total, largest };
}

/** What the device a model goes to can hold; fields left out are unknown (and not checked). */
export interface MemoryBudget {
  /** The device in words, for the message, e.g. "the WebAssembly backend". */
  device: string;
  /** Bytes the weights and working memory may take together. */
  totalBytes?: number;
  /** Largest single buffer the device allows, in bytes. */
  maxTensorBytes?: number;
}

/**
 * The memory a model of this architecture needs on the device: weights, one weight-sized temporary
 * while uploading (a transpose), and ACTIVATION_HEADROOM_BYTES of working memory.
 */
export function estimateModelBytes(c: MaeConfig): number {
  const { total, largest } = modelParamBytes(c);
  return total + largest + ACTIVATION_HEADROOM_BYTES;
}

/** Throws an 'out-of-memory' LoadError when the model cannot fit the budget; allocates nothing. */
export function checkFits(c: MaeConfig, budget: MemoryBudget | undefined): void {
  if (!budget) return;
  const need = estimateModelBytes(c);
  if (budget.totalBytes !== undefined && need > budget.totalBytes) {
    throw new LoadError(`this checkpoint needs about ${formatBytes(need)} for its weights and working memory; `
      + `${budget.device} can hold at most ${formatBytes(budget.totalBytes)}`, 'out-of-memory');
  }
  const { largest } = modelParamBytes(c);
  if (budget.maxTensorBytes !== undefined && largest > budget.maxTensorBytes) {
    throw new LoadError(`this checkpoint's largest weight takes ${formatBytes(largest)}; ${budget.device} `
      + `allows buffers of at most ${formatBytes(budget.maxTensorBytes)}`, 'out-of-memory');
  }
}
