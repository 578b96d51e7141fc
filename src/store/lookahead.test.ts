import { describe, expect, it } from 'vitest';
import { createAppStore } from './createAppStore';
import { memoryPersistence } from './persistence';
import { parseUrlSettings } from './settings';
import { seededMask } from './masks';
import { LOOKAHEAD_AHEAD_STEPS, LOOKAHEAD_BEHIND_STEPS, LOOKAHEAD_MAX_MS, nextLookaheadRatios, reconstructionBytes, ResultCache } from './lookahead';
import { maskSignature } from './masks';
import type { AppDeps } from './types';
import { FakeClient, FakeDecoder, fakeReconstruction, file, flush, TINY_INFO } from '../../tests/unit/fakes';

/** TINY_INFO's patch grid: 4 x 4. */
const GRID = TINY_INFO.imgSize / TINY_INFO.patchSize;

function setup(over: Partial<AppDeps> = {}) {
  const client = (over.client as FakeClient | undefined) ?? new FakeClient();
  let t = 1000;
  const store = createAppStore({
    client, decoder: new FakeDecoder(), persistence: memoryPersistence(), schedule: (fn) => fn(), now: () => t++, settingsSaveDelayMs: 0, ...over,
  });
  return { client, get: () => store.getState() };
}

/** A reconstruction of `size` px whose bytes are known. */
const recon = (size = 8) => fakeReconstruction({ imageKey: 'k', mask: new Uint8Array((size / 8) ** 2), normPixStats: 'visible' }, { ...TINY_INFO, imgSize: size });
const sig = (ratioPct: number) => maskSignature(seededMask({ pattern: 'random', ratioPct, seed: 0 }, GRID));

describe('ResultCache', () => {
  it('keeps reconstructions by picture and signature within its byte budget, least recently used dropped first', () => {
    const one = reconstructionBytes(recon());
    const cache = new ResultCache(2 * one);
    const [a, b, c] = [recon(), recon(), recon()];
    cache.put('x', '1', a);
    cache.put('x', '2', b);
    expect(cache.get('x', '1')).toBe(a); // now the most recent
    cache.put('y', '1', c);
    expect(cache.has('x', '2')).toBe(false);
    expect(cache.get('x', '1')).toBe(a);
    expect(cache.get('y', '1')).toBe(c);
    expect(cache.size).toBe(2 * one);
    expect(cache.count).toBe(2);
    cache.forget('x');
    expect(cache.has('x', '1')).toBe(false);
    expect(cache.has('y', '1')).toBe(true);
    expect(cache.size).toBe(one);
    cache.put('y', '1', recon(16)); // larger than the budget: not kept, and the old one under that name is gone
    expect(cache.has('y', '1')).toBe(false);
    expect(cache.size).toBe(0);
  });
});

describe('nextLookaheadRatios', () => {
  it('goes nearest first, alternating ahead and behind, and stays within 0..100', () => {
    expect(nextLookaheadRatios(50, -1, 4, 2)).toEqual([49, 51, 48, 52, 47, 46]);
    expect(nextLookaheadRatios(50, 1, 2, 1)).toEqual([51, 49, 52]);
    expect(nextLookaheadRatios(1, -1, 3, 2)).toEqual([0, 2, 3]);
    const all = nextLookaheadRatios(50, 1);
    expect(all).toHaveLength(LOOKAHEAD_AHEAD_STEPS + LOOKAHEAD_BEHIND_STEPS);
    expect(new Set(all).size).toBe(all.length);
  });
});

