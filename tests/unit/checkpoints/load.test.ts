import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { float32ToBfloat16Bytes, float32ToBytes, float32ToFloat16Bytes, toFloat32 } from '../../../src/checkpoints/dtypes';
import { inferConfig } from '../../../src/checkpoints/infer';
import { detectFormat, loadCheckpoint, whatIsWrong, type CheckpointFile } from '../../../src/checkpoints/load';
import { readSafetensors, writeSafetensors, type TensorToWrite } from '../../../src/checkpoints/safetensors';
import { readTorchCheckpoint } from '../../../src/checkpoints/torch';
import type { HostParams } from '../../../src/model/weights';
import {
  FIXTURES, bytesOf, bytesOfFile, fileFrom, fileOf, goldenConfig, goldenHf, goldenPth, loadErrorOf, readAll, readExpected,
  sameBits, sourceOf,
} from './helpers';
import { GOLDEN_ARCH } from '../../helpers/hostile';

/** The golden reference state dict re-saved as safetensors, optionally edited first. */
async function pthAsSafetensors(edit?: (m: Map<string, TensorToWrite>) => void, name = 'edited.safetensors'): Promise<CheckpointFile> {
  const m = new Map<string, TensorToWrite>(await readAll((await readTorchCheckpoint(sourceOf(await bytesOfFile(goldenPth())))).tensors));
  edit?.(m);
  return fileFrom(name, writeSafetensors(m));
}

/** The golden HF safetensors, optionally edited first. */
async function hfEdited(edit: (m: Map<string, TensorToWrite>) => void): Promise<CheckpointFile> {
  const m = new Map<string, TensorToWrite>(await readAll((await readSafetensors(sourceOf(await bytesOfFile(goldenHf())))).tensors));
  edit(m);
  return fileFrom('model.safetensors', writeSafetensors(m));
}

function expectSameParams(a: HostParams, b: HostParams): void {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [k, t] of a) {
    const u = b.get(k)!;
    expect(u.shape, k).toEqual(t.shape);
    expect(sameBits(t.data, u.data), k).toBe(true);
  }
}

const errorOf = loadErrorOf;

describe('loadCheckpoint: golden tiny-p16', async () => {
  const pth = await loadCheckpoint([goldenPth()]);
  const hf = await loadCheckpoint([goldenHf(), goldenConfig()]);

  it('gives identical parameters from the .pth and the Hugging Face safetensors', () => {
    expect(pth.layout).toBe('pth');
    expect(hf.layout).toBe('hf');
    expect(pth.params.size).toBe(62);
    expectSameParams(pth.params, hf.params);
    expect(hf.params.get('blocks.0.attn.qkv.weight')?.shape).toEqual([192, 64]);
    expect(hf.params.get('decoder_blocks.1.attn.qkv.bias')?.shape).toEqual([96]);
  });

  it('concatenates q, k, v in that order', async () => {
    const raw = await readAll((await readSafetensors(sourceOf(await bytesOfFile(goldenHf())))).tensors);
    const qkv = hf.params.get('blocks.1.attn.qkv.weight')!.data;
    const size = 64 * 64;
    ['query', 'key', 'value'].forEach((part, i) => {
      const src = toFloat32(raw.get(`vit.encoder.layer.1.attention.attention.${part}.weight`)!);
      expect(sameBits(qkv.subarray(i * size, (i + 1) * size), src)).toBe(true);
    });
  });

  it('reads the architecture from config.json', () => {
    expect(hf.config).toEqual(GOLDEN_ARCH);
    expect(hf.notes).toEqual([]);
  });

  it('infers the architecture from shapes alone, noting the assumed heads', async () => {
    expect(pth.config).toMatchObject({ ...GOLDEN_ARCH, numHeads: 1, decoderNumHeads: 1 });
    expect(pth.notes).toContain('num_heads not in the checkpoint: assumed 1 (head size 64); '
      + 'add a config.json if this is wrong');
    expect(pth.notes.some((n) => n.startsWith('decoder_num_heads not in the checkpoint: assumed 1'))).toBe(true);
    expect(pth.notes.some((n) => n.startsWith('norm_pix_loss not in the checkpoint: assumed false'))).toBe(true);
    const hfNoConfig = await loadCheckpoint([goldenHf()]);
    expect(hfNoConfig.config).toEqual(pth.config);
    expect(hfNoConfig.notes.some((n) => n.startsWith('layer_norm_eps not in the checkpoint'))).toBe(true);
  });

  it('lets the caller override what it knows', async () => {
    const c = await loadCheckpoint([goldenPth()], { overrides: { numHeads: 4, decoderNumHeads: 4, normPixLoss: false } });
    expect(c.config).toEqual(GOLDEN_ARCH);
    expect(c.notes).toEqual([]);
  });

  it('uses a config.json next to a .pth too, whatever folder the names carry', async () => {
    const c = await loadCheckpoint([goldenPth(), { ...goldenConfig(), name: 'some/dir/config.json' }]);
    expect(c.config).toEqual(GOLDEN_ARCH);
  });
});

