import { describe, expect, it } from 'vitest';
import { createAppStore } from '../../store/createAppStore';
import { SWEEP_RATIOS, sweepKey } from '../../store/imagesSlice';
import { memoryPersistence } from '../../store/persistence';
import { FakeClient, FakeDecoder, file, flush, TINY_INFO } from '../../../tests/unit/fakes';
import { countMasked, lenKeepFor, maskFor } from '../../shared/masking';
import { sameMask } from '../../store/masks';

/** TINY_INFO's patch grid (4 x 4). */
const GRID = TINY_INFO.imgSize / TINY_INFO.patchSize;
/** The random mask of a seed at a ratio in percent. */
const randomMask = (ratioPct: number, seed: number) => maskFor({ pattern: 'random', maskRatio: ratioPct / 100, seed }, GRID);
/** Whether a call is one of a sweep's (its lane is a sweep cell's). */
const isSweep = (key: string) => (c: { lane: string }) => SWEEP_RATIOS.some((r) => c.lane === sweepKey(key, r));

async function setup(auto = true) {
  const client = new FakeClient(TINY_INFO, auto);
  const store = createAppStore({ client, decoder: new FakeDecoder(), persistence: memoryPersistence(), schedule: (fn) => fn(), settingsSaveDelayMs: 0 });
  await store.getState().boot();
  await store.getState().addFiles([file('a.png')]);
  await flush();
  return { store, client, get: () => store.getState(), key: store.getState().order[0] };
}

describe('ratio sweep', () => {
  it('uses distinct lanes so the row is not superseded, and the same seed throughout', async () => {
    const { get, client, key } = await setup(false);
    client.calls[0].answer();
    await flush();
    get().runSweep(key);
    const sweep = client.calls.slice(1);
    expect(sweep.map((c) => c.lane)).toEqual(SWEEP_RATIOS.map((r) => `${key}#sweep${r}`));
    expect(sweep.every((c) => c.params.imageKey === key)).toBe(true);
    // Seed 0, random pattern, at each ratio; all of them in the worker at once.
    expect(sweep.map((c) => Array.from(c.params.mask))).toEqual(SWEEP_RATIOS.map((r) => Array.from(randomMask(r, 0))));
    expect(sweep.every((c) => c.sent)).toBe(true);
    // The row can still be updated while the sweep runs.
    get().setRatioPct(40);
    client.calls.at(-1)!.answer();
    sweep.forEach((c) => c.answer());
    await flush();
    expect(get().slots.A.rows[key].result?.ratioPct).toBe(40);
    expect(get().entries[key].sweep!.items.map((i) => i.result?.recon.metrics.maskedCount)).toEqual(
      SWEEP_RATIOS.map((r) => 16 - Math.trunc(16 * (1 - r / 100))));
    expect(get().entries[key].sweep!.items.map((i) => countMasked(i.result!.mask))).toEqual(
      SWEEP_RATIOS.map((r) => 16 - lenKeepFor(16, r / 100)));
  });

  it('sweeps a painted row with the random pattern', async () => {
    const { get, client, key } = await setup();
    get().setPattern('painted');
    await flush();
    // A painting that differs from the seeded mask it started as.
    const painted = Uint8Array.from(get().entries[key].paintedMask!);
    painted[0] = painted[0] ? 0 : 1;
    get().setPaintedMask(key, painted);
    await flush();
    get().runSweep(key);
    const sweep = client.calls.filter(isSweep(key));
    expect(sweep).toHaveLength(SWEEP_RATIOS.length);
    // The seeded random masks at the sweep's ratios, not the painted one.
    expect(sweep.map((c) => Array.from(c.params.mask))).toEqual(SWEEP_RATIOS.map((r) => Array.from(randomMask(r, 0))));
    expect(sweep.some((c) => sameMask(c.params.mask, painted))).toBe(false);
    await flush();
    expect(get().entries[key].sweep).toMatchObject({ pattern: 'random', seed: 0 });
  });

  it('ignores answers that arrive after the sweep was closed or re-run', async () => {
    const { get, client, key } = await setup(false);
    get().runSweep(key);
    const first = client.calls.slice(1);
    get().closeSweep(key);
    first.forEach((c) => c.answer());
    await flush();
    expect(get().entries[key].sweep).toBeNull();

    get().runSweep(key);
    get().setSeed(9);
    get().runSweep(key);
    const all = client.calls.filter(isSweep(key));
    all.forEach((c) => { if (!c.settled) c.answer(); });
    await flush();
    const sweep = get().entries[key].sweep!;
    expect(sweep.seed).toBe(9);
    expect(sweep.items.every((i) => i.result !== null && i.error === null)).toBe(true);
  });
});
