// The bundled checkpoint, run by the TypeScript model, against PyTorch (training/mae.py) on the
// same input and noise (tests/fixtures/mae-small, made by training/make_parity_fixture.py).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../helpers/tf';
import { runGoldenCase } from '../../tools/lib/golden';

/** float16 weights, float32 arithmetic in both: outputs agree within this (absolute, normalised space). */
const MAE_SMALL_TOL = 1e-3;
const ROOT = path.resolve(__dirname, '..', '..');
const CASE = path.join(ROOT, 'tests', 'fixtures', 'mae-small');
const CKPT = path.join(ROOT, 'public', 'checkpoints', 'mae-small');

/** The case folder, with its checkpoint read from where the app serves it. */
async function read(rel: string): Promise<Uint8Array | null> {
  const f = rel.startsWith('hf/') ? path.join(CKPT, rel.slice(3)) : path.join(CASE, rel);
  return existsSync(f) ? new Uint8Array(readFileSync(f)) : null;
}

describe.each(['wasm', 'cpu'] as const)('bundled mae-small on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });
  it('matches PyTorch within MAE_SMALL_TOL', async () => {
    const caseJson = JSON.parse(readFileSync(path.join(CASE, 'case.json'), 'utf8'));
    // The fixture was made from the checkpoint file now shipped, byte for byte in size.
    expect(readFileSync(path.join(CKPT, 'model.safetensors')).length).toBe(caseJson.checkpoint_bytes);
    const r = await runGoldenCase('mae-small', read, 'hf', MAE_SMALL_TOL);
    expect(r.maskEqual).toBe(true);
    expect(r.idsRestoreEqual).toBe(true);
    expect(r.readbacks).toBe(1);
    for (const [k, v] of Object.entries(r.maxAbs)) expect(v, k).toBeLessThanOrEqual(MAE_SMALL_TOL);
  });
});
