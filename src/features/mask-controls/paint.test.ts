import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyStroke, beginStroke, continueStroke, maskedCount, moveCursor, patchAt, patchesBetween, strokeModeAt, togglePatch } from './paint';

const G = 4; // 4 x 4 patches

describe('painted mask', () => {
  it('lets the first patch decide: visible starts a hiding stroke, masked a revealing one', () => {
    const mask = Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(strokeModeAt(mask, 0)).toBe('reveal');
    expect(strokeModeAt(mask, 1)).toBe('hide');

    const hide = beginStroke(mask, 1);
    expect(hide.stroke.mode).toBe('hide');
    expect(Array.from(hide.mask.slice(0, 3))).toEqual([1, 1, 0]);
    // Dragging over an already-masked patch keeps it masked (no toggling back and forth).
    const over = continueStroke(hide.stroke, hide.mask, 0, G);
    expect(over.mask[0]).toBe(1);

    const reveal = beginStroke(mask, 0);
    expect(reveal.stroke.mode).toBe('reveal');
    expect(reveal.mask[0]).toBe(0);
    const on = continueStroke(reveal.stroke, reveal.mask, 3, G);
    expect(maskedCount(on.mask)).toBe(0);
  });

  it('does not mutate its input and returns it unchanged when nothing changes', () => {
    const mask = new Uint8Array(16);
    const copy = Uint8Array.from(mask);
    const r = applyStroke(mask, [1, 2], 'hide');
    expect(mask).toEqual(copy);
    expect(r).not.toBe(mask);
    expect(applyStroke(mask, [1, 2], 'reveal')).toBe(mask);
    expect(applyStroke(mask, [-1, 99], 'hide')).toBe(mask);
  });

  it('fills the patches between two far pointer positions', () => {
    expect(patchesBetween(0, 3, G)).toEqual([0, 1, 2, 3]);
    expect(patchesBetween(0, 15, G)).toEqual([0, 5, 10, 15]);
    expect(patchesBetween(12, 0, G)).toEqual([12, 8, 4, 0]);
    const start = beginStroke(new Uint8Array(16), 0);
    const r = continueStroke(start.stroke, start.mask, 15, G);
    expect([0, 5, 10, 15].every((i) => r.mask[i] === 1)).toBe(true);
    expect(maskedCount(r.mask)).toBe(4);
  });

  it('never hides the last visible patch', () => {
    const mask = new Uint8Array(16).fill(1);
    mask[5] = 0;
    mask[6] = 0;
    const r = applyStroke(mask, [5, 6], 'hide');
    expect(maskedCount(r)).toBe(15);
    fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16, max: 1 }), fc.array(fc.integer({ min: 0, max: 15 })), (m, cells) => {
      const visibleBefore = 16 - maskedCount(m);
      const out = applyStroke(m, cells, 'hide');
      const visibleAfter = 16 - maskedCount(out);
      expect(visibleAfter).toBe(visibleBefore === 0 ? 0 : Math.max(1, visibleBefore - new Set(cells.filter((c) => !m[c])).size));
    }));
  });

  it('maps pointer positions to patches', () => {
    expect(patchAt(0, 0, 100, 100, G)).toBe(0);
    expect(patchAt(99.9, 99.9, 100, 100, G)).toBe(15);
    expect(patchAt(30, 60, 100, 100, G)).toBe(2 * G + 1);
    expect(patchAt(-1, 5, 100, 100, G)).toBeNull();
    expect(patchAt(100, 5, 100, 100, G)).toBeNull();
    expect(patchAt(5, 5, 0, 0, G)).toBeNull();
  });

  it('a straight line between two patches visits each row or column once', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 15 }), (a, b) => {
      const line = patchesBetween(a, b, G);
      expect(line[0]).toBe(a);
      expect(line.at(-1)).toBe(b);
      const steps = Math.max(Math.abs((a % G) - (b % G)), Math.abs(Math.floor(a / G) - Math.floor(b / G)));
      expect(line.length).toBe(steps + 1);
    }));
  });

  it('paints from the keyboard', () => {
    expect(moveCursor(5, 'ArrowLeft', G)).toBe(4);
    expect(moveCursor(4, 'ArrowLeft', G)).toBe(4);
    expect(moveCursor(5, 'ArrowDown', G)).toBe(9);
    expect(moveCursor(13, 'ArrowDown', G)).toBe(13);
    expect(moveCursor(1, 'ArrowUp', G)).toBe(1);
    expect(moveCursor(6, 'End', G)).toBe(7);
    expect(moveCursor(6, 'Home', G)).toBe(4);
    expect(moveCursor(6, 'a', G)).toBeNull();
    const m = new Uint8Array(16);
    const once = togglePatch(m, 3);
    expect(once[3]).toBe(1);
    expect(togglePatch(once, 3)[3]).toBe(0);
  });
});
