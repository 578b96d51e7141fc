// The views slice: nothing is inspected while every view is closed; an open view asks for the
// picture under the mask of the reconstruction shown, follows the slider and the head chosen, and
// closing the last view frees the worker's inspecting model.
import { describe, expect, it } from 'vitest';
import { createAppStore } from './createAppStore';
import { memoryPersistence } from './persistence';
import { FakeClient, FakeDecoder, file, flush, TINY_INFO } from '../../tests/unit/fakes';
import { countMasked } from '../shared/masking';

/** TINY_INFO's patches. */
const L = (TINY_INFO.imgSize / TINY_INFO.patchSize) ** 2;

/** A short rest for the views' debounce, in ms (real timers), and a wait safely past it. */
const TEST_IDLE_MS = 30;
const PAST_IDLE_MS = 4 * TEST_IDLE_MS;

async function setup(viewIdleMs = 0) {
  const client = new FakeClient();
  const store = createAppStore({
    client, decoder: new FakeDecoder(), persistence: memoryPersistence(), schedule: (fn) => fn(), settingsSaveDelayMs: 0, viewIdleMs,
  });
  const get = () => store.getState();
  await get().boot();
  await get().addFiles([file('a.png'), file('b.png')]);
  await flush();
  return { client, get, keys: get().order };
}

describe('views', () => {
  it('inspect nothing while every view is closed, even as the slider moves', async () => {
    const { client, get } = await setup();
    get().setRatioPct(50);
    await flush();
    get().setRatioPct(25);
    await flush();
    expect(client.calls.length).toBeGreaterThan(2);
    expect(client.inspectCalls).toHaveLength(0);
    expect(client.closeInspectCalls).toBe(0);
  });

  it('an attention view asks for its row only, under the shown mask, in the inspect lane; it follows the slider and the head', async () => {
    const { client, get, keys: [a, b] } = await setup();
    get().setView(a, 'attention');
    await flush();
    expect(client.inspectCalls).toHaveLength(1);
    const first = client.inspectCalls[0];
    expect(first.params.imageKey).toBe(a);
    expect(first.lane).toBe(`inspect:${a}`);
    expect(first.params.capture).toEqual({ attention: { stack: 'encoder', head: 'mean' }, features: false });
    expect(Array.from(first.params.mask)).toEqual(Array.from(get().slots.A.rows[a].result!.mask));
    expect(get().views[a].result?.inspection.attention?.stack).toBe('encoder');
    expect(get().views[b]).toBeUndefined();

    get().setRatioPct(50);
    await flush();
    const afterSlider = client.inspectCalls.filter((c) => c.params.imageKey === a);
    expect(afterSlider.length).toBe(2);
    expect(countMasked(afterSlider[1].params.mask)).toBe(L / 2);
    expect(client.inspectCalls.every((c) => c.params.imageKey === a)).toBe(true);

    get().setAttentionChoice(a, { stack: 'decoder', head: 1 });
    await flush();
    expect(client.inspectCalls.at(-1)!.params.capture.attention).toEqual({ stack: 'decoder', head: 1 });
    expect(get().views[a].result?.inspection.attention).toMatchObject({ stack: 'decoder', head: 1, tokens: 1 + L });
    // Nothing new: no second request.
    const n = client.inspectCalls.length;
    get().setAttentionChoice(a, { stack: 'decoder', head: 1 });
    get().refresh();
    await flush();
    expect(client.inspectCalls).toHaveLength(n);
  });

  it('a features view asks for features; closing the last view frees the worker\'s model, and removing a picture closes its view', async () => {
    const { client, get, keys: [a, b] } = await setup();
    get().setView(a, 'features');
    get().setView(b, 'attention');
    await flush();
    expect(client.inspectCalls.find((c) => c.params.imageKey === a)?.params.capture).toEqual({ attention: null, features: true });
    expect(get().views[a].result?.inspection.features?.latentAll.length).toBe((1 + L) * TINY_INFO.embedDim);
    get().setView(a, null);
    await flush();
    expect(client.closeInspectCalls).toBe(0);
    get().removeImage(b);
    await flush();
    expect(get().views).toEqual({});
    expect(client.closeInspectCalls).toBe(1);
    // Closed stays closed: the slider asks for nothing more.
    const n = client.inspectCalls.length;
    get().setRatioPct(40);
    await flush();
    expect(client.inspectCalls).toHaveLength(n);
  });

  it('wait for the mask to rest before asking for a new mask, but answer a new head at once', async () => {
    const { client, get, keys: [a] } = await setup(TEST_IDLE_MS);
    get().setView(a, 'attention');
    await flush();
    expect(client.inspectCalls).toHaveLength(1);
    get().setRatioPct(50);
    await flush();
    get().setRatioPct(25);
    await flush();
    // Two masks came and went while moving: nothing asked yet.
    expect(client.inspectCalls).toHaveLength(1);
    await new Promise((r) => setTimeout(r, PAST_IDLE_MS));
    await flush();
    expect(client.inspectCalls).toHaveLength(2);
    expect(countMasked(client.inspectCalls[1].params.mask)).toBe(L / 4);
    get().setAttentionChoice(a, { stack: 'encoder', head: 0 });
    await flush();
    expect(client.inspectCalls).toHaveLength(3);
    // Closed while a new mask waits: it is never asked.
    get().setRatioPct(75);
    await flush();
    get().setView(a, null);
    await new Promise((r) => setTimeout(r, PAST_IDLE_MS));
    await flush();
    expect(client.inspectCalls).toHaveLength(3);
    expect(client.closeInspectCalls).toBe(1);
  });

  it('a head the next checkpoint lacks becomes the mean', async () => {
    const { client, get, keys: [a] } = await setup();
    get().setView(a, 'attention');
    get().setAttentionChoice(a, { stack: 'decoder', head: TINY_INFO.decoderNumHeads - 1 });
    await flush();
    client.info = { ...TINY_INFO, decoderNumHeads: 1 };
    await get().slotApi.A.loadRef('random');
    await flush();
    expect(get().views[a].attention).toEqual({ stack: 'decoder', head: 'mean' });
    expect(client.inspectCalls.at(-1)!.params.capture.attention).toEqual({ stack: 'decoder', head: 'mean' });
    expect(get().views[a].result?.generation).toBe(get().slots.A.generation);
  });
});
