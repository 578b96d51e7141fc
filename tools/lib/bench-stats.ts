// Pure helpers of the browser benchmark: percentiles, summaries and a Markdown table.

/**
 * The p-th percentile (0-100) of `xs` by linear interpolation between closest ranks (NumPy's
 * default); NaN for no values. Non-finite values are left out.
 */
export function percentile(xs: readonly number[], p: number): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const rank = (Math.min(Math.max(p, 0), 100) / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo] + (s[hi] - s[lo]) * (rank - lo);
}

/** Count, p50, p95 and max of a latency series (ms). */
export interface Summary { n: number; p50: number; p95: number; max: number }

/** Summary of the finite values of `xs`. */
export function summarize(xs: readonly number[]): Summary {
  const f = xs.filter(Number.isFinite);
  return { n: f.length, p50: percentile(f, 50), p95: percentile(f, 95), max: f.length ? Math.max(...f) : NaN };
}

/** A number rounded to `digits` decimals, or '—' when not finite (not measured). */
export const fmt = (x: number | null | undefined, digits = 0): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);

/** A GitHub Markdown table. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
