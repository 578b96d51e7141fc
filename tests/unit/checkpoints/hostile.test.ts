// One generated hostile file per class of issue 10, through loadCheckpoint: each is refused with a
// LoadError whose message is one printable line, quickly and without allocating what it claims.
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../../src/checkpoints/load';
import { MAX_DEPTH, MAX_IMAGE_SIZE_PX, MAX_LAYER_NORM_EPS, MAX_PICKLE_OBJECTS } from '../../../src/checkpoints/limits';
import { LoadError } from '../../../src/shared/errors';
import {
  argsImageSize, configDepth, configImageSize, deepBlockName, deepRootKey, duplicateSafetensorsKey, duplicateZipNames,
  escapingGlobal, escapingTensorName, hugeStringKey, layerNormEps, nanWeights, overlappingViewsModel, overlappingZipEntries,
  pickleObjectBomb, strideZeroBomb, twoNamesForOne, type HostileFile,
} from '../../helpers/hostile';
import { fileFrom, loadErrorOf } from './helpers';

/** Longest a hostile file may take to be refused, in ms (the target is 10 s; the CPU here is shared). */
const REFUSAL_TIME_LIMIT_MS = 5_000;
/** Most the process may grow while refusing one, in bytes (the files claim gigabytes). */
const REFUSAL_MEMORY_LIMIT_BYTES = 512 * 1024 * 1024;
/** Control characters (C0, DEL, C1) that must never reach a message. */
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;

async function refusal(files: HostileFile[]): Promise<LoadError> {
  const before = process.memoryUsage();
  const t0 = performance.now();
  const e = await loadErrorOf(loadCheckpoint(files.map((f) => fileFrom(f.name, f.bytes))));
  const ms = performance.now() - t0;
  const after = process.memoryUsage();
  expect(ms).toBeLessThan(REFUSAL_TIME_LIMIT_MS);
  expect(after.rss - before.rss).toBeLessThan(REFUSAL_MEMORY_LIMIT_BYTES);
  expect(e.message).not.toMatch(CONTROL_RE);
  expect(e.message).not.toMatch(/unexpected|could not be read/);
  return e;
}

describe('hostile checkpoints: amplification (class 1)', () => {
  it('refuses a zero-stride view of one float as [2^28]', async () => {
    expect((await refusal(strideZeroBomb())).message).toMatch(/stride 0 on a dimension of size 268435456/);
  });

  it('refuses a ViT-L made of overlapping views of a few kB, before reading a weight', async () => {
    const files = overlappingViewsModel();
    expect(files[0].bytes.length).toBeLessThan(200_000);
    expect((await refusal(files)).message).toMatch(/the float32 parameters would need 1\.3 GB, more than a file of this size can hold/);
  });

  it('refuses zip entries that share bytes', async () => {
    expect((await refusal(overlappingZipEntries())).message).toMatch(/overlap/);
  });

  it('refuses a pickle that makes more objects than a checkpoint needs', async () => {
    expect((await refusal(pickleObjectBomb(2 * MAX_PICKLE_OBJECTS))).message).toMatch(`makes more than ${MAX_PICKLE_OBJECTS} objects`);
  });
});

describe('hostile checkpoints: unbounded depth and image size (classes 2, 3)', () => {
  it('refuses a block index past MAX_DEPTH', async () => {
    expect((await refusal(deepBlockName())).message).toMatch(`blocks.99999999.norm1.weight: block 99999999 is past the limit of ${MAX_DEPTH} blocks`);
  });

  it('refuses num_hidden_layers 1e9 in config.json', async () => {
    expect((await refusal(configDepth())).message).toMatch(`depth (encoder blocks) is 1000000000, over the limit of ${MAX_DEPTH}`);
  });

  it.each([4096, 65536, 1_600_000])('refuses image size %i without position tables, from config.json and from args', async (size) => {
    const pattern = `the image size is ${size}, over the limit of ${MAX_IMAGE_SIZE_PX}`;
    expect((await refusal(configImageSize(size))).message).toMatch(pattern);
    expect((await refusal(argsImageSize(size))).message).toMatch(pattern);
  });
});

describe('hostile checkpoints: errors that escaped (class 4) and file content on the terminal (class 5)', () => {
  it('describes a deeply nested or enormous root key without serialising it', async () => {
    for (const files of [deepRootKey(), hugeStringKey()]) {
      const e = await refusal(files);
      expect(e.code).toBe('not-a-checkpoint');
      expect(e.message.length).toBeLessThan(1000);
    }
  });

  it('escapes newlines and terminal codes in tensor and global names', async () => {
    const t = await refusal(escapingTensorName());
    expect(t.message).toContain('does not use: x\\ncheckpoint OK\\r\\x1b[2J\\x1b[31mred');
    const g = await refusal(escapingGlobal());
    expect(g.message).toMatch(/^refusing to load: the pickle asks for os\\nfake\.systemx\\ncheckpoint OK/);
  });
});

describe('hostile checkpoints: silently wrong (class 6)', () => {
  it('refuses NaN weights, naming the tensor', async () => {
    expect((await refusal(nanWeights())).message).toMatch(/^cls_token holds 64 NaN or infinite value\(s\) of 64: the checkpoint is damaged$/);
  });

  it.each(['1e999', '1e30', '0', '-1e-6'])('refuses layer_norm_eps %s', async (text) => {
    expect((await refusal(layerNormEps(text))).message).toMatch(/layer_norm_eps/);
  });

  it('accepts a small layer_norm_eps up to the limit', async () => {
    const files = layerNormEps(String(MAX_LAYER_NORM_EPS));
    const c = await loadCheckpoint(files.map((f) => fileFrom(f.name, f.bytes)));
    expect(c.config.layerNormEps).toBe(MAX_LAYER_NORM_EPS);
  });

  it('refuses two stored names for one parameter', async () => {
    expect((await refusal(twoNamesForOne())).message).toMatch(/^vit\.layernorm\.weight and layernorm\.weight are both norm\.weight/);
  });

  it('refuses a safetensors header that names a tensor twice, and a zip that holds a name twice', async () => {
    expect((await refusal(duplicateSafetensorsKey())).message).toMatch(/names w twice/);
    expect((await refusal(duplicateZipNames())).message).toMatch(/two entries named archive\/data\/0/);
  });
});
