import { useSyncExternalStore } from 'react';

/** Width (CSS px) at or below which the page uses its phone layout; styles.css uses the same value. */
export const PHONE_MAX_WIDTH_PX = 760;
/** The phone layout's media query. */
export const PHONE_QUERY = `(max-width: ${PHONE_MAX_WIDTH_PX}px)`;

/** Whether a media query matches, kept up to date. */
export function useMediaQuery(query: string): boolean {
  return useSyncExternalStore(
    (onChange) => {
      const mql = window.matchMedia(query);
      mql.addEventListener('change', onChange);
      return () => mql.removeEventListener('change', onChange);
    },
    () => window.matchMedia(query).matches,
    () => false,
  );
}
