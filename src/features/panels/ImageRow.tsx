// One picture: its four panels (original, masked, reconstruction, reconstruction + visible),
// its figures, its buttons, and its sweep strip.
import { memo, useState } from 'react';
import { countMasked } from '../../shared/masking';
import { maskedPanel } from '../../shared/panels';
import { gridOf } from '../../shared/inputSize';
import { useApp, useAppStore } from '../../store/react';
import type { ImageEntry } from '../../store/types';
import { formatLoss, formatMs, formatMse, formatPsnr } from '../metrics/format';
import { useKeyboardPaint, usePaintStroke } from '../mask-controls/usePaintStroke';
import { SweepStrip } from '../sweep/SweepStrip';
import { PANEL_HINTS } from './captions';
import { CompareRow } from './CompareRow';
import { downloadName, figureText } from './compose';
import { labelledFigurePng, saveBlob } from './download';
import { HeatmapLegend } from './HeatmapLegend';
import { PanelSet, SlotFigures, useSlotPanels, useSlotView, type PanelSpec } from './SlotPanels';
import { useVisibility } from './useVisibility';
import { HowItWorks } from '../views/HowItWorks';
import { RowViews, ViewToggles } from '../views/RowViews';

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

/** Enlargement past which a row says its picture was upscaled (blur makes the figures look better). */
const UPSCALE_NOTE_FACTOR = 2;

