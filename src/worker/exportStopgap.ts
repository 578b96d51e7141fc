// STOPGAP until src/checkpoints/export.ts (toHfFiles, the finetune branch) lands: config.json in
// Hugging Face form and model.safetensors under the reference names (the loader reads both layouts).
import { writeSafetensors, type TensorToWrite } from '../checkpoints/safetensors';
import { decoderMlpHiddenDim, mlpHiddenDim, type HostParams, type MaeConfig } from '../model';

/** A model's files for download: config.json text and model.safetensors bytes (float32). */
export function toHfFiles(config: MaeConfig, params: HostParams): { configJson: string; safetensors: Uint8Array } {
  const cfg = {
    model_type: 'vit_mae', architectures: ['ViTMAEForPreTraining'], hidden_act: 'gelu', qkv_bias: true,
    image_size: config.imgSize, patch_size: config.patchSize, num_channels: config.inChans,
    hidden_size: config.embedDim, num_hidden_layers: config.depth, num_attention_heads: config.numHeads,
    intermediate_size: mlpHiddenDim(config), decoder_hidden_size: config.decoderEmbedDim,
    decoder_num_hidden_layers: config.decoderDepth, decoder_num_attention_heads: config.decoderNumHeads,
    decoder_intermediate_size: decoderMlpHiddenDim(config), layer_norm_eps: config.layerNormEps, norm_pix_loss: config.normPixLoss,
  };
  const tensors = new Map<string, TensorToWrite>();
  for (const [name, p] of params) tensors.set(name, { dtype: 'float32', shape: p.shape, bytes: new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength) });
  return { configJson: JSON.stringify(cfg, null, 2), safetensors: writeSafetensors(tensors) };
}
