// Every golden case, from both checkpoint layouts, on the cpu and wasm backends.
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, beforeAll } from 'vitest';
import { useBackend } from '../helpers/tf';
import { GOLDEN_ABS_TOL } from '../../tools/lib/golden';
import { runGoldenCaseDir } from '../../tools/lib/golden-node';

const GOLDEN = path.join(__dirname, '..', 'fixtures', 'golden');
const cases = readdirSync(GOLDEN).filter((d) => existsSync(path.join(GOLDEN, d, 'case.json')));

it('finds the golden cases', () => {
  expect(cases.length).toBeGreaterThanOrEqual(2);
});

describe.each(['cpu', 'wasm'] as const)('golden parity on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });
  describe.each(cases)('%s', (name) => {
    it.each(['pth', 'hf'] as const)('from the %s layout: mask and ids_restore exact, floats within GOLDEN_ABS_TOL', async (layout) => {
      const r = await runGoldenCaseDir(path.join(GOLDEN, name), layout);
      expect(r.backend).toBe(backend);
      expect(r.maskEqual).toBe(true);
      expect(r.idsRestoreEqual).toBe(true);
      for (const [k, v] of Object.entries(r.maxAbs)) expect(v, k).toBeLessThanOrEqual(GOLDEN_ABS_TOL);
      expect(r.pass).toBe(true);
    });
  });
});