function ReadyRow({ entry }: { entry: ImageEntry }) {
  const store = useAppStore();
  const settings = useApp((s) => s.settings);
  const phase = useApp((s) => s.slots.A.phase);
  const comparing = useApp((s) => s.slots.B.info !== null && s.slots.B.phase !== 'off');
  const aLabel = useApp((s) => s.slots.A.checkpoint?.label ?? null);
  const row = useApp((s) => s.slots.A.rows[entry.key]);
  const ref = useVisibility<HTMLElement>(entry.key);
  const [saving, setSaving] = useState(false);
  const { size, grid, mask } = useSlotView('A', entry);

  const result = row?.result ?? null;
  const pending = row?.pending ?? false;
  const { fitted, paintedMask } = entry;
  const painting = settings.pattern === 'painted' && !!fitted && grid !== null && !!paintedMask && paintedMask.length === grid.rows * grid.cols;
  const paint = usePaintStroke(entry.key, painting ? grid : null);
  const keys = useKeyboardPaint(entry.key, painting ? grid : null);
  const gridOverlay = settings.grid ? grid : null;
  const waiting = phase === 'error' ? 'model unavailable' : entry.status === 'decoding' ? 'decoding…' : 'reconstructing…';

  const download = async () => {
    if (!result) return;
    setSaving(true);
    try {
      const { width: s, height: h } = result.input;
      const g = gridOf(s, h, result.mask.length);
      if (!g) throw new Error(`a ${s}x${h} picture does not split into ${result.mask.length} patches`);
      const maskedForResult = maskedPanel(result.input.data, s, s / g.cols, result.mask, settings.maskStyle, h);
      const m = result.recon.metrics;
      const text = figureText({
        imageName: entry.name, checkpoint: aLabel, pattern: result.pattern, ratioPct: result.ratioPct, seed: result.seed,
        maskedCount: m.maskedCount, numPatches: result.mask.length,
        mse: formatMse(m.mse).text, psnr: formatPsnr(m.psnr).text, loss: formatLoss(m.loss).text,
      });
      const png = await labelledFigurePng([result.input.data, maskedForResult, result.recon.reconstruction.data, result.recon.pasted.data], s, text, h);
      saveBlob(png, downloadName(entry.name, result));
    } catch (e) {
      store.getState().notify('error', `The PNG could not be made: ${(e as Error).message}`);
    } finally {
      setSaving(false);
    }
  };

  const slotPanels = useSlotPanels('A', entry, waiting);
  const panels: PanelSpec[] = [
    { id: 'original', props: { testId: 'panel-original', name: 'Original', title: 'Original', label: `${entry.name}, as the model sees it`,
      pixels: fitted, size, grid: gridOverlay, placeholder: 'decoding…', hint: PANEL_HINTS.original } },
    ...slotPanels.map((p) => (p.id === 'masked' && painting && grid !== null ? {
      ...p,
      props: {
        ...p.props, className: 'is-paintable', label: 'Masked input; click or drag to hide or reveal patches',
        frameProps: {
          ...paint, onKeyDown: keys.onKeyDown, tabIndex: 0, role: 'application',
          'aria-label': 'Paint the mask: arrow keys move, Space hides or reveals a patch',
          title: 'Click or drag to hide or reveal patches',
        },
        overlay: <div className="paint-cursor" aria-hidden="true" style={{
          left: `${((keys.cursor % grid.cols) / grid.cols) * 100}%`, top: `${(Math.floor(keys.cursor / grid.cols) / grid.rows) * 100}%`,
          width: `${100 / grid.cols}%`, height: `${100 / grid.rows}%`,
        }} />,
      },
    } : p)),
  ];

  const src = entry.sourceSize;
  // How much the fit enlarges the picture (crop: the shorter side; squash, whole: the smaller factor).
  const longSide = Math.max(size.width, size.height);
  const upscale = src ? longSide / (settings.resize === 'crop' ? Math.min(src.width, src.height) : Math.max(src.width, src.height)) : null;
  const fitWords = settings.resize === 'crop' ? 'centre crop' : settings.resize === 'squash' ? 'squashed' : 'whole picture';
  return (
    <article
      ref={ref} className={`row ${pending ? 'is-pending' : ''}`} data-testid="image-row" data-key={entry.key}
      data-status={entry.status} data-pending={pending ? 'true' : 'false'}
      data-result-ratio={result?.ratioPct ?? ''} data-result-seed={result?.seed ?? ''} data-result-pattern={result?.pattern ?? ''}
      data-masked={mask ? countMasked(mask) : ''}
      aria-busy={pending || entry.status === 'decoding'}
    >
      <header className="row-head">
        <div className="row-title">
          <h2 className="row-name" title={entry.name}>{entry.name}</h2>
          <span className="row-meta">
            {src ? `${src.width} × ${src.height} px → ${size.width === size.height ? `${size.width} px` : `${size.width} × ${size.height} px`} ${fitWords}` : 'decoding…'}
            {upscale !== null && upscale > UPSCALE_NOTE_FACTOR && (
              <span className="row-note" data-testid="upscale-note" title="A blurry, enlarged picture is easier to paint back: its figures look better than they are">
                {' '}· enlarged {upscale.toFixed(1)}×: blurry, so its error figures flatter the model
              </span>
            )}
            {result && <> · {formatMs(result.recon.timings.totalMs)}</>}
            {pending && <span className="spinner" role="status" aria-label="reconstructing" />}
          </span>
        </div>
        <div className="row-actions">
          <ViewToggles imageKey={entry.key} disabled={!fitted || (phase !== 'ready' && phase !== 'restarting')} />
          <button type="button" className="button" data-testid="sweep-button" disabled={!fitted || (phase !== 'ready' && phase !== 'restarting')}
            onClick={() => store.getState().runSweep(entry.key)} title="Reconstruct at 10, 25, 50, 75 and 90 % with the same seed">Ratio sweep</button>
          <button type="button" className="button" data-testid="download-button" disabled={!result || saving} onClick={download}
            title="Save the four panels as one PNG">Download PNG</button>
          <button type="button" className="button button-quiet" data-testid="remove-button"
            onClick={() => store.getState().removeImage(entry.key)} aria-label={`Remove ${entry.name}`}>Remove</button>
        </div>
      </header>

      {row?.error && <p className="row-warning" role="alert" data-testid="recon-error">Reconstruction failed: {row.error}</p>}

      {comparing && (
        <p className="compare-a-label" data-testid="compare-a-label">
          <span className="compare-tag compare-tag-a" aria-hidden="true">A</span> <strong>{aLabel}</strong>
          <span className="muted"> · B below reconstructs the same picture under the same mask settings</span>
        </p>
      )}
      <div className="panels">
        <PanelSet panels={panels} imageName={entry.name} heatmap={settings.heatmap} noEnlarge={painting ? 'masked' : undefined} />
      </div>
      {settings.heatmap && <HeatmapLegend />}

      <SlotFigures slot="A" entry={entry} />
      <RowViews entry={entry} />
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
      <HowItWorks />
      {order.map((key) => <ImageRow key={key} imageKey={key} />)}
    </section>
  );
}