describe('inferConfig', () => {
  it('knows the official architectures by width and depth', () => {
    const shapes = new Map<string, number[]>([
      ['patch_embed.proj.weight', [1024, 3, 16, 16]], ['pos_embed', [1, 197, 1024]],
      ['blocks.23.norm1.weight', [1024]], ['blocks.0.mlp.fc1.weight', [4096, 1024]],
      ['decoder_embed.weight', [512, 1024]], ['decoder_blocks.7.norm1.weight', [512]],
      ['decoder_blocks.0.mlp.fc1.weight', [2048, 512]],
    ]);
    const { config, notes } = inferConfig(shapes);
    expect(config).toMatchObject({ embedDim: 1024, depth: 24, numHeads: 16, decoderNumHeads: 16, imgSize: 224 });
    expect(notes).toContain('num_heads not in the checkpoint: assumed 16 (ViT-Large)');
    expect(notes).toContain('decoder_num_heads not in the checkpoint: assumed 16 (the MAE decoder)');
  });

  it('assumes 224 pixels without position embeddings, and refuses non-square grids', () => {
    const shapes = new Map<string, number[]>([
      ['patch_embed.proj.weight', [768, 3, 16, 16]], ['blocks.11.norm1.weight', [768]],
      ['blocks.0.mlp.fc1.weight', [3072, 768]], ['decoder_embed.weight', [512, 768]],
      ['decoder_blocks.7.norm1.weight', [512]], ['decoder_blocks.0.mlp.fc1.weight', [2048, 512]],
    ]);
    const { config, notes } = inferConfig(shapes);
    expect(config).toMatchObject({ imgSize: 224, numHeads: 12 });
    expect(notes).toContain('num_heads not in the checkpoint: assumed 12 (ViT-Base)');
    expect(notes.some((n) => n.includes('assumed 224'))).toBe(true);
    shapes.set('pos_embed', [1, 100, 768]);
    expect(() => inferConfig(shapes)).toThrow(/100 positions/);
  });

  it('refuses config.json files for other models', () => {
    const shapes = new Map<string, number[]>();
    expect(() => inferConfig(shapes, { configJson: { model_type: 'vit' } })).toThrow(/not a ViT-MAE/);
    expect(() => inferConfig(shapes, { configJson: { hidden_act: 'relu' } })).toThrow(/relu/);
    expect(() => inferConfig(shapes, { configJson: { hidden_size: '64' } })).toThrow(/hidden_size should be a number/);
  });
});

