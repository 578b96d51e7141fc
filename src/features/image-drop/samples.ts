// Bundled sample photos, listed in public/samples/index.json: [{ file, title, credit }].

export interface Sample {
  file: string;
  title: string;
  credit: string;
  /** URL of the picture, relative to the page. */
  url: string;
}

export const SAMPLES_BASE = './samples/';

const SAFE_FILE = /^[\w][\w.\- ]*\.(png|jpe?g|webp|gif|avif|bmp)$/i;

/** The valid entries of an index (anything else is skipped, never thrown on). */
export function parseSampleIndex(json: unknown, base = SAMPLES_BASE): Sample[] {
  if (!Array.isArray(json)) return [];
  const out: Sample[] = [];
  const seen = new Set<string>();
  for (const item of json) {
    if (!item || typeof item !== 'object') continue;
    const { file, title, credit } = item as Record<string, unknown>;
    if (typeof file !== 'string' || !SAFE_FILE.test(file) || seen.has(file)) continue;
    seen.add(file);
    out.push({
      file,
      title: typeof title === 'string' && title.trim() ? title.trim() : file,
      credit: typeof credit === 'string' ? credit.trim() : '',
      url: base + encodeURIComponent(file),
    });
  }
  return out;
}

/** Fetches the index; no index, a broken one or an offline page give an empty list. */
export async function fetchSamples(fetchFn: typeof fetch = fetch, base = SAMPLES_BASE): Promise<Sample[]> {
  try {
    const res = await fetchFn(`${base}index.json`, { cache: 'no-cache' });
    if (!res.ok) return [];
    return parseSampleIndex(await res.json(), base);
  } catch {
    return [];
  }
}

/** Downloads one sample as a file the page can add. */
export async function fetchSampleFile(sample: Sample, fetchFn: typeof fetch = fetch): Promise<{ name: string; blob: Blob }> {
  const res = await fetchFn(sample.url);
  if (!res.ok) throw new Error(`sample “${sample.title}” could not be fetched (HTTP ${res.status})`);
  return { name: sample.file, blob: await res.blob() };
}

/** The sample a first visit opens with (the README's picture). */
export const FIRST_SAMPLE = 'canyon.jpg';

/** Downloads a sample the index lists, by file name (what a link names); refuses any other name. */
export async function fetchSampleByName(file: string, fetchFn: typeof fetch = fetch, base = SAMPLES_BASE): Promise<{ name: string; blob: Blob }> {
  const sample = (await fetchSamples(fetchFn, base)).find((s) => s.file === file);
  if (!sample) throw new Error(`the link names a sample “${file.slice(0, 64)}” this page does not have`);
  return fetchSampleFile(sample, fetchFn);
}
