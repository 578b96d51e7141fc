import { describe, expect, it } from 'vitest';
import { markdownTable, percentile, summarize } from '../../../tools/lib/bench-stats';

describe('bench-stats', () => {
  it('percentile interpolates between closest ranks, whatever the input order', () => {
    const xs = [5, 1, 4, 2, 3];
    expect(percentile(xs, 50)).toBe(3);
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile(xs, 100)).toBe(5);
    // rank 0.95 * 4 = 3.8: 4 + 0.8 * (5 - 4)
    expect(percentile(xs, 95)).toBeCloseTo(4.8, 12);
    expect(percentile([10, 20], 50)).toBe(15);
    expect(xs).toEqual([5, 1, 4, 2, 3]);
  });

  it('percentile and summarize leave out missing values; nothing measured is NaN', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(percentile([NaN, 7, Infinity], 50)).toBe(7);
    expect(summarize([NaN, 2, 4])).toEqual({ n: 2, p50: 3, p95: 3.9, max: 4 });
    expect(summarize([]).n).toBe(0);
  });

  it('markdownTable writes a header, a rule and one line per row', () => {
    expect(markdownTable(['a', 'b'], [['1', '2']])).toBe('| a | b |\n| --- | --- |\n| 1 | 2 |');
  });
});
