import { useEffect, useRef } from 'react';
import { useAppStore } from '../../store/react';

/** Tells the store whether image `key`'s row is on (or near) the screen; off-screen rows wait. */
export function useVisibility<T extends Element>(key: string) {
  const ref = useRef<T>(null);
  const store = useAppStore();
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof IntersectionObserver === 'undefined') return;
    const io = new IntersectionObserver((entries) => {
      for (const e of entries) store.getState().setVisible(key, e.isIntersecting);
    }, { rootMargin: '400px 0px' });
    io.observe(el);
    return () => {
      io.disconnect();
      store.getState().setVisible(key, true);
    };
  }, [store, key]);
  return ref;
}
