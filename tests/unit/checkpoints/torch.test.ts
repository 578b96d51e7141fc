import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toFloat32 } from '../../../src/checkpoints/dtypes';
import { readTorchCheckpoint } from '../../../src/checkpoints/torch';
import { LoadError } from '../../../src/shared/errors';
import { FIXTURES, bytesOf, bytesOfFile, goldenPth, onlyLoadErrors, readAll, readBytes, readExpected, sameBits, sourceOf, torchZip } from './helpers';

const fixture = (name: string): Uint8Array => readBytes(path.join(FIXTURES, name));
/** Reads a .pth from bytes, tensors and all. */
async function read(bytes: Uint8Array) {
  const ckpt = await readTorchCheckpoint(sourceOf(bytes));
  return { ...ckpt, tensors: await readAll(ckpt.tensors) };
}

/** Pickle opcodes used to hand-build programs. */
const PROTO2 = bytesOf(0x80, 2);
const STOP = '.';
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
const str = (s: string): Uint8Array => bytesOf('X', u32(s.length), s); // BINUNICODE (ASCII only)


describe('PyTorch checkpoints', () => {
  it('reads the golden reference .pth ({"model": state_dict}, top folder named after the file)', async () => {
    const ckpt = await read(await bytesOfFile(goldenPth()));
    expect(ckpt.tensors.size).toBe(62);
    expect(ckpt.tensors.get('cls_token')).toMatchObject({ dtype: 'float32', shape: [1, 1, 64] });
    expect(ckpt.tensors.get('blocks.1.attn.qkv.weight')?.shape).toEqual([192, 64]);
    expect(ckpt.unsupported.size).toBe(0);
    expect(ckpt.notes).toEqual([]);
  });

  it('reads views: storage offsets, strides and storages shared between tensors', async () => {
    const ckpt = await read(fixture('views.pth'));
    for (const [name, want] of readExpected('views.expected.json')) {
      const t = ckpt.tensors.get(name)!;
      expect(t.shape, name).toEqual(want.shape);
      expect(sameBits(toFloat32(t), want.data), name).toBe(true);
    }
  });

  it('reads a training checkpoint, skipping optimizer, args (argparse.Namespace) and numpy scalars', async () => {
    const ckpt = await read(fixture('archive-train-state.pth'));
    const expected = readExpected('tiny-mae.expected.json');
    expect([...ckpt.tensors.keys()]).toEqual([...expected.keys()]);
    for (const [name, want] of expected) expect(sameBits(toFloat32(ckpt.tensors.get(name)!), want.data)).toBe(true);
    expect(ckpt.args).toMatchObject({ norm_pix_loss: true, input_size: 8, model: 'mae_tiny', lr: null });
    expect(ckpt.notes[0]).toMatch(/read 'model' from the checkpoint; ignored optimizer, epoch, scaler, args/);
  });

  it('reads a Hugging Face pytorch_model.bin (bare state dict with _metadata) in float16', async () => {
    const ckpt = await read(fixture('pytorch_model.bin'));
    expect(ckpt.tensors.get('vit.encoder.layer.0.attention.attention.query.weight'))
      .toMatchObject({ dtype: 'float16', shape: [16, 16] });
  });

  it('lists tensors of other dtypes instead of converting them', async () => {
    const ckpt = await read(fixture('int64.pth'));
    expect(ckpt.unsupported).toEqual(new Map([['ids', 'int64']]));
    expect([...ckpt.tensors.keys()]).toEqual(['w']);
  });

  it('refuses a hand-built pickle that calls os.system, without running it', async () => {
    const pkl = bytesOf(PROTO2, 'c', 'os\nsystem\n', '(', str('touch /tmp/pwned'), 't', 'R', STOP);
    await expect(read(torchZip(pkl))).rejects
      .toThrow('refusing to load: the pickle asks for os.system, which a checkpoint does not need');
  });

  it('refuses builtins.eval reached through STACK_GLOBAL, even inside an otherwise fine dict', async () => {
    const pkl = bytesOf(PROTO2, '}', str('model'), '}', 's', str('x'),
      str('builtins'), str('eval'), 0x93, '(', str('1+1'), 't', 'R', 's', STOP);
    await expect(read(torchZip(pkl))).rejects.toThrow(/asks for builtins\.eval/);
  });

  it('refuses a real pickled os.system payload and a whole pickled module', async () => {
    await expect(read(fixture('evil.pth'))).rejects.toThrow(/asks for posix\.system \(os\.system\)/);
    await expect(read(fixture('whole-module.pth'))).rejects
      .toThrow(/asks for torch\.nn\.modules\.linear\.Linear.*state_dict\(\)/);
  });

  it('refuses an inert global once the model itself needs it', async () => {
    // {"model": argparse.Namespace()}: harmless class, but it is not a state dict.
    const pkl = bytesOf(PROTO2, '}', str('model'), 'c', 'argparse\nNamespace\n', ')', 0x81, 's', STOP);
    await expect(read(torchZip(pkl))).rejects.toThrow(/asks for argparse\.Namespace/);
  });

  it('explains other non-state-dict contents', async () => {
    await expect(read(torchZip(bytesOf(PROTO2, ']', STOP)))).rejects.toThrow(/holds a list/);
    await expect(read(torchZip(bytesOf(PROTO2, '}', str('w'), 'K', 3, 's', STOP)))).rejects
      .toThrow(/entry 'w' is a number, not a tensor/);
    await expect(read(torchZip(bytesOf(PROTO2, '}', str('w'), 0x8c)))).rejects.toThrow(/damaged/);
    await expect(read(torchZip(bytesOf(PROTO2, 'i', 'os\nsystem\n', STOP)))).rejects
      .toThrow(/os\.system/);
  });

  it('finds data.pkl under any top folder and complains when there is none', async () => {
    const pkl = bytesOf(PROTO2, '}', STOP);
    expect((await read(torchZip(pkl, {}, 'my-model'))).tensors.size).toBe(0);
    await expect(read(torchZip(pkl, {}, 'a/b'))).rejects.toThrow(/no data\.pkl/);
  });

  it('gives a clear error for a truncated .pth', async () => {
    const bytes = await bytesOfFile(goldenPth());
    await expect(read(bytes.subarray(0, bytes.length >> 1))).rejects
      .toThrow(/truncated or damaged \.pth\/\.bin file: the zip directory at the end of the file is missing/);
  });

  it('throws only LoadError for truncated or corrupted archives (property)', async () => {
    const bytes = fixture('views.pth');
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: bytes.length - 1 }), async (len) => {
      await expect(read(bytes.subarray(0, len))).rejects.toThrow(LoadError);
    }), { numRuns: 200 });
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 0, max: 255 })),
        { minLength: 1, maxLength: 6 }),
      async (edits) => {
        const copy = bytes.slice();
        for (const [at, v] of edits) copy[at] = v;
        expect(await onlyLoadErrors(async () => {
          const ckpt = await read(copy);
          for (const t of ckpt.tensors.values()) toFloat32(t);
        })).toBe(true);
      }), { numRuns: 1000 });
  });

  it('throws only LoadError for random pickle programs (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), async (body) => {
      expect(await onlyLoadErrors(() => read(torchZip(bytesOf(PROTO2, body))))).toBe(true);
    }), { numRuns: 2000 });
  });
});
