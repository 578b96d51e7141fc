// Saving a model as Hugging Face `ViTMAEForPreTraining` files (config.json + model.safetensors),
// the layout the hub's facebook/vit-mae-* repositories use and loadCheckpoint reads back: names
// from names.ts (hfNamesFor), the fused qkv split into query, key and value, float32 weights.
import type { MaeConfig } from '../model/config';
import { decoderMlpHiddenDim, gridSize, mlpHiddenDim } from '../model/config';
import { sincosPosEmbed } from '../model/posembed';
import type { HostParams } from '../model/weights';
import { expectedParamShapes } from '../model/shapes';
import { LoadError } from '../shared/errors';
import { float32ToBytes } from './dtypes';
import { HF_MODEL_TYPE, SUPPORTED_ACT } from './infer';
import { hfNamesFor } from './names';
import { writeSafetensors, type TensorToWrite } from './safetensors';

/** The architecture class config.json names. */
const HF_ARCHITECTURE = 'ViTMAEForPreTraining';
/** safetensors metadata transformers writes for PyTorch weights. */
const HF_METADATA = { format: 'pt' };
/** Parts of a fused qkv, split along the output (first) dimension. */
const QKV_PARTS = 3;

/** A Hugging Face config.json object for an architecture (the fields infer.ts reads, plus transformers' defaults for the rest). */
export function hfConfig(c: MaeConfig): Record<string, unknown> {
  return {
    architectures: [HF_ARCHITECTURE],
    model_type: HF_MODEL_TYPE,
    hidden_size: c.embedDim,
    num_hidden_layers: c.depth,
    num_attention_heads: c.numHeads,
    intermediate_size: mlpHiddenDim(c),
    hidden_act: SUPPORTED_ACT,
    hidden_dropout_prob: 0,
    attention_probs_dropout_prob: 0,
    layer_norm_eps: c.layerNormEps,
    image_size: c.imgSize,
    patch_size: c.patchSize,
    num_channels: c.inChans,
    qkv_bias: true,
    decoder_num_attention_heads: c.decoderNumHeads,
    decoder_hidden_size: c.decoderEmbedDim,
    decoder_num_hidden_layers: c.decoderDepth,
    decoder_intermediate_size: decoderMlpHiddenDim(c),
    norm_pix_loss: c.normPixLoss,
  };
}

/**
 * A model's files in the Hugging Face layout: `configJson` (config.json's text) and `safetensors`
 * (model.safetensors' bytes). Every parameter the architecture has must be in `params` (reference
 * names and shapes), except the position tables, written as the fixed sin-cos ones when absent.
 */
export function toHfFiles(config: MaeConfig, params: HostParams): { configJson: string; safetensors: Uint8Array } {
  const tensors = new Map<string, TensorToWrite>();
  const put = (name: string, shape: number[], data: Float32Array) =>
    tensors.set(name, { dtype: 'float32', shape, bytes: float32ToBytes(data) });
  const g = gridSize(config);
  for (const [ref, shape] of expectedParamShapes(config)) {
    let data = params.get(ref)?.data;
    if (!data && ref === 'pos_embed') data = sincosPosEmbed(config.embedDim, g);
    if (!data && ref === 'decoder_pos_embed') data = sincosPosEmbed(config.decoderEmbedDim, g);
    if (!data) throw new LoadError(`cannot save: ${ref} is missing`);
    const size = shape.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new LoadError(`cannot save: ${ref} has ${data.length} values, its shape [${shape.join(', ')}] needs ${size}`);
    const names = hfNamesFor(ref);
    if (!names) throw new LoadError(`cannot save: ${ref} has no Hugging Face name`);
    if (names.length === 1) {
      put(names[0], shape, data);
      continue;
    }
    // Fused qkv [3D, ...] -> query, key, value [D, ...] each.
    const part = size / QKV_PARTS;
    const partShape = [shape[0] / QKV_PARTS, ...shape.slice(1)];
    names.forEach((name, i) => put(name, partShape, data.subarray(i * part, (i + 1) * part)));
  }
  return {
    configJson: `${JSON.stringify(hfConfig(config), null, 2)}\n`,
    safetensors: writeSafetensors(tensors, HF_METADATA),
  };
}
