// Saving in the Hugging Face layout (src/checkpoints/export.ts): what toHfFiles writes loads back
// (loadCheckpoint) as the same architecture and bit-identical parameters, under the names the hub's
// files use (the golden HF file's own), and a model without stored position tables gets sin-cos ones.
import { describe, expect, it } from 'vitest';
import { toHfFiles } from '../../../src/checkpoints/export';
import { loadCheckpoint } from '../../../src/checkpoints/load';
import { readSafetensors } from '../../../src/checkpoints/safetensors';
import { hfNamesFor } from '../../../src/checkpoints/names';
import { randomParams } from '../../../src/model/random';
import { sincosPosEmbed } from '../../../src/model/posembed';
import type { MaeConfig } from '../../../src/model/config';
import { bytesOfFile, fileFrom, goldenConfig, goldenHf, goldenPth, sameBits, sourceOf } from './helpers';
import { GOLDEN_ARCH } from '../../helpers/hostile';

/** An architecture whose decoder MLP is not mlp_ratio wide and whose norm_pix_loss is on. */
const ODD: MaeConfig = { ...GOLDEN_ARCH, imgSize: 64, decoderMlpHidden: 48, normPixLoss: true, layerNormEps: 1e-5 };

async function roundTrip(config: MaeConfig, params: Parameters<typeof toHfFiles>[1]) {
  const { configJson, safetensors } = toHfFiles(config, params);
  return loadCheckpoint([fileFrom('config.json', new TextEncoder().encode(configJson)), fileFrom('model.safetensors', safetensors)]);
}

describe('toHfFiles', () => {
  it('the golden checkpoint saved as HF files loads back as the same config and the same params, bit for bit', async () => {
    const pth = await loadCheckpoint([goldenPth()], { overrides: { numHeads: GOLDEN_ARCH.numHeads, decoderNumHeads: GOLDEN_ARCH.decoderNumHeads, normPixLoss: false } });
    const back = await roundTrip(pth.config, pth.params);
    expect(back.layout).toBe('hf');
    expect(back.config).toEqual(pth.config);
    expect([...back.params.keys()].sort()).toEqual([...pth.params.keys()].sort());
    for (const [k, p] of pth.params) {
      expect(back.params.get(k)!.shape, k).toEqual(p.shape);
      expect(sameBits(back.params.get(k)!.data, p.data), k).toBe(true);
    }
  });

  it("writes the names and shapes of the hub's files (the golden HF file) and its config fields", async () => {
    const pth = await loadCheckpoint([goldenPth()], { overrides: { numHeads: GOLDEN_ARCH.numHeads, decoderNumHeads: GOLDEN_ARCH.decoderNumHeads, normPixLoss: false } });
    const { configJson, safetensors } = toHfFiles(pth.config, pth.params);
    const ours = (await readSafetensors(sourceOf(safetensors))).tensors;
    const hub = (await readSafetensors(sourceOf(await bytesOfFile(goldenHf())))).tensors;
    expect([...ours.keys()].sort()).toEqual([...hub.keys()].sort());
    for (const [k, e] of hub) expect(ours.get(k)!.shape, k).toEqual(e.shape);
    const want = JSON.parse(new TextDecoder().decode(await bytesOfFile(goldenConfig()))) as Record<string, unknown>;
    const got = JSON.parse(configJson) as Record<string, unknown>;
    for (const key of ['model_type', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'hidden_act',
      'layer_norm_eps', 'image_size', 'patch_size', 'num_channels', 'qkv_bias', 'decoder_num_attention_heads', 'decoder_hidden_size',
      'decoder_num_hidden_layers', 'decoder_intermediate_size', 'norm_pix_loss', 'architectures']) {
      expect(got[key], key).toEqual(want[key]);
    }
  });

  it('keeps an unusual architecture, and writes sin-cos tables for a model that has none stored', async () => {
    const params = randomParams(ODD, 3);
    expect(params.has('pos_embed')).toBe(false);
    const back = await roundTrip(ODD, params);
    expect(back.config).toEqual(ODD);
    for (const [k, p] of params) expect(sameBits(back.params.get(k)!.data, p.data), k).toBe(true);
    expect(sameBits(back.params.get('pos_embed')!.data, sincosPosEmbed(ODD.embedDim, ODD.imgSize / ODD.patchSize))).toBe(true);
  });

  it('refuses a model with a missing parameter in one line', () => {
    const params = randomParams(ODD, 3);
    params.delete('decoder_pred.bias');
    expect(() => toHfFiles(ODD, params)).toThrow(/cannot save: decoder_pred.bias is missing/);
    expect(hfNamesFor('blocks.3.attn.qkv.weight')).toEqual(['query', 'key', 'value'].map((p) => `vit.encoder.layer.3.attention.attention.${p}.weight`));
    expect(hfNamesFor('no_such_param')).toBeUndefined();
  });
});
