import { useEffect, useState } from 'react';
import { fetchSamples, type Sample } from './samples';

let shared: Promise<Sample[]> | null = null;

/** The bundled samples (fetched once per page; empty while loading or when there are none). */
export function useSamples(): Sample[] {
  const [samples, setSamples] = useState<Sample[]>([]);
  useEffect(() => {
    let live = true;
    shared ??= fetchSamples();
    void shared.then((s) => live && setSamples(s));
    return () => {
      live = false;
    };
  }, []);
  return samples;
}
