// One picture reconstructed at 10, 25, 50, 75 and 90 % with the same seed, in one strip.
import { useMemo } from 'react';
import { maskedPanel, type MaskStyle } from '../../shared/panels';
import { useAppStore } from '../../store/react';
import type { SweepItem, SweepState } from '../../store/types';
import { formatPsnr } from '../metrics/format';
import { PixelCanvas } from '../panels/PixelCanvas';
import { SweepChart } from './SweepChart';

function SweepCell({ item, sweep, maskStyle }: { item: SweepItem; sweep: SweepState; maskStyle: MaskStyle }) {
  const r = item.result;
  const { width, height } = sweep.input;
  const size = { width, height };
  const masked = useMemo(() => {
    if (!r) return null;
    // Square patches: L = (W / p) (H / p).
    const patch = Math.round(Math.sqrt((width * height) / r.mask.length));
    return { width, height, data: maskedPanel(sweep.input.data, width, patch, r.mask, maskStyle, height) };
  }, [r, sweep.input, width, height, maskStyle]);
  // A picture at its own aspect keeps it here too.
  const style = width !== height ? { aspectRatio: `${width} / ${height}` } : undefined;
  const psnr = r ? formatPsnr(r.recon.metrics.psnr) : null;
  return (
    <li className="sweep-cell" data-testid="sweep-cell" data-ratio={item.ratioPct} data-drawn={r ? 'true' : 'false'}>
      <div className="sweep-pair">
        <PixelCanvas pixels={masked} fallbackSize={size} style={style} className="sweep-canvas" role="img" aria-label={`Masked at ${item.ratioPct} %`} />
        <PixelCanvas pixels={r?.recon.pasted ?? null} fallbackSize={size} style={style} className="sweep-canvas" role="img" aria-label={`Reconstruction at ${item.ratioPct} %`} />
      </div>
      <div className="sweep-label">
        <strong>{item.ratioPct} %</strong>
        {item.error ? <span className="sweep-error">{item.error}</span> : psnr ? <span title={psnr.title}>{psnr.text}</span> : <span className="spinner" aria-label="working" />}
      </div>
    </li>
  );
}

export function SweepStrip({ imageKey, sweep, maskStyle }: { imageKey: string; sweep: SweepState; maskStyle: MaskStyle }) {
  const store = useAppStore();
  return (
    <section className="sweep" data-testid="sweep-strip" aria-label="Mask ratio sweep">
      <header className="sweep-head">
        <span>Ratio sweep · {sweep.pattern} mask · seed {sweep.seed} <span className="muted">(top: input, bottom: reconstruction + visible)</span></span>
        <button type="button" className="button button-quiet" onClick={() => store.getState().closeSweep(imageKey)} aria-label="Close the sweep">Close</button>
      </header>
      <ol className="sweep-cells">
        {sweep.items.map((item) => <SweepCell key={item.ratioPct} item={item} sweep={sweep} maskStyle={maskStyle} />)}
      </ol>
      <SweepChart sweep={sweep} />
    </section>
  );
}
