// One picture: its four panels (original, masked, reconstruction, reconstruction + visible),
// its figures, its buttons, and its sweep strip.
import { memo, useMemo, useState } from 'react';
import { patchMse } from '../../shared/baseline';
import { maskedPanel } from '../../shared/panels';
import { DEFAULT_IMG_SIZE } from '../../store/createAppStore';
import { useApp, useAppStore } from '../../store/react';
import type { ImageEntry } from '../../store/types';
import { Metrics } from '../metrics/Metrics';
import { formatLoss, formatMs, formatMse, formatPsnr } from '../metrics/format';
import { maskedCount } from '../mask-controls/paint';
import { useKeyboardPaint, usePaintStroke } from '../mask-controls/usePaintStroke';
import { SweepStrip } from '../sweep/SweepStrip';
import { CompareRow } from './CompareRow';
import { downloadName, figureText } from './compose';
import { labelledFigurePng, saveBlob } from './download';
import { errorHeatmap } from './heatmap';
import { HeatmapLegend } from './HeatmapLegend';
import { Panel, type PanelProps } from './Panel';
import { PanelDialog } from './PanelDialog';
import { patchTipFor } from './patchTip';
import { PixelCanvas } from './PixelCanvas';
import { useVisibility } from './useVisibility';

function ErrorRow({ entry }: { entry: ImageEntry }) {
  const store = useAppStore();
  return (
    <article className="row row-error" data-testid="image-error" data-key={entry.key} role="alert">
      <span className="row-error-icon" aria-hidden="true">!</span>
      <div className="row-error-text">
        <strong className="row-name" title={entry.name}>{entry.name}</strong>
        <span data-testid="image-error-message">{entry.error}</span>
      </div>
      <button type="button" className="button button-quiet" onClick={() => store.getState().removeImage(entry.key)}
        aria-label={`Dismiss the message about ${entry.name}`}>Dismiss</button>
    </article>
  );
}

/** Patch size of a result, from its mask (robust to a checkpoint change in flight). */
const patchOf = (size: number, maskLength: number) => size / Math.round(Math.sqrt(maskLength));

