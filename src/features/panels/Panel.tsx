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
  /** Mask ratio (percent) the pixels show, for tests and the browser benchmark ('' when painted or none). */
  'data-mask-ratio'?: string;
  /** Patches hidden in the pixels shown. */
  'data-masked'?: number | string;
}

export function Panel({ testId, title, label, pixels, size, grid, placeholder, overlay, className, frameProps, ...data }: PanelProps) {
  return (
    <figure className={`panel ${className ?? ''}`} {...data}>
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
