// The error heatmap's scale: the colour ramp against RMS error in 8-bit levels.
import { HEATMAP_FULL_SCALE, RAMP_CSS } from './heatmap';

/** Labelled steps along the legend (the ramp is linear in RMS error up to the full scale). */
const LEGEND_STEPS = 4;

export function HeatmapLegend() {
  const ticks = Array.from({ length: LEGEND_STEPS + 1 }, (_, k) => Math.round((k / LEGEND_STEPS) * HEATMAP_FULL_SCALE));
  return (
    <figure className="heat-legend" data-testid="heatmap-legend" aria-label="Error heatmap scale">
      <div className="heat-legend-bar" style={{ background: RAMP_CSS }} aria-hidden="true" />
      <div className="heat-legend-ticks" aria-hidden="true">
        {ticks.map((t, k) => <span key={t} style={{ left: `${(k / LEGEND_STEPS) * 100}%` }}>{k === LEGEND_STEPS ? `≥ ${t}` : t}</span>)}
      </div>
      <figcaption className="hint">
        Error heatmap over the reconstruction: per-pixel RMS error in 8-bit levels (0–255), from clear (none) to full colour
        at {HEATMAP_FULL_SCALE} levels or more. Hover a patch for its error.
      </figcaption>
    </figure>
  );
}
