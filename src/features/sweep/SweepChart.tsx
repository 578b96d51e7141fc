// The sweep as a chart: masked-patch PSNR against mask ratio for the model, beside the
// smooth-interpolation baseline (src/shared/baseline.ts) on the same picture under the same masks.
import { useEffect, useState } from 'react';
import { maskedPsnr, smoothInterpolate } from '../../shared/baseline';
import type { SweepState } from '../../store/types';

/** Chart size in SVG units (it scales with its box) and the space kept for the axes. */
const CHART_W = 520;
const CHART_H = 220;
const PAD = { left: 44, right: 12, top: 12, bottom: 36 } as const;
/** PSNR axis steps, in dB; the axis spans whole steps around the data. */
const PSNR_STEP_DB = 5;
/** Mask ratio axis ticks, in percent. */
const RATIO_TICKS_PCT = [0, 25, 50, 75, 100];

export interface SweepPoint { ratioPct: number; model: number | null; baseline: number | null }

/** The baseline's PSNR for each finished sweep item, computed one item per task so the page stays responsive. */
function useBaselinePsnr(sweep: SweepState): Map<number, number | null> {
  const [done, setDone] = useState<{ sweep: SweepState | null; values: Map<number, number | null> }>({ sweep: null, values: new Map() });
  const values = done.sweep?.input === sweep.input ? done.values : new Map<number, number | null>();
  const todo = sweep.items.find((i) => i.result && !values.has(i.ratioPct));
  useEffect(() => {
    if (!todo?.result) return;
    const r = todo.result;
    const timer = setTimeout(() => {
      const size = sweep.input.width;
      const patch = size / Math.round(Math.sqrt(r.mask.length));
      const pred = smoothInterpolate(sweep.input.data, size, patch, r.mask);
      const psnr = maskedPsnr(pred, sweep.input.data, size, patch, r.mask);
      setDone((d) => {
        const base = d.sweep?.input === sweep.input ? d.values : new Map<number, number | null>();
        return { sweep, values: new Map(base).set(todo.ratioPct, psnr) };
      });
    }, 0);
    return () => clearTimeout(timer);
  }, [todo, sweep]);
  return values;
}

const fmt = (v: number | null) => (v === null ? '—' : `${v.toFixed(2)} dB`);

export function SweepChart({ sweep }: { sweep: SweepState }) {
  const baseline = useBaselinePsnr(sweep);
  const points: SweepPoint[] = sweep.items.map((i) => ({
    ratioPct: i.ratioPct,
    model: i.result?.recon.metrics.psnr ?? null,
    baseline: baseline.get(i.ratioPct) ?? null,
  }));
  const finite = points.flatMap((p) => [p.model, p.baseline]).filter((v): v is number => v !== null && Number.isFinite(v));
  const lo = finite.length ? Math.floor(Math.min(...finite) / PSNR_STEP_DB) * PSNR_STEP_DB : 0;
  const hi = finite.length ? Math.max(lo + PSNR_STEP_DB, Math.ceil(Math.max(...finite) / PSNR_STEP_DB) * PSNR_STEP_DB) : 30;
  const x = (pct: number) => PAD.left + (pct / 100) * (CHART_W - PAD.left - PAD.right);
  const y = (db: number) => PAD.top + (1 - (db - lo) / (hi - lo)) * (CHART_H - PAD.top - PAD.bottom);
  const yTicks = Array.from({ length: Math.round((hi - lo) / PSNR_STEP_DB) + 1 }, (_, k) => lo + k * PSNR_STEP_DB);
  const line = (key: 'model' | 'baseline') => points.filter((p) => p[key] !== null && Number.isFinite(p[key]!))
    .map((p, k) => `${k ? 'L' : 'M'}${x(p.ratioPct).toFixed(1)},${y(p[key]!).toFixed(1)}`).join(' ');
  return (
    <figure className="sweep-chart" data-testid="sweep-chart">
      <svg viewBox={`0 0 ${CHART_W} ${CHART_H}`} role="img" aria-label="Masked-patch PSNR against mask ratio: the model and the smooth-interpolation baseline">
        {yTicks.map((t) => (
          <g key={t} className="chart-grid">
            <line x1={PAD.left} x2={CHART_W - PAD.right} y1={y(t)} y2={y(t)} />
            <text x={PAD.left - 6} y={y(t)} textAnchor="end" dominantBaseline="middle">{t}</text>
          </g>
        ))}
        {RATIO_TICKS_PCT.map((t) => (
          <text key={t} className="chart-tick" x={x(t)} y={CHART_H - PAD.bottom + 16} textAnchor="middle">{t} %</text>
        ))}
        <text className="chart-axis" x={(PAD.left + CHART_W - PAD.right) / 2} y={CHART_H - 4} textAnchor="middle">mask ratio</text>
        <text className="chart-axis" transform={`translate(12 ${(PAD.top + CHART_H - PAD.bottom) / 2}) rotate(-90)`} textAnchor="middle">PSNR (dB)</text>
        <path className="chart-line chart-baseline" d={line('baseline')} data-testid="sweep-chart-baseline" />
        <path className="chart-line chart-model" d={line('model')} data-testid="sweep-chart-model" />
        {points.map((p) => (
          <g key={p.ratioPct}>
            {p.baseline !== null && <rect className="chart-dot chart-baseline" x={x(p.ratioPct) - 3.5} y={y(p.baseline) - 3.5} width={7} height={7} />}
            {p.model !== null && Number.isFinite(p.model) && <circle className="chart-dot chart-model" cx={x(p.ratioPct)} cy={y(p.model)} r={4} />}
          </g>
        ))}
      </svg>
      <figcaption className="chart-legend">
        <strong className="chart-title">Masked-patch PSNR against mask ratio (higher is better)</strong>
        <span><span className="chart-key chart-model" aria-hidden="true" /> this checkpoint</span>
        <span><span className="chart-key chart-baseline" aria-hidden="true" /> smooth interpolation of the visible pixels (baseline)</span>
      </figcaption>
      {/* The numbers behind the chart, for screen readers and for copying. */}
      <table className="visually-hidden" data-testid="sweep-chart-table">
        <caption>Masked-patch PSNR by mask ratio</caption>
        <thead><tr><th scope="col">Mask ratio</th><th scope="col">Model</th><th scope="col">Smooth interpolation</th></tr></thead>
        <tbody>
          {points.map((p) => (
            <tr key={p.ratioPct} data-ratio={p.ratioPct} data-model={p.model ?? ''} data-baseline={p.baseline ?? ''}>
              <th scope="row">{p.ratioPct} %</th><td>{fmt(p.model)}</td><td>{fmt(p.baseline)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
