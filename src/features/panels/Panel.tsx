import { useState, type CSSProperties, type PointerEvent, type ReactNode } from 'react';
import type { GridShape, PixelSize } from '../../shared/inputSize';
import { PixelCanvas, type Pixels } from './PixelCanvas';

export interface PanelProps {
  testId: string;
  title: ReactNode;
  /** Accessible description of the picture. */
  label: string;
  pixels: Pixels | null;
  /** The picture's size (the frame takes its aspect). */
  size: PixelSize;
  /** The patch grid, for the grid overlay (null: no grid). */
  grid: GridShape | null;
  placeholder?: string;
  overlay?: ReactNode;
  className?: string;
  frameProps?: React.HTMLAttributes<HTMLDivElement>;
  /** The patch grid and the words for one patch (by index): a tooltip follows the pointer. */
  patchTip?: { grid: GridShape; text: (patch: number) => string } | null;
  /** Opens the panel larger; the panel gets an Enlarge button (and a click on the picture opens it). */
  onEnlarge?: (() => void) | null;
  /** Name of the panel for the Enlarge button. */
  name?: string;
  /** One short line under the title: what the panel shows. */
  hint?: string;
  /** Mask ratio (percent) the pixels show, for tests and the browser benchmark ('' when painted or none). */
  'data-mask-ratio'?: string;
  /** Patches hidden in the pixels shown. */
  'data-masked'?: number | string;
  /** Rows and columns of the patch grid the pixels are cut into (for tests). */
  'data-grid-rows'?: number | string;
  'data-grid-cols'?: number | string;
}

/** The patch under the pointer, or null outside the frame. */
function patchAt(e: PointerEvent<HTMLDivElement>, grid: GridShape): number | null {
  const r = e.currentTarget.getBoundingClientRect();
  const col = Math.floor(((e.clientX - r.left) / r.width) * grid.cols);
  const row = Math.floor(((e.clientY - r.top) / r.height) * grid.rows);
  return col < 0 || row < 0 || col >= grid.cols || row >= grid.rows ? null : row * grid.cols + col;
}

export function Panel({ testId, title, label, pixels, size, grid, placeholder, overlay, className, frameProps, patchTip, onEnlarge, name, hint, ...data }: PanelProps) {
  const [hover, setHover] = useState<number | null>(null);
  const tip = patchTip && pixels ? patchTip : null;
  const tipGrid = tip?.grid ?? { rows: 1, cols: 1 };
  const hoverProps = tip ? {
    onPointerMove: (e: PointerEvent<HTMLDivElement>) => {
      if (e.pointerType === 'touch') return;
      setHover(patchAt(e, tip.grid));
    },
    onPointerLeave: () => setHover(null),
  } : {};
  const enlarge = onEnlarge && pixels ? onEnlarge : null;
  const row = hover === null ? 0 : Math.floor(hover / tipGrid.cols);
  const col = hover === null ? 0 : hover % tipGrid.cols;
  // The tooltip sits below patches in the top half and above those in the bottom half.
  const below = row < tipGrid.rows / 2;
  const frameStyle: CSSProperties & Record<string, string | number> = {};
  // A picture that is not square (another input size or the whole picture) gives the frame its aspect.
  if (size.width !== size.height) frameStyle.aspectRatio = `${size.width} / ${size.height}`;
  if (grid) {
    frameStyle['--grid-cols'] = grid.cols;
    frameStyle['--grid-rows'] = grid.rows;
  }
  return (
    <figure className={`panel ${className ?? ''}`} {...data}>
      {/* The tooltip lives outside the frame, which clips to its rounded corners. */}
      <div className="panel-box">
        <div className="panel-frame" style={frameStyle}
          onClick={enlarge && !frameProps?.onPointerDown ? enlarge : undefined} {...hoverProps} {...frameProps}
          data-enlargeable={enlarge ? 'true' : undefined}>
          <PixelCanvas pixels={pixels} fallbackSize={size} data-testid={testId} role="img" aria-label={label} className="panel-canvas" />
          {overlay}
          {grid !== null && <div className="grid-overlay" aria-hidden="true" />}
          {tip && hover !== null && (
            <div className="patch-highlight" aria-hidden="true" style={{
              left: `${(col / tipGrid.cols) * 100}%`, top: `${(row / tipGrid.rows) * 100}%`, width: `${100 / tipGrid.cols}%`, height: `${100 / tipGrid.rows}%`,
            }} />
          )}
          {!pixels && <div className="panel-placeholder" aria-hidden="true"><span>{placeholder ?? '…'}</span></div>}
          {enlarge && (
            <button type="button" className="panel-enlarge" data-testid={`${testId}-enlarge`} aria-label={`Enlarge ${name ?? label}`}
              title="Enlarge" onClick={(e) => { e.stopPropagation(); enlarge(); }}>
              <span className="panel-enlarge-icon" aria-hidden="true">
                <svg viewBox="0 0 16 16" width="16" height="16" focusable="false">
                  <path d="M2 6V2h4M10 2h4v4M14 10v4h-4M6 14H2v-4" fill="none" stroke="currentColor" strokeWidth="1.6" />
                </svg>
              </span>
            </button>
          )}
        </div>
        {tip && hover !== null && (
          <div className={`patch-tip ${below ? 'is-below' : 'is-above'}`} role="tooltip" data-testid="patch-tip" data-patch={hover}
            style={{ left: `${((col + 0.5) / tipGrid.cols) * 100}%`, top: `${((row + (below ? 1 : 0)) / tipGrid.rows) * 100}%` }}>
            {tip.text(hover)}
          </div>
        )}
      </div>
      <figcaption>{title}{hint && <span className="panel-hint" data-testid="panel-hint">{hint}</span>}</figcaption>
    </figure>
  );
}
