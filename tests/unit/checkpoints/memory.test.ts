// A checkpoint is never held whole twice: headers from small slices, each tensor from its own slice,
// handed over one at a time; a model that cannot fit the device is refused before a weight is read.
import { describe, expect, it } from 'vitest';
import { loadCheckpoint, openCheckpoint, type CheckpointFile } from '../../../src/checkpoints/load';
import { estimateModelBytes, MAX_WASM_HEAP_BYTES, modelParamBytes } from '../../../src/checkpoints/limits';
import type { MaeConfig } from '../../../src/model/config';
import { GOLDEN_ARCH, LARGE_ARCH, configJson, pthOf, referenceTensors, safetensorsOf } from '../../helpers/hostile';
import { loadErrorOf } from './helpers';

/** ViT-MAE Huge: 14 px patches, 32 blocks of 1280. */
const HUGE_ARCH: MaeConfig = { ...LARGE_ARCH, patchSize: 14, embedDim: 1280, depth: 32 };
const F32_BYTES = 4;

/** A Blob that records the byte ranges read from it. */
class CountingBlob extends Blob {
  constructor(parts: BlobPart[], readonly reads: number[] = []) {
    super(parts);
  }

  override slice(start?: number, end?: number, type?: string): Blob {
    this.reads.push((end ?? this.size) - (start ?? 0));
    return super.slice(start, end, type);
  }
}

function counted(name: string, bytes: Uint8Array): CheckpointFile & { blob: CountingBlob } {
  return { name, blob: new CountingBlob([bytes as BlobPart]) };
}

describe('reading tensor by tensor', () => {
  it.each([
    ['safetensors', 'model.safetensors', () => safetensorsOf(referenceTensors(GOLDEN_ARCH))],
    ['.pth', 'model.pth', () => pthOf(referenceTensors(GOLDEN_ARCH))],
  ])('%s: opening reads only small slices; each parameter is its own slice, handed over in turn', async (_kind, name, make) => {
    const bytes = make();
    const file = counted(name, bytes);
    const opened = await openCheckpoint([file, { name: 'config.json', blob: new Blob([configJson(GOLDEN_ARCH) as BlobPart]) }]);
    const { largest } = modelParamBytes(GOLDEN_ARCH);
    // Headers, zip directory and pickle: far less than the weights.
    const openedBytes = file.blob.reads.reduce((a, b) => a + b, 0);
    expect(openedBytes).toBeLessThan(bytes.length / 4);
    file.blob.reads.length = 0;
    const order: string[] = [];
    await opened.readParams(async (param, p) => {
      order.push(param);
      expect(p.data.length * F32_BYTES).toBe(opened.shapes.get(param)!.reduce((a, b) => a * b, 1) * F32_BYTES);
    });
    expect(order).toEqual([...opened.shapes.keys()]);
    // No read larger than one tensor (plus a zip local header), and every weight read once.
    expect(Math.max(...file.blob.reads)).toBeLessThanOrEqual(largest);
    const weightBytes = file.blob.reads.filter((n) => n > 64).reduce((a, b) => a + b, 0);
    expect(weightBytes).toBe(opened.paramBytes);
  });
});

describe('memory budget', () => {
  it('estimates weights, one upload temporary and working memory from shapes', () => {
    const { total, largest } = modelParamBytes(HUGE_ARCH);
    expect(total / F32_BYTES).toBeGreaterThan(657e6);
    expect(estimateModelBytes(HUGE_ARCH)).toBeGreaterThan(total + largest);
    // ViT-Huge fits the wasm32 heap on paper; twice it would not.
    expect(estimateModelBytes(HUGE_ARCH)).toBeLessThan(MAX_WASM_HEAP_BYTES);
    expect(2 * estimateModelBytes(HUGE_ARCH)).toBeGreaterThan(MAX_WASM_HEAP_BYTES);
  });

  it('refuses a model that cannot fit before reading a single weight', async () => {
    const bytes = safetensorsOf(referenceTensors(GOLDEN_ARCH));
    const file = counted('model.safetensors', bytes);
    const e = await loadErrorOf(loadCheckpoint([file, { name: 'config.json', blob: new Blob([configJson(GOLDEN_ARCH) as BlobPart]) }],
      { memory: { device: 'a tiny device', totalBytes: 1000 } }));
    expect(e.code).toBe('out-of-memory');
    expect(e.message).toMatch(/^this checkpoint needs about \d+\.\d MB for its weights and working memory; a tiny device can hold at most 1\.0 kB$/);
    expect(file.blob.reads.reduce((a, b) => a + b, 0)).toBeLessThan(bytes.length / 4);
    const big = await loadErrorOf(loadCheckpoint([counted('model.safetensors', bytes)],
      { memory: { device: 'this GPU', maxTensorBytes: 1024 } }));
    expect(big).toMatchObject({ code: 'out-of-memory' });
    expect(big.message).toMatch(/largest weight takes .* this GPU allows buffers of at most 1\.0 kB/);
  });

  it('stops between tensors when cancelled', async () => {
    const ctrl = new AbortController();
    const opened = await openCheckpoint([counted('model.safetensors', safetensorsOf(referenceTensors(GOLDEN_ARCH)))], { signal: ctrl.signal });
    let n = 0;
    const e = await loadErrorOf(opened.readParams(() => {
      if (++n === 3) ctrl.abort();
    }));
    expect(e.code).toBe('cancelled');
    expect(n).toBe(3);
  });
});
