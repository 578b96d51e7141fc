// The hub cache as the picker shows it: re-read after every load (A or B) and after a delete.
import { useCallback, useEffect, useState } from 'react';
import { useApp } from '../../store/react';
import { browserCaches, deleteHubFiles, listHubCache, type CachedFile } from './hubCache';

export interface HubCacheView {
  status: 'unavailable' | 'loading' | 'ready' | 'error';
  files: CachedFile[];
  error: string | null;
  remove(urls: readonly string[]): Promise<void>;
}

export function useHubCache(): HubCacheView {
  const genA = useApp((s) => s.slots.A.generation);
  const genB = useApp((s) => s.slots.B.generation);
  const errA = useApp((s) => s.slots.A.loadError);
  const errB = useApp((s) => s.slots.B.loadError);
  const [tick, setTick] = useState(0);
  const [state, setState] = useState<Omit<HubCacheView, 'remove'>>(() => ({
    status: browserCaches() ? 'loading' : 'unavailable', files: [], error: null,
  }));

  useEffect(() => {
    const storage = browserCaches();
    if (!storage) return;
    let live = true;
    listHubCache(storage).then(
      (files) => live && setState({ status: 'ready', files, error: null }),
      (e: unknown) => live && setState({ status: 'error', files: [], error: e instanceof Error ? e.message : String(e) }),
    );
    return () => {
      live = false;
    };
  }, [genA, genB, errA, errB, tick]);

  const remove = useCallback(async (urls: readonly string[]) => {
    const storage = browserCaches();
    if (!storage || !urls.length) return;
    try {
      await deleteHubFiles(storage, urls);
    } finally {
      setTick((t) => t + 1);
    }
  }, []);

  return { ...state, remove };
}
