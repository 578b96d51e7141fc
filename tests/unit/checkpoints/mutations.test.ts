// Mutated fixtures through loadCheckpoint (property tests): whatever the bytes, the result is either
// a clean LoadError or a model the MAE accepts (names, shapes, architecture within the limits,
// every weight finite). Never another exception, never a silently broken model.
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint, type CheckpointFile } from '../../../src/checkpoints/load';
import { checkArchitecture } from '../../../src/checkpoints/limits';
import { validateConfig } from '../../../src/model/config';
import { checkParams } from '../../../src/model/weights';
import { LoadError } from '../../../src/shared/errors';
import { FIXTURES, GOLDEN, fileFrom, readBytes } from './helpers';

/** Runs per property: enough to reach every header, directory and pickle byte class, within seconds. */
const RUNS = 150;
/** Edits are aimed at the first and last bytes this often (headers, zip directory, pickle), else anywhere. */
const EDGE_BYTES = 4096;

type Outcome = 'refused' | 'loaded';

/** Loads, and checks the outcome is a LoadError or a usable model; rethrows anything else. */
async function outcome(files: CheckpointFile[]): Promise<Outcome> {
  let ckpt;
  try {
    ckpt = await loadCheckpoint(files);
  } catch (e) {
    if (e instanceof LoadError) {
      expect(/[\n\r]/.test(e.message) || e.message.includes('\u001b')).toBe(false);
      return 'refused';
    }
    throw e;
  }
  validateConfig(ckpt.config);
  checkArchitecture(ckpt.config);
  checkParams(ckpt.config, ckpt.params);
  for (const [name, p] of ckpt.params) {
    expect(p.data.every((v) => Number.isFinite(v)), name).toBe(true);
  }
  return 'loaded';
}

/** Up to 8 byte edits, aimed at the ends of the file half of the time. */
const editsArb = (length: number) => fc.array(fc.tuple(
  fc.oneof(
    fc.integer({ min: 0, max: Math.min(EDGE_BYTES, length) - 1 }),
    fc.integer({ min: Math.max(0, length - EDGE_BYTES), max: length - 1 }),
    fc.integer({ min: 0, max: length - 1 }),
  ),
  // Extreme bytes half of the time: they make lengths overflow and floats NaN or infinite.
  fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x00, 0x7f, 0x80, 0xff)),
), { minLength: 1, maxLength: 8 });

function edited(bytes: Uint8Array, edits: [number, number][]): Uint8Array {
  const copy = bytes.slice();
  for (const [at, v] of edits) copy[at] = v;
  return copy;
}

const cases: { name: string; weights: string; config?: string }[] = [
  { name: 'the golden .pth', weights: path.join(GOLDEN, 'checkpoint.pth') },
  { name: 'the golden Hugging Face safetensors', weights: path.join(GOLDEN, 'hf', 'model.safetensors'), config: path.join(GOLDEN, 'hf', 'config.json') },
  { name: 'a float16 pytorch_model.bin', weights: path.join(FIXTURES, 'pytorch_model.bin') },
  { name: 'a training checkpoint with args', weights: path.join(FIXTURES, 'archive-train-state.pth') },
];

describe.each(cases)('mutations of $name', ({ weights, config }) => {
  const bytes = readBytes(weights);
  const name = path.basename(weights);
  const extra = config ? [fileFrom('config.json', readBytes(config))] : [];

  it('still loads unmutated', async () => {
    expect(await outcome([fileFrom(name, bytes), ...extra])).toBe('loaded');
  });

  it('byte edits: only clean refusals or a valid model (property)', async () => {
    await fc.assert(fc.asyncProperty(editsArb(bytes.length), async (edits) => {
      await outcome([fileFrom(name, edited(bytes, edits)), ...extra]);
    }), { numRuns: RUNS });
  });

  it('truncations: always refused cleanly (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: bytes.length - 1 }), async (len) => {
      expect(await outcome([fileFrom(name, bytes.subarray(0, len)), ...extra])).toBe('refused');
    }), { numRuns: RUNS / 5 });
  });
});

describe('mutations of config.json', () => {
  const weights = fileFrom('model.safetensors', readBytes(path.join(GOLDEN, 'hf', 'model.safetensors')));
  const config = JSON.parse(new TextDecoder().decode(readBytes(path.join(GOLDEN, 'hf', 'config.json')))) as Record<string, unknown>;
  const hostileValue = fc.oneof(
    fc.integer(), fc.double(), fc.constantFrom(1e9, 1e300, -1, 0, 0.5, 4096, 65536, 1.6e6),
    fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }),
  );

  it('field values: only clean refusals or a valid model (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.constantFrom(...Object.keys(config)), hostileValue), { minLength: 1, maxLength: 3 }),
      async (edits) => {
        const edited = { ...config, ...Object.fromEntries(edits) };
        await outcome([weights, fileFrom('config.json', new TextEncoder().encode(JSON.stringify(edited)))]);
      }), { numRuns: RUNS });
  });
});
