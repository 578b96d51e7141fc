import type { CSSProperties, ReactNode } from 'react';
import { PixelCanvas, type Pixels } from './PixelCanvas';

export interface PanelProps {
  testId: string;
  title: ReactNode;
  /** Accessible description of the picture. */
  label: string;
  pixels: Pixels | null;
  size: number;
  /** Patches a side, for the grid overlay (null: no grid). */
  grid: number | null;
  placeholder?: string;
  overlay?: ReactNode;
  className?: string;
  frameProps?: React.HTMLAttributes<HTMLDivElement>;
}

export function Panel({ testId, title, label, pixels, size, grid, placeholder, overlay, className, frameProps }: PanelProps) {
  return (
    <figure className={`panel ${className ?? ''}`}>
      <div className="panel-frame" style={grid ? ({ '--grid': grid } as CSSProperties) : undefined} {...frameProps}>
        <PixelCanvas pixels={pixels} fallbackSize={size} data-testid={testId} role="img" aria-label={label} className="panel-canvas" />
        {overlay}
        {grid !== null && <div className="grid-overlay" aria-hidden="true" />}
        {!pixels && <div className="panel-placeholder" aria-hidden="true"><span>{placeholder ?? '…'}</span></div>}
      </div>
      <figcaption>{title}</figcaption>
    </figure>
  );
}