describe('slider lookahead', () => {
  async function ready(over: Partial<AppDeps> = {}) {
    const s = setup(over);
    await s.get().boot();
    await s.get().addFiles([file('a.png')]);
    await flush();
    return { ...s, key: s.get().order[0] };
  }

  it('reconstructs the neighbouring ratios ahead, and a step onto one is drawn with no new request', async () => {
    const { get, client, key } = await ready();
    await flush();
    const guesses = client.lookaheadCalls;
    expect(guesses.length).toBeGreaterThan(0);
    expect(guesses.every((c) => c.params.lookahead === true && c.lane === 'lookahead' && c.params.imageKey === key)).toBe(true);
    // Each guess is the mask of a neighbouring ratio, every one different and none the mask on show.
    const neighbours = new Set(nextLookaheadRatios(75, -1).map(sig));
    const guessed = guesses.map((c) => maskSignature(c.params.mask));
    expect(guessed.every((g) => neighbours.has(g))).toBe(true);
    expect(new Set(guessed).size).toBe(guessed.length);
    expect(guessed).not.toContain(sig(75));
    // Every neighbouring mask not on show was guessed.
    expect(new Set(guessed)).toEqual(new Set([...neighbours].filter((g) => g !== sig(75))));

    const target = nextLookaheadRatios(75, -1).find((r) => sig(r) !== sig(75))!;
    const asked = client.calls.length;
    get().setRatioPct(target);
    expect(client.calls.length).toBe(asked);
    const row = get().slots.A.rows[key];
    expect(row.pending).toBe(false);
    expect(maskSignature(row.result!.mask)).toBe(sig(target));
    expect(row.result!.ratioPct).toBe(target);
  });

  it('never draws an older answer over a newer one taken from the cache, and keeps it for later', async () => {
    const client = new FakeClient(TINY_INFO, false);
    const { get, key } = await (async () => {
      const s = setup({ client, urlSettings: parseUrlSettings('?ahead=0') });
      await s.get().boot();
      await s.get().addFiles([file('a.png')]);
      await flush();
      return { ...s, key: s.get().order[0] };
    })();
    client.calls.at(-1)!.answer(); // 75
    await flush();
    const low = [50, 40, 30, 20, 10, 0].find((r) => sig(r) !== sig(75))!;
    get().setRatioPct(low);
    const inFlight = client.calls.at(-1)!;
    expect(maskSignature(inFlight.params.mask)).toBe(sig(low));
    get().setRatioPct(75); // reconstructed before: drawn from the cache at once
    expect(maskSignature(get().slots.A.rows[key].result!.mask)).toBe(sig(75));
    expect(get().slots.A.rows[key].pending).toBe(false);
    inFlight.answer();
    await flush();
    expect(maskSignature(get().slots.A.rows[key].result!.mask)).toBe(sig(75));
    const asked = client.calls.length;
    get().setRatioPct(low);
    expect(client.calls.length).toBe(asked);
    expect(maskSignature(get().slots.A.rows[key].result!.mask)).toBe(sig(low));
  });

  it('looks nothing ahead when turned off, for slow models, or while painting', async () => {
    const off = await ready({ urlSettings: parseUrlSettings('?ahead=0') });
    await flush();
    expect(off.client.calls.length).toBeGreaterThan(0);
    expect(off.client.lookaheadCalls).toHaveLength(0);

    const slowClient = new FakeClient();
    slowClient.reconstructMs = LOOKAHEAD_MAX_MS + 1;
    const slow = await ready({ client: slowClient });
    await flush();
    expect(slow.client.calls.length).toBeGreaterThan(0);
    expect(slow.client.lookaheadCalls).toHaveLength(0);

    const painted = await ready({ urlSettings: parseUrlSettings('?pattern=painted') });
    await flush();
    expect(painted.client.calls.length).toBeGreaterThan(0);
    expect(painted.client.lookaheadCalls).toHaveLength(0);
  });

  it('forgets what it kept when the checkpoint changes', async () => {
    const { get, client } = await ready();
    await flush();
    const target = nextLookaheadRatios(75, -1).find((r) => sig(r) !== sig(75))!;
    expect(client.lookaheadCalls.some((c) => maskSignature(c.params.mask) === sig(target))).toBe(true);
    get().setLookahead(false); // so nothing is guessed again for the new weights
    expect(await get().slotApi.A.load({ kind: 'random', label: 'other weights' })).toBe(true);
    await flush();
    const asked = client.calls.length;
    get().setRatioPct(target);
    expect(client.calls.length).toBe(asked + 1);
  });
});
