// Golden parity on the GPU backends in Chromium (SwiftShader here: small shapes only) and on wasm
// in the browser, against the reference outputs within GOLDEN_ABS_TOL, through Mae.forward and
// through the page's path (one readback, none inside it on the GPU backends).
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { runBrowserCase } from '../../tools/lib/browser-parity';
import { GOLDEN_ABS_TOL } from '../../tools/lib/golden';
import { ROOT } from './browser';

const CASE = path.join(ROOT, 'tests', 'fixtures', 'golden', 'tiny-p16');

describe('golden parity in Chromium', () => {
  it.each([['webgpu', 'hf'], ['webgl', 'pth'], ['wasm', 'hf']] as const)('%s from the %s layout', async (backend, layout) => {
    const r = await runBrowserCase(CASE, layout, backend);
    expect(r.backend).toBe(backend);
    expect(r.maskEqual).toBe(true);
    expect(r.idsRestoreEqual).toBe(true);
    expect(r.readbacks).toBe(1);
    for (const [k, v] of Object.entries(r.maxAbs)) expect(v, k).toBeLessThanOrEqual(GOLDEN_ABS_TOL);
  });
});
