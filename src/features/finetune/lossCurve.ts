// The loss curve as SVG geometry (pure): steps along x, loss along y from the run's lowest to its
// highest loss, drawn as one polyline; long runs are thinned to one point per pixel column.

/** Plot size in SVG user units (the SVG scales to its box). */
export const PLOT_WIDTH = 320;
export const PLOT_HEIGHT = 120;
/** Space for the axis labels, in SVG user units. */
export const PLOT_PAD = 6;

export interface CurveGeometry {
  /** The polyline's points ("x,y x,y ..."), empty with no losses. */
  points: string;
  minLoss: number | null;
  maxLoss: number | null;
}

/**
 * The polyline of `losses` (loss of step i+1 at index i) over a run of `totalSteps`: x spans the
 * whole run (the curve grows to the right as steps come), y the losses' range (flat when one value).
 * Non-finite losses are left out.
 */
export function lossCurve(losses: readonly number[], totalSteps: number, width = PLOT_WIDTH, height = PLOT_HEIGHT, pad = PLOT_PAD): CurveGeometry {
  const finite = losses.map((l, i) => ({ step: i + 1, loss: l })).filter((p) => Number.isFinite(p.loss));
  if (!finite.length) return { points: '', minLoss: null, maxLoss: null };
  const lo = Math.min(...finite.map((p) => p.loss));
  const hi = Math.max(...finite.map((p) => p.loss));
  const span = Math.max(1, totalSteps, finite[finite.length - 1].step);
  const x = (step: number) => pad + ((width - 2 * pad) * step) / span;
  const y = (loss: number) => (hi === lo ? height / 2 : pad + ((height - 2 * pad) * (hi - loss)) / (hi - lo));
  const out: string[] = [];
  let lastColumn = -1;
  for (const p of finite) {
    const px = x(p.step);
    // One point per pixel column is all a plot this size can show.
    if (Math.floor(px) === lastColumn && p !== finite[finite.length - 1]) continue;
    lastColumn = Math.floor(px);
    out.push(`${px.toFixed(1)},${y(p.loss).toFixed(1)}`);
  }
  return { points: out.join(' '), minLoss: lo, maxLoss: hi };
}
