import { describe, expect, it, vi } from 'vitest';
import { createAppStore } from '../store/createAppStore';
import { memoryPersistence } from '../store/persistence';
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
});
