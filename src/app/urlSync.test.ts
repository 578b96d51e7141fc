import { describe, expect, it, vi } from 'vitest';
import { createAppStore } from '../store/createAppStore';
import { memoryPersistence } from '../store/persistence';
import { parseUrlCheckpoints } from '../store/checkpointRef';
import { parseUrlSettings } from '../store/settings';
import { FakeClient, FakeDecoder } from '../../tests/unit/fakes';
import { syncUrl } from './urlSync';

function fakeWindow(search: string) {
  const location = { pathname: '/mae/', search, hash: '#x' };
  const writes: string[] = [];
  const history = {
    state: null,
    replaceState(_s: unknown, _t: string, url: string) {
      writes.push(url);
      const u = new URL(url, 'http://h');
      location.search = u.search;
    },
  };
  return { win: { location, history } as unknown as Window, writes, location };
}

describe('URL sync', () => {
  it('writes every setting on load, keeps foreign params and the hash, and throttles changes', () => {
    vi.useFakeTimers();
    try {
      const { win, writes, location } = fakeWindow('?ratio=50&utm=1');
      const store = createAppStore({
        client: new FakeClient(), decoder: new FakeDecoder(), persistence: memoryPersistence(),
        urlSettings: parseUrlSettings(location.search), schedule: () => {},
      });
      const stop = syncUrl(store, win, 250);
      expect(writes).toHaveLength(1);
      expect(writes[0]).toMatch(/^\/mae\/\?utm=1&ratio=50&seed=0&pattern=random.*#x$/);
      for (let r = 10; r < 40; r++) store.getState().setRatioPct(r);
      expect(writes).toHaveLength(1);
      vi.advanceTimersByTime(300);
      expect(writes).toHaveLength(2);
      expect(parseUrlSettings(location.search).ratioPct).toBe(39);
      expect(new URLSearchParams(location.search).get('utm')).toBe('1');
      stop();
      store.getState().setRatioPct(5);
      vi.advanceTimersByTime(300);
      expect(writes).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('writes the running checkpoint, the comparison and the hub address, and a link reproduces them', async () => {
    vi.useFakeTimers();
    try {
      const { win, writes, location } = fakeWindow('?hf=http%3A%2F%2F127.0.0.1%3A9000&ckpt=random');
      const store = createAppStore({
        client: new FakeClient(), decoder: new FakeDecoder(), persistence: memoryPersistence(),
        urlSettings: parseUrlSettings(location.search), urlCheckpoints: parseUrlCheckpoints(location.search),
        createCompareClient: () => new FakeClient(), schedule: () => {},
      });
      const stop = syncUrl(store, win, 250);
      expect(new URLSearchParams(location.search).get('ckpt')).toBe('random');
      expect(new URLSearchParams(location.search).get('hf')).toBe('http://127.0.0.1:9000');
      const booting = store.getState().boot();
      await vi.runAllTimersAsync();
      await booting;
      await store.getState().slotApi.A.load({ kind: 'hub', repo: 'org/mae', revision: 'refs/pr/1', endpoint: 'http://127.0.0.1:9000', label: 'x' });
      await store.getState().slotApi.B.loadRef('bundled');
      await vi.advanceTimersByTimeAsync(300);
      const params = new URLSearchParams(location.search);
      expect(params.get('ckpt')).toBe('hf:org/mae@refs/pr/1');
      expect(params.get('cmp')).toBe('bundled');
      expect(writes.length).toBeGreaterThan(1);

      // The link loads the same two checkpoints from the same hub (in a browser that has the download).
      const again = new FakeClient();
      const b = new FakeClient();
      const copy = createAppStore({
        client: again, decoder: new FakeDecoder(), persistence: memoryPersistence(), schedule: () => {},
        urlSettings: parseUrlSettings(location.search), urlCheckpoints: parseUrlCheckpoints(location.search), createCompareClient: () => b,
        isHubCached: async () => true,
      });
      await copy.getState().boot();
      expect(again.loads).toEqual([{ kind: 'hub', repo: 'org/mae', revision: 'refs/pr/1', endpoint: 'http://127.0.0.1:9000', label: 'org/mae@refs/pr/1' }]);
      expect(b.loads.map((x) => x.kind)).toEqual(['url']);

      await store.getState().slotApi.B.close();
      await vi.advanceTimersByTimeAsync(300);
      expect(new URLSearchParams(location.search).has('cmp')).toBe(false);
      stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
