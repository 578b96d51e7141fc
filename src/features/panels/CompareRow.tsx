// Checkpoint B's take on one picture, under A's panels: its masked input, reconstruction,
// reconstruction + visible, and its figures; says whether the two hid the same patches.
import { useMemo, useState } from 'react';
import { patchMse } from '../../shared/baseline';
import { maskedPanel } from '../../shared/panels';
import { sameMask } from '../../store/compareSlice';
import { useApp } from '../../store/react';
import type { ImageEntry } from '../../store/types';
import { formatParams } from '../checkpoint/format';
import { Metrics } from '../metrics/Metrics';
import { formatMs } from '../metrics/format';
import { errorHeatmap } from './heatmap';
import { Panel, type PanelProps } from './Panel';
import { PanelDialog } from './PanelDialog';
import { patchTipFor } from './patchTip';
import { PixelCanvas } from './PixelCanvas';

const gridOf = (maskLength: number) => Math.round(Math.sqrt(maskLength));

export function CompareRow({ entry }: { entry: ImageEntry }) {
  const row = useApp((s) => s.compare.rows[entry.key]);
  const checkpoint = useApp((s) => s.compare.checkpoint);
  const info = useApp((s) => s.compare.info);
  const aInfo = useApp((s) => s.model.info);
  const phase = useApp((s) => s.compare.phase);
  const settings = useApp((s) => s.settings);
  const result = row?.result ?? null;

  const masked = useMemo(() => {
    if (!result) return null;
    const s = result.input.width;
    return { width: s, height: s, data: maskedPanel(result.input.data, s, s / gridOf(result.recon.mask.length), result.recon.mask, settings.maskStyle) };
  }, [result, settings.maskStyle]);
  const heat = useMemo(() => {
    if (!settings.heatmap || !result) return null;
    const { width, height } = result.recon.reconstruction;
    return { width, height, data: errorHeatmap(result.recon.errorMap, width, height) };
  }, [settings.heatmap, result]);

  const patchErrors = useMemo(() => {
    if (!result) return null;
    const s = result.recon.reconstruction.width;
    return patchMse(result.recon.errorMap, s, s / gridOf(result.recon.mask.length));
  }, [result]);
  const [enlarged, setEnlarged] = useState<string | null>(null);

  if (!info || !checkpoint) return null;
  const size = result?.input.width ?? info.imgSize;
  const grid = info.imgSize / info.patchSize;
  const numPatches = result ? result.recon.mask.length : grid * grid;
  const gridOverlay = settings.grid ? gridOf(numPatches) : null;
  const waiting = row?.error ? 'failed' : phase === 'loading' ? 'loading B…' : 'reconstructing…';

  const aMask = entry.result?.recon.mask;
  const bMask = result?.recon.mask;
  const aGrid = aInfo ? aInfo.imgSize / aInfo.patchSize : null;
  const gridsDiffer = aGrid !== null && aGrid !== grid;
  const same = sameMask(aMask, bMask);
  let maskNote: string;
  if (gridsDiffer) {
    maskNote = `The masks differ: B cuts the picture into ${grid}×${grid} patches of ${info.patchSize} px (at ${info.imgSize} px), A into ${aGrid}×${aGrid} of ${aInfo!.patchSize} px; B's mask comes from the same pattern, ratio and seed${settings.pattern === 'painted' ? ' (the painting, carried over to its grid)' : ''}.`;
  } else if (aInfo && aInfo.imgSize !== info.imgSize) {
    maskNote = `Same patches hidden, but B sees the picture at ${info.imgSize} px (A at ${aInfo.imgSize} px).`;
  } else maskNote = aMask && bMask ? (same ? 'Same mask as A.' : 'The masks differ (A or B is still catching up).') : 'Same pattern, ratio and seed as A.';

  const heatOverlay = heat && <PixelCanvas pixels={heat} fallbackSize={size} className="panel-overlay" aria-hidden="true" />;
  const panels: { id: string; props: PanelProps }[] = [
    { id: 'masked', props: { testId: 'compare-panel-masked', name: 'B: masked input', title: 'B: masked input', label: 'Masked input, as B sees it',
      pixels: masked, size, grid: gridOverlay, placeholder: waiting } },
    { id: 'reconstruction', props: { testId: 'compare-panel-reconstruction', name: 'B: reconstruction', title: 'B: reconstruction',
      label: "B's reconstruction of every patch", pixels: result?.recon.reconstruction ?? null, size, grid: gridOverlay, placeholder: waiting,
      overlay: heatOverlay, patchTip: patchTipFor(result?.recon ?? null, patchErrors, false) } },
    { id: 'pasted', props: { testId: 'compare-panel-pasted', name: 'B: reconstruction + visible', title: 'B: reconstruction + visible',
      label: "Visible patches with B's reconstruction pasted into the hidden ones", pixels: result?.recon.pasted ?? null, size,
      grid: gridOverlay, placeholder: waiting, patchTip: patchTipFor(result?.recon ?? null, patchErrors, true) } },
  ];
  const big = panels.find((p) => p.id === enlarged);

  return (
    <section className={`compare-row ${row?.pending ? 'is-pending' : ''}`} data-testid="compare-row" data-key={entry.key}
      data-pending={row?.pending ? 'true' : 'false'} data-same-mask={aMask && bMask ? String(same) : ''} data-masks-differ={gridsDiffer ? 'true' : 'false'}
      data-result-ratio={result?.ratioPct ?? ''} data-result-seed={result?.seed ?? ''} data-result-pattern={result?.pattern ?? ''}
      aria-label={`Checkpoint B: ${checkpoint.label}`} aria-busy={row?.pending ?? false}>
      <div className="compare-info">
        <div className="compare-head">
          <span className="compare-tag" aria-hidden="true">B</span>
          <strong className="compare-label" title={checkpoint.label}>{checkpoint.label}</strong>
          {row?.pending && <span className="spinner" role="status" aria-label="B reconstructing" />}
        </div>
        <span className="muted compare-meta">{formatParams(info.parameters)} params · patch {info.patchSize} px{result && <> · {formatMs(result.recon.timings.totalMs)}</>}</span>
        <span className={`compare-mask-note ${gridsDiffer ? 'is-different' : ''}`} data-testid="compare-mask-note">{maskNote}</span>
        {row?.error && <p className="row-warning" role="alert" data-testid="compare-error-row">B failed: {row.error}</p>}
        <Metrics metrics={result?.recon.metrics ?? null} numPatches={numPatches} />
      </div>
      {panels.map(({ id, props }) => <Panel key={id} {...props} onEnlarge={() => setEnlarged(id)} />)}
      {big && (
        <PanelDialog title={`${entry.name}: ${big.props.name}`} onClose={() => setEnlarged(null)}>
          <Panel {...big.props} testId={`${big.props.testId}-large`} className="panel-large" />
        </PanelDialog>
      )}
    </section>
  );
}
