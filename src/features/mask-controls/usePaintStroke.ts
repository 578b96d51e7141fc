// Pointer painting over a masked panel: press on a patch to start a stroke (its state decides hide
// or reveal), drag to extend it; the mask updates live and is saved when the stroke ends.
import { useCallback, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import { useAppStore } from '../../store/react';
import type { GridShape } from '../../shared/inputSize';
import { beginStroke, continueStroke, moveCursor, patchAt, togglePatch, type Stroke } from './paint';

export interface PaintHandlers {
  onPointerDown(e: PointerEvent<HTMLElement>): void;
  onPointerMove(e: PointerEvent<HTMLElement>): void;
  onPointerUp(e: PointerEvent<HTMLElement>): void;
  onPointerCancel(e: PointerEvent<HTMLElement>): void;
  onLostPointerCapture(e: PointerEvent<HTMLElement>): void;
}

/** Handlers for the element showing image `key`'s masked panel; `grid` its patch grid, null when not painting. */
export function usePaintStroke(key: string, grid: GridShape | null): PaintHandlers {
  const store = useAppStore();
  const stroke = useRef<Stroke | null>(null);

  const patchOf = useCallback((e: PointerEvent<HTMLElement>) => {
    if (grid === null) return null;
    const r = e.currentTarget.getBoundingClientRect();
    return patchAt(e.clientX - r.left, e.clientY - r.top, r.width, r.height, grid.rows, grid.cols);
  }, [grid]);

  const end = useCallback(() => {
    if (!stroke.current) return;
    stroke.current = null;
    const mask = store.getState().entries[key]?.paintedMask;
    if (mask) store.getState().setPaintedMask(key, mask, true);
  }, [store, key]);

  const onPointerDown = useCallback((e: PointerEvent<HTMLElement>) => {
    if (grid === null || (e.pointerType === 'mouse' && e.button !== 0)) return;
    const index = patchOf(e);
    const mask = store.getState().entries[key]?.paintedMask;
    if (index === null || !mask) return;
    e.preventDefault();
    e.currentTarget.setPointerCapture?.(e.pointerId);
    const r = beginStroke(mask, index);
    stroke.current = r.stroke;
    if (r.mask !== mask) store.getState().setPaintedMask(key, r.mask);
  }, [grid, patchOf, store, key]);

  const onPointerMove = useCallback((e: PointerEvent<HTMLElement>) => {
    if (!stroke.current || grid === null) return;
    const index = patchOf(e);
    const mask = store.getState().entries[key]?.paintedMask;
    if (index === null || !mask) return;
    const r = continueStroke(stroke.current, mask, index, grid.cols);
    stroke.current = r.stroke;
    if (r.mask !== mask) store.getState().setPaintedMask(key, r.mask);
  }, [grid, patchOf, store, key]);

  return { onPointerDown, onPointerMove, onPointerUp: end, onPointerCancel: end, onLostPointerCapture: end };
}

/** Keyboard painting on the focused masked panel: arrows move a cursor, Space or Enter flips the patch. */
export function useKeyboardPaint(key: string, grid: GridShape | null): { cursor: number; onKeyDown(e: KeyboardEvent<HTMLElement>): void } {
  const store = useAppStore();
  const [cursor, setCursor] = useState(0);
  const onKeyDown = useCallback((e: KeyboardEvent<HTMLElement>) => {
    if (grid === null) return;
    const at = Math.min(cursor, grid.rows * grid.cols - 1);
    if (e.key === ' ' || e.key === 'Enter') {
      e.preventDefault();
      const mask = store.getState().entries[key]?.paintedMask;
      if (!mask) return;
      const next = togglePatch(mask, at);
      if (next !== mask) store.getState().setPaintedMask(key, next, true);
      return;
    }
    const moved = moveCursor(at, e.key, grid.cols, grid.rows);
    if (moved === null) return;
    e.preventDefault();
    setCursor(moved);
  }, [grid, cursor, store, key]);
  return { cursor, onKeyDown };
}
