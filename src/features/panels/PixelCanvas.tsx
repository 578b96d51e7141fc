import { useEffect, useRef, type CanvasHTMLAttributes } from 'react';

export interface Pixels { width: number; height: number; data: Uint8ClampedArray }

function toImageData(p: Pixels): ImageData {
  // ImageData wants a plain ArrayBuffer behind its array.
  const data = p.data.buffer instanceof ArrayBuffer
    ? (p.data as Uint8ClampedArray<ArrayBuffer>)
    : new Uint8ClampedArray(p.data);
  return new ImageData(data, p.width, p.height);
}

/**
 * A canvas showing RGBA pixels at their own resolution (CSS scales it); drawn in an effect, never in
 * render. `fallbackSize`: its size with no pixels (a side, or width and height).
 */
export function PixelCanvas({ pixels, fallbackSize, ...rest }: { pixels: Pixels | null; fallbackSize: number | { width: number; height: number } } & CanvasHTMLAttributes<HTMLCanvasElement>) {
  const ref = useRef<HTMLCanvasElement>(null);
  const fallback = typeof fallbackSize === 'number' ? { width: fallbackSize, height: fallbackSize } : fallbackSize;
  const width = pixels?.width ?? fallback.width;
  const height = pixels?.height ?? fallback.height;
  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    if (!pixels) {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      return;
    }
    ctx.putImageData(toImageData(pixels), 0, 0);
  }, [pixels, width, height]);
  return <canvas ref={ref} width={width} height={height} data-drawn={pixels ? 'true' : 'false'} {...rest} />;
}
