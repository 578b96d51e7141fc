// Every golden case, from both checkpoint layouts, on the cpu and wasm backends, in both attention
// layouts: through Mae.forward (the reference's outputs) and through the page's path
// (reconstructBatch: recon, paste and loss computed on the backend, read back once).
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, beforeAll } from 'vitest';
import { useBackend } from '../helpers/tf';
import { GOLDEN_ABS_TOL } from '../../tools/lib/golden';
import { runGoldenCaseDir } from '../../tools/lib/golden-node';
import type { AttentionLayout } from '../../src/model';

const GOLDEN = path.join(__dirname, '..', 'fixtures', 'golden');
const cases = readdirSync(GOLDEN).filter((d) => existsSync(path.join(GOLDEN, d, 'case.json')));

it('finds the golden cases', () => {
  expect(cases.length).toBeGreaterThanOrEqual(2);
});

const ATTENTION: AttentionLayout[] = ['heads', 'batched'];

describe.each(['cpu', 'wasm'] as const)('golden parity on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });
  describe.each(cases.flatMap((c) => ATTENTION.map((a) => [c, a] as const)))('%s, %s attention', (name, attention) => {
    it.each(['pth', 'hf'] as const)('from the %s layout: mask and ids_restore exact, floats within GOLDEN_ABS_TOL, one readback', async (layout) => {
      const r = await runGoldenCaseDir(path.join(GOLDEN, name), layout, { attention });
      expect(r.backend).toBe(backend);
      expect(r.maskEqual).toBe(true);
      expect(r.idsRestoreEqual).toBe(true);
      expect(r.readbacks).toBe(1);
      expect(Object.keys(r.maxAbs)).toEqual(expect.arrayContaining(['shownRecon', 'shownPaste', 'shownLoss']));
      for (const [k, v] of Object.entries(r.maxAbs)) expect(v, k).toBeLessThanOrEqual(GOLDEN_ABS_TOL);
      expect(r.pass).toBe(true);
    });
  });
});