function ReadyRow({ entry }: { entry: ImageEntry }) {
  const store = useAppStore();
  const settings = useApp((s) => s.settings);
  const info = useApp((s) => s.model.info);
  const phase = useApp((s) => s.model.phase);
  const comparing = useApp((s) => s.compare.info !== null && s.compare.phase !== 'off');
  const aLabel = useApp((s) => s.model.checkpoint?.label ?? null);
  const ref = useVisibility<HTMLElement>(entry.key);
  const [saving, setSaving] = useState(false);

  const { result, fitted, paintedMask } = entry;
  const size = fitted?.width ?? info?.imgSize ?? DEFAULT_IMG_SIZE;
  const patch = info?.patchSize ?? 16;
  const grid = size / patch;
  const painting = settings.pattern === 'painted' && !!fitted && !!paintedMask && paintedMask.length === grid * grid;
  const paint = usePaintStroke(entry.key, painting ? grid : null);
  const keys = useKeyboardPaint(entry.key, painting ? grid : null);

  const masked = useMemo(() => {
    if (painting) return { width: size, height: size, data: maskedPanel(fitted!.data, size, patch, paintedMask!, settings.maskStyle) };
    if (!result) return null;
    const s = result.input.width;
    return { width: s, height: s, data: maskedPanel(result.input.data, s, patchOf(s, result.recon.mask.length), result.recon.mask, settings.maskStyle) };
  }, [painting, fitted, size, patch, paintedMask, result, settings.maskStyle]);

  const heat = useMemo(() => {
    if (!settings.heatmap || !result) return null;
    const { width, height } = result.recon.reconstruction;
    return { width, height, data: errorHeatmap(result.recon.errorMap, width, height) };
  }, [settings.heatmap, result]);

  const numPatches = result ? result.recon.mask.length : grid * grid;
  const shownMasked = painting ? maskedCount(paintedMask!) : result?.recon.metrics.maskedCount;
  const gridOverlay = settings.grid ? grid : null;
  const waiting = phase === 'error' ? 'model unavailable' : entry.status === 'decoding' ? 'decoding…' : 'reconstructing…';

  const download = async () => {
    if (!result || !masked) return;
    setSaving(true);
    try {
      const s = result.input.width;
      const maskedForResult = maskedPanel(result.input.data, s, patchOf(s, result.recon.mask.length), result.recon.mask, settings.maskStyle);
      const m = result.recon.metrics;
      const text = figureText({
        imageName: entry.name, checkpoint: aLabel, pattern: result.pattern, ratioPct: result.ratioPct, seed: result.seed,
        maskedCount: m.maskedCount, numPatches: result.recon.mask.length,
        mse: formatMse(m.mse).text, psnr: formatPsnr(m.psnr).text, loss: formatLoss(m.loss).text,
      });
      const png = await labelledFigurePng([result.input.data, maskedForResult, result.recon.reconstruction.data, result.recon.pasted.data], s, text);
      saveBlob(png, downloadName(entry.name, result));
    } catch (e) {
      store.getState().notify('error', `The PNG could not be made: ${(e as Error).message}`);
    } finally {
      setSaving(false);
    }
  };

  // Per-patch error of the shown result, for the tooltip over the reconstruction panels. [L]
  const patchErrors = useMemo(() => {
    if (!result) return null;
    const s = result.recon.reconstruction.width;
    return patchMse(result.recon.errorMap, s, patchOf(s, result.recon.mask.length));
  }, [result]);
  const patchTip = (pasted: boolean) => patchTipFor(result?.recon ?? null, patchErrors, pasted);

  const [enlarged, setEnlarged] = useState<string | null>(null);
  const heatOverlay = (testId: string) => heat && <PixelCanvas pixels={heat} fallbackSize={size} className="panel-overlay" data-testid={testId} aria-hidden="true" />;
  const panels: { id: string; props: PanelProps }[] = [
    { id: 'original', props: { testId: 'panel-original', name: 'Original', title: 'Original', label: `${entry.name}, as the model sees it`, pixels: fitted, size,
      grid: gridOverlay, placeholder: 'decoding…' } },
    { id: 'masked', props: { testId: 'panel-masked', name: 'Masked', className: painting ? 'is-paintable' : '',
      title: <>Masked{shownMasked !== undefined && <span className="panel-note"> · {shownMasked} of {numPatches} hidden</span>}</>,
      label: painting ? 'Masked input; click or drag to hide or reveal patches' : 'Masked input',
      pixels: masked, size, grid: gridOverlay, placeholder: waiting } },
    { id: 'reconstruction', props: { testId: 'panel-reconstruction', name: 'Reconstruction', title: 'Reconstruction', label: "The model's reconstruction of every patch",
      pixels: result?.recon.reconstruction ?? null, size, grid: gridOverlay, placeholder: waiting, overlay: heatOverlay('heatmap-overlay'), patchTip: patchTip(false) } },
    { id: 'pasted', props: { testId: 'panel-pasted', name: 'Reconstruction + visible', title: 'Reconstruction + visible',
      label: 'Visible patches with the reconstruction pasted into the hidden ones',
      pixels: result?.recon.pasted ?? null, size, grid: gridOverlay, placeholder: waiting, patchTip: patchTip(true) } },
  ];
  const big = panels.find((p) => p.id === enlarged);

  const src = entry.sourceSize;
  return (
    <article
      ref={ref} className={`row ${entry.pending ? 'is-pending' : ''}`} data-testid="image-row" data-key={entry.key}
      data-status={entry.status} data-pending={entry.pending ? 'true' : 'false'}
      data-result-ratio={result?.ratioPct ?? ''} data-result-seed={result?.seed ?? ''} data-result-pattern={result?.pattern ?? ''}
      aria-busy={entry.pending || entry.status === 'decoding'}
    >
      <header className="row-head">
        <div className="row-title">
          <h2 className="row-name" title={entry.name}>{entry.name}</h2>
          <span className="row-meta">
            {src ? `${src.width} × ${src.height} px → ${size} px ${settings.resize === 'crop' ? 'centre crop' : 'squashed'}` : 'decoding…'}
            {result && <> · {formatMs(result.recon.timings.totalMs)}</>}
            {entry.pending && <span className="spinner" role="status" aria-label="reconstructing" />}
          </span>
        </div>
        <div className="row-actions">
          <button type="button" className="button" data-testid="sweep-button" disabled={!fitted || (phase !== 'ready' && phase !== 'restarting')}
            onClick={() => store.getState().runSweep(entry.key)} title="Reconstruct at 10, 25, 50, 75 and 90 % with the same seed">Ratio sweep</button>
          <button type="button" className="button" data-testid="download-button" disabled={!result || saving} onClick={download}
            title="Save the four panels as one PNG">Download PNG</button>
          <button type="button" className="button button-quiet" data-testid="remove-button"
            onClick={() => store.getState().removeImage(entry.key)} aria-label={`Remove ${entry.name}`}>Remove</button>
        </div>
      </header>

      {entry.reconError && <p className="row-warning" role="alert" data-testid="recon-error">Reconstruction failed: {entry.reconError}</p>}

      {comparing && (
        <p className="compare-a-label" data-testid="compare-a-label">
          <span className="compare-tag compare-tag-a" aria-hidden="true">A</span> <strong>{aLabel}</strong>
          <span className="muted"> · B below reconstructs the same picture under the same mask settings</span>
        </p>
      )}
      <div className="panels">
        {panels.map(({ id, props }) => {
          // The masked panel paints while painting: no enlarging it then.
          const paintingHere = id === 'masked' && painting;
          return (
            <Panel key={id} {...props} onEnlarge={paintingHere ? null : () => setEnlarged(id)}
              frameProps={paintingHere ? {
                ...paint, onKeyDown: keys.onKeyDown, tabIndex: 0, role: 'application',
                'aria-label': 'Paint the mask: arrow keys move, Space hides or reveals a patch',
                title: 'Click or drag to hide or reveal patches',
              } : undefined}
              overlay={paintingHere ? <div className="paint-cursor" aria-hidden="true" style={{
                left: `${((keys.cursor % grid) / grid) * 100}%`, top: `${(Math.floor(keys.cursor / grid) / grid) * 100}%`,
                width: `${100 / grid}%`, height: `${100 / grid}%`,
              }} /> : props.overlay} />
          );
        })}
      </div>
      {settings.heatmap && <HeatmapLegend />}
      {big && (
        <PanelDialog title={`${entry.name}: ${big.props.name}`} onClose={() => setEnlarged(null)}>
          <Panel {...big.props} testId={`${big.props.testId}-large`} className="panel-large"
            overlay={big.id === 'reconstruction' ? heatOverlay('heatmap-overlay-large') : null} />
          {settings.heatmap && big.id === 'reconstruction' && <HeatmapLegend />}
        </PanelDialog>
      )}

      <Metrics metrics={result?.recon.metrics ?? null} numPatches={numPatches} />
      {comparing && <CompareRow entry={entry} />}
      {entry.sweep && <SweepStrip imageKey={entry.key} sweep={entry.sweep} maskStyle={settings.maskStyle} />}
    </article>
  );
}

export const ImageRow = memo(function ImageRow({ imageKey }: { imageKey: string }) {
  const entry = useApp((s) => s.entries[imageKey]);
  if (!entry) return null;
  return entry.status === 'error' ? <ErrorRow entry={entry} /> : <ReadyRow entry={entry} />;
});

export function ImageList() {
  const order = useApp((s) => s.order);
  if (!order.length) return null;
  return (
    <section className="rows" aria-label="Pictures">
      {order.map((key) => <ImageRow key={key} imageKey={key} />)}
    </section>
  );
}