describe('loadCheckpoint: other layouts and dtypes', () => {
  const expected = readExpected('tiny-mae.expected.json');

  it('reads a training checkpoint and takes norm_pix_loss and image size from its args', async () => {
    const c = await loadCheckpoint([fileOf(path.join(FIXTURES, 'archive-train-state.pth'))]);
    expect(c.config).toMatchObject({ imgSize: 8, patchSize: 4, embedDim: 16, depth: 1, decoderEmbedDim: 8, normPixLoss: true });
    expect(c.notes.some((n) => n.startsWith('norm_pix_loss'))).toBe(false);
    for (const [k, want] of expected) expect(sameBits(c.params.get(k)!.data, want.data), k).toBe(true);
  });

  it('reads a float16 Hugging Face pytorch_model.bin to the same parameters', async () => {
    const c = await loadCheckpoint([fileOf(path.join(FIXTURES, 'pytorch_model.bin'))]);
    expect(c.layout).toBe('hf');
    expect([...c.params.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [k, want] of expected) expect(sameBits(c.params.get(k)!.data, want.data), k).toBe(true);
  });

  it('reads bfloat16 and float16 safetensors', async () => {
    const tiny = await loadCheckpoint([fileOf(path.join(FIXTURES, 'archive-train-state.pth'))]);
    for (const [dtype, enc] of [['bfloat16', float32ToBfloat16Bytes], ['float16', float32ToFloat16Bytes]] as const) {
      const file = writeSafetensors(new Map([...tiny.params].map(([k, t]) =>
        [k, { dtype, shape: t.shape, bytes: enc(t.data) }])));
      const c = await loadCheckpoint([fileFrom(`tiny-${dtype}.safetensors`, file)]);
      expectSameParams(c.params, tiny.params);
    }
  });

  it('merges safetensors shards and strips a DistributedDataParallel prefix', async () => {
    const { params } = await loadCheckpoint([goldenPth()]);
    const names = [...params.keys()];
    const shard = (part: string[]) => writeSafetensors(new Map(part.map((k) => {
      const t = params.get(k)!;
      return [`module.${k}`, { dtype: 'float32', shape: t.shape, bytes: float32ToBytes(t.data) }];
    })));
    const c = await loadCheckpoint([
      fileFrom('model-00001-of-00002.safetensors', shard(names.slice(0, 30))),
      fileFrom('model-00002-of-00002.safetensors', shard(names.slice(30))),
      fileFrom('model.safetensors.index.json', new TextEncoder().encode('{}')),
    ]);
    expectSameParams(c.params, params);
    expect(c.notes).toContain('ignored model.safetensors.index.json');
  });

  it('lets position embeddings be absent (fixed sin-cos) and says so', async () => {
    const c = await loadCheckpoint([await hfEdited((m) => {
      m.delete('vit.embeddings.position_embeddings');
      m.delete('decoder.decoder_pos_embed');
    }), goldenConfig()]);
    expect(c.params.has('pos_embed')).toBe(false);
    expect(c.params.has('decoder_pos_embed')).toBe(false);
    expect(c.params.size).toBe(60);
    expect(c.notes.some((n) => n.startsWith('pos_embed not in the checkpoint: the model will use the fixed 2-D sin-cos'))).toBe(true);
    expect(c.config.imgSize).toBe(224);
  });

  it('ignores harmless buffers of other dtypes', async () => {
    const c = await loadCheckpoint([await hfEdited((m) => {
      m.set('vit.embeddings.position_ids', { dtype: 'I64', shape: [1, 197], bytes: new Uint8Array(197 * 8) });
    }), goldenConfig()]);
    expect(c.params.size).toBe(62);
  });
});

describe('loadCheckpoint: errors', () => {
  it('refuses an encoder-only checkpoint', async () => {
    const msg = 'this checkpoint has no decoder, so it cannot reconstruct '
      + '(it is an encoder-only checkpoint, e.g. mae_pretrain_vit_*.pth)';
    const encoderOnly = await pthAsSafetensors((m) => {
      for (const k of [...m.keys()]) if (k.startsWith('decoder') || k === 'mask_token') m.delete(k);
    });
    await expect(loadCheckpoint([encoderOnly])).rejects.toThrow(msg);
    const hfEncoder = await hfEdited((m) => {
      for (const k of [...m.keys()]) if (k.startsWith('decoder.')) m.delete(k);
    });
    await expect(loadCheckpoint([hfEncoder, goldenConfig()])).rejects.toThrow(msg);
    expect((await errorOf(loadCheckpoint([encoderOnly]))).code).toBe('encoder-only');
  });

  it('names a shape mismatch', async () => {
    const file = await pthAsSafetensors((m) => {
      m.set('blocks.0.attn.qkv.weight', { dtype: 'float32', shape: [192, 32], bytes: new Uint8Array(192 * 32 * 4) });
    });
    await expect(loadCheckpoint([file])).rejects.toThrow('blocks.0.attn.qkv.weight: expected [192,64], found [192,32]');
    const hf = await hfEdited((m) => {
      m.set('vit.encoder.layer.1.output.dense.bias', { dtype: 'float32', shape: [65], bytes: new Uint8Array(65 * 4) });
    });
    await expect(loadCheckpoint([hf, goldenConfig()])).rejects
      .toThrow('blocks.1.mlp.fc2.bias (from vit.encoder.layer.1.output.dense.bias): expected [64], found [65]');
  });

  it('lists missing tensors', async () => {
    const file = await pthAsSafetensors((m) => {
      m.delete('norm.weight');
      m.delete('blocks.1.mlp.fc2.bias');
    });
    await expect(loadCheckpoint([file])).rejects.toThrow(
      'the checkpoint is missing 2 tensor(s) the model needs: blocks.1.mlp.fc2.bias, norm.weight');
    expect((await errorOf(loadCheckpoint([file]))).code).toBe('not-a-checkpoint');
    const hf = await hfEdited((m) => m.delete('vit.encoder.layer.0.attention.attention.key.bias'));
    expect((await errorOf(loadCheckpoint([hf, goldenConfig()]))).message).toMatch(
      /missing 1 tensor\(s\).*blocks\.0\.attn\.qkv\.bias \(found only .*query\.bias, .*value\.bias\)/);
  });

  it('lists unexpected tensors', async () => {
    const file = await pthAsSafetensors((m) => {
      m.set('head.weight', { dtype: 'float32', shape: [2], bytes: new Uint8Array(8) });
    });
    await expect(loadCheckpoint([file])).rejects.toThrow('the checkpoint has 1 tensor(s) this MAE does not use: head.weight');
    const hf = await hfEdited((m) => m.set('classifier.weight', { dtype: 'float32', shape: [1], bytes: new Uint8Array(4) }));
    await expect(loadCheckpoint([hf, goldenConfig()])).rejects.toThrow(/does not use: classifier\.weight/);
  });

  it('names an unsupported dtype the model would need', async () => {
    const file = await pthAsSafetensors((m) => {
      m.set('norm.bias', { dtype: 'I64', shape: [64], bytes: new Uint8Array(64 * 8) });
    });
    await expect(loadCheckpoint([file])).rejects.toThrow('unsupported dtype I64 for tensor norm.bias');
    await expect(loadCheckpoint([fileOf(path.join(FIXTURES, 'int64.pth'))])).rejects.toThrow('unsupported dtype int64 for tensor ids');
    expect((await errorOf(loadCheckpoint([file]))).code).toBe('unsupported');
    expect((await errorOf(loadCheckpoint([fileOf(path.join(FIXTURES, 'int64.pth'))]))).code).toBe('unsupported');
  });

  it('refuses files that are not checkpoints', async () => {
    const msg = 'not a checkpoint: expected a .safetensors or PyTorch .pth/.bin file';
    await expect(loadCheckpoint([fileFrom('cat.png', bytesOf(0x89, 'PNG\r\n\x1a\n', new Uint8Array(32)))])).rejects.toThrow(msg);
    await expect(loadCheckpoint([fileFrom('empty.pth', new Uint8Array(0))])).rejects.toThrow(msg);
    await expect(loadCheckpoint([goldenConfig()])).rejects.toThrow(msg);
    await expect(loadCheckpoint([])).rejects.toThrow(msg);
    await expect(loadCheckpoint([fileFrom('old.pth', bytesOf(0x80, 2, 0x8a, 10))])).rejects.toThrow(/legacy \(pre-1\.6\)/);
    expect((await errorOf(loadCheckpoint([fileFrom('cat.png', bytesOf(0x89, 'PNG\r\n\x1a\n', new Uint8Array(32)))]))).code).toBe('not-a-checkpoint');
    expect((await errorOf(loadCheckpoint([]))).code).toBe('not-a-checkpoint');
    expect((await errorOf(loadCheckpoint([fileFrom('old.pth', bytesOf(0x80, 2, 0x8a, 10))]))).code).toBe('unsupported');
    expect(detectFormat(await bytesOfFile(goldenPth()))).toBe('torch');
    expect(detectFormat(await bytesOfFile(goldenHf()))).toBe('safetensors');
  });

  it('explains a truncated .pth or safetensors', async () => {
    const pth = { bytes: await bytesOfFile(goldenPth()) };
    await expect(loadCheckpoint([fileFrom('cut.pth', pth.bytes.subarray(0, 100_000))])).rejects
      .toThrow(/truncated or damaged/);
    const st = { bytes: await bytesOfFile(goldenHf()) };
    await expect(loadCheckpoint([fileFrom('cut.safetensors', st.bytes.subarray(0, 100_000)), goldenConfig()])).rejects
      .toThrow(`truncated: the header says ${st.bytes.length} bytes, file has 100000`);
    expect((await errorOf(loadCheckpoint([fileFrom('cut.pth', pth.bytes.subarray(0, 100_000))]))).code).toBe('truncated');
    expect((await errorOf(loadCheckpoint([fileFrom('cut.safetensors', st.bytes.subarray(0, 100_000)), goldenConfig()]))).code)
      .toBe('truncated');
  });

  it('refuses a malicious pickle through the loader as well', async () => {
    await expect(loadCheckpoint([fileOf(path.join(FIXTURES, 'evil.pth'))])).rejects.toThrow(/refusing to load.*os\.system/);
    expect((await errorOf(loadCheckpoint([fileOf(path.join(FIXTURES, 'evil.pth'))]))).code).toBe('other');
  });

  it('refuses a bad config.json', async () => {
    await expect(loadCheckpoint([goldenHf(), fileFrom('config.json', bytesOf('{nope'))])).rejects
      .toThrow('config.json is not valid JSON');
    await expect(loadCheckpoint([goldenHf(), fileFrom('config.json', bytesOf('{"hidden_size": 48}'))])).rejects
      .toThrow(/expected \[48,3,16,16\], found \[64,3,16,16\]/);
  });
});

describe('a file that is no checkpoint says what is wrong with it', () => {
  const bytes = (...b: number[]) => Uint8Array.from(b);
  it('names the damage in the format the name promises, or an HTML page', () => {
    const html = new TextEncoder().encode('<!DOCTYPE html><html>');
    expect(whatIsWrong('model.safetensors', html, 5000)).toMatch(/web page \(HTML\)/);
    expect(whatIsWrong('model.safetensors', bytes(1, 2, 3), 3)).toBe('has 3 bytes, too few for a safetensors header');
    expect(whatIsWrong('model.safetensors', bytes(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0x7b), 5000)).toMatch(/header length of 4294967295 bytes/);
    expect(whatIsWrong('model.safetensors', bytes(9, 0, 0, 0, 0, 0, 0, 0, 0x41), 5000)).toBe('is damaged: its header is not JSON');
    expect(whatIsWrong('mae.pth', bytes(1, 2, 3, 4), 5000)).toMatch(/neither a zip archive .* nor a legacy PyTorch pickle/);
  });
});
