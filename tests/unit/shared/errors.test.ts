// Messages made from file and server content: one printable line, bounded, control characters escaped.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LoadError, MAX_MESSAGE_CHARS, MAX_QUOTED_NAME_CHARS, nameOf, printable } from '../../../src/shared/errors';

// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

describe('printable text', () => {
  it('escapes newlines and terminal codes', () => {
    expect(printable('a\nb\r\tc\u001b[31m\u0000\u2028')).toBe('a\\nb\\r\\tc\\x1b[31m\\x00\\u2028');
  });

  it('is one line of at most the limit for any input (property)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), (s) => {
      const p = printable(s);
      expect(p).not.toMatch(CONTROL_RE);
      expect(p.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
      if (s.length <= MAX_MESSAGE_CHARS / 6 && !CONTROL_RE.test(s)) expect(p).toBe(s);
    }), { numRuns: 500 });
  });

  it('cuts names short, and never copies a huge string whole', () => {
    expect(nameOf('x'.repeat(1000))).toHaveLength(MAX_QUOTED_NAME_CHARS);
    expect(nameOf('x'.repeat(1000)).endsWith('…')).toBe(true);
    const huge = 'y'.repeat(50_000_000);
    const t0 = performance.now();
    expect(printable(huge)).toHaveLength(MAX_MESSAGE_CHARS);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('is what a LoadError says, whatever it was given', () => {
    const e = new LoadError('bad name x\nmae: checkpoint OK', 'not-a-checkpoint');
    expect(e.message).toBe('bad name x\\nmae: checkpoint OK');
    expect(e).toMatchObject({ code: 'not-a-checkpoint', name: 'LoadError' });
  });
});
