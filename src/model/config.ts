/** MAE architecture, named after the reference `MaskedAutoencoderViT` constructor arguments. */
export interface MaeConfig {
  imgSize: number;
  patchSize: number;
  inChans: number;
  embedDim: number;
  depth: number;
  numHeads: number;
  decoderEmbedDim: number;
  decoderDepth: number;
  decoderNumHeads: number;
  mlpRatio: number;
  /** Hidden width of the encoder MLP; defaults to embedDim * mlpRatio. */
  mlpHidden?: number;
  /** Hidden width of the decoder MLP; defaults to decoderEmbedDim * mlpRatio. */
  decoderMlpHidden?: number;
  layerNormEps: number;
  /** True when the decoder was trained to predict per-patch normalised pixels. */
  normPixLoss: boolean;
}

/** Reference default LayerNorm epsilon (`partial(nn.LayerNorm, eps=1e-6)`). */
export const DEFAULT_LAYER_NORM_EPS = 1e-6;

/** Thrown for an architecture that cannot be built; the message names the offending field. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Number of patches per side. */
export function gridSize(c: Pick<MaeConfig, 'imgSize' | 'patchSize'>): number {
  return c.imgSize / c.patchSize;
}

/** Number of patches L. */
export function numPatches(c: Pick<MaeConfig, 'imgSize' | 'patchSize'>): number {
  return gridSize(c) ** 2;
}

/** Encoder MLP hidden width. */
export function mlpHiddenDim(c: MaeConfig): number {
  return c.mlpHidden ?? Math.round(c.embedDim * c.mlpRatio);
}

/** Decoder MLP hidden width. */
export function decoderMlpHiddenDim(c: MaeConfig): number {
  return c.decoderMlpHidden ?? Math.round(c.decoderEmbedDim * c.mlpRatio);
}

function positiveInt(name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new ConfigError(`${name} must be a positive integer, got ${String(v)}`);
  }
}

/** Validates an architecture in one place; throws ConfigError with a message naming the problem. */
export function validateConfig(c: MaeConfig): MaeConfig {
  for (const k of ['imgSize', 'patchSize', 'inChans', 'embedDim', 'depth', 'numHeads',
    'decoderEmbedDim', 'decoderDepth', 'decoderNumHeads'] as const) {
    positiveInt(k, c[k]);
  }
  if (c.imgSize % c.patchSize !== 0) {
    throw new ConfigError(`img_size ${c.imgSize} is not divisible by patch_size ${c.patchSize}`);
  }
  if (c.embedDim % c.numHeads !== 0) {
    throw new ConfigError(`embed_dim ${c.embedDim} is not divisible by ${c.numHeads} heads`);
  }
  if (c.decoderEmbedDim % c.decoderNumHeads !== 0) {
    throw new ConfigError(
      `decoder_embed_dim ${c.decoderEmbedDim} is not divisible by ${c.decoderNumHeads} heads`);
  }
  if (!(c.mlpRatio > 0)) throw new ConfigError(`mlp_ratio must be positive, got ${c.mlpRatio}`);
  if (!(c.layerNormEps > 0)) {
    throw new ConfigError(`layer_norm_eps must be positive, got ${c.layerNormEps}`);
  }
  if (c.inChans !== 3) throw new ConfigError(`in_chans ${c.inChans} is not supported (RGB only)`);
  return c;
}
