// The loss curves as SVG geometry (pure): steps along x over the whole run, loss along y from the
// lowest to the highest value of every series, each series one polyline; long runs are thinned to
// one point per pixel column.

/** Plot size in SVG user units (the SVG scales to its box). */
export const PLOT_WIDTH = 320;
export const PLOT_HEIGHT = 120;
/** Margin inside the plot, in SVG user units. */
export const PLOT_PAD = 6;

/** One point of a curve: the loss after `step` steps. */
export interface LossPoint {
  step: number;
  loss: number;
}

export interface CurveGeometry {
  /** Each series' polyline points ("x,y x,y ..."), empty for a series with no finite point. */
  points: string[];
  minLoss: number | null;
  maxLoss: number | null;
}

/** The per-step losses of a run (step i+1 at index i) as points. */
export const stepPoints = (losses: readonly number[]): LossPoint[] => losses.map((loss, i) => ({ step: i + 1, loss }));

/**
 * The polylines of `series` over a run of `totalSteps`: x spans the whole run (curves grow to the
 * right as steps come), y the range of every series together (flat when one value). Non-finite
 * losses are left out.
 */
export function lossCurves(series: readonly (readonly LossPoint[])[], totalSteps: number,
  width = PLOT_WIDTH, height = PLOT_HEIGHT, pad = PLOT_PAD): CurveGeometry {
  const finite = series.map((s) => s.filter((p) => Number.isFinite(p.loss)));
  const all = finite.flat();
  if (!all.length) return { points: series.map(() => ''), minLoss: null, maxLoss: null };
  const lo = Math.min(...all.map((p) => p.loss));
  const hi = Math.max(...all.map((p) => p.loss));
  const span = Math.max(1, totalSteps, ...all.map((p) => p.step));
  const x = (step: number) => pad + ((width - 2 * pad) * step) / span;
  const y = (loss: number) => (hi === lo ? height / 2 : pad + ((height - 2 * pad) * (hi - loss)) / (hi - lo));
  const points = finite.map((s) => {
    const out: string[] = [];
    let lastColumn = -1;
    s.forEach((p, i) => {
      const px = x(p.step);
      // One point per pixel column is all a plot this size can show (the last point always stays).
      if (Math.floor(px) === lastColumn && i !== s.length - 1) return;
      lastColumn = Math.floor(px);
      out.push(`${px.toFixed(1)},${y(p.loss).toFixed(1)}`);
    });
    return out.join(' ');
  });
  return { points, minLoss: lo, maxLoss: hi };
}
