import { describe, expect, it } from 'vitest';
import { createAppStore } from '../../store/createAppStore';
import { SWEEP_RATIOS, sweepKey } from '../../store/imagesSlice';
import { memoryPersistence } from '../../store/persistence';
import { FakeClient, FakeDecoder, file, flush, TINY_INFO } from '../../../tests/unit/fakes';

async function setup(auto = true) {
  const client = new FakeClient(TINY_INFO, auto);
  const store = createAppStore({ client, decoder: new FakeDecoder(), persistence: memoryPersistence(), schedule: (fn) => fn(), settingsSaveDelayMs: 0 });
  await store.getState().boot();
  await store.getState().addFiles([file('a.png')]);
  await flush();
  return { store, client, get: () => store.getState(), key: store.getState().order[0] };
}

describe('ratio sweep', () => {
  it('uses distinct keys so the row is not superseded, and the same seed throughout', async () => {
    const { get, client, key } = await setup(false);
    client.calls[0].answer();
    await flush();
    get().runSweep(key);
    const sweep = client.calls.slice(1);
    expect(sweep.map((c) => c.params.imageKey)).toEqual(SWEEP_RATIOS.map((r) => `${key}#sweep${r}`));
    expect(sweep.every((c) => c.params.seed === 0 && c.params.pattern === 'random')).toBe(true);
    // The row can still be updated while the sweep runs.
    get().setRatioPct(40);
    client.calls.at(-1)!.answer();
    sweep.forEach((c) => c.answer());
    await flush();
    expect(get().entries[key].result?.ratioPct).toBe(40);
    expect(get().entries[key].sweep!.items.map((i) => i.result?.metrics.maskedCount)).toEqual(
      SWEEP_RATIOS.map((r) => 16 - Math.trunc(16 * (1 - r / 100))));
  });

  it('sweeps a painted row with the random pattern', async () => {
    const { get, client, key } = await setup();
    get().setPattern('painted');
    await flush();
    get().runSweep(key);
    const sweep = client.calls.filter((c) => c.params.imageKey.startsWith(sweepKey(key, 0).slice(0, -1)));
    expect(sweep).toHaveLength(SWEEP_RATIOS.length);
    expect(sweep.every((c) => c.params.pattern === 'random' && !c.params.paintedMask)).toBe(true);
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
    const all = client.calls.filter((c) => c.params.imageKey.includes('#sweep'));
    all.forEach((c) => { if (!c.settled) c.answer(); });
    await flush();
    const sweep = get().entries[key].sweep!;
    expect(sweep.seed).toBe(9);
    expect(sweep.items.every((i) => i.result !== null && i.error === null)).toBe(true);
  });
});
