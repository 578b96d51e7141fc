// One model slot's take on one picture: the masked input (drawn from the mask at once, never
// waiting for the model), the reconstruction and the reconstruction + visible, each with its
// per-patch error tooltip and an Enlarge dialog. The same panels serve A (with painting) and B
// (and any slot after them).
import { useMemo, useState } from 'react';
import { patchMse } from '../../shared/baseline';
import { countMasked } from '../../shared/masking';
import { maskedPanel } from '../../shared/panels';
import { maskOf } from '../../store/masks';
import { slotInput } from '../../store/slot';
import { gridOf, inputSide, type GridShape, type PixelSize } from '../../shared/inputSize';
import { useApp } from '../../store/react';
import type { ImageEntry, ShownResult, SlotId } from '../../store/types';
import { Metrics } from '../metrics/Metrics';
import { errorHeatmap } from './heatmap';
import { HeatmapLegend } from './HeatmapLegend';
import { Panel, type PanelProps } from './Panel';
import { PanelDialog } from './PanelDialog';
import { METRICS_HINT, PANEL_HINTS } from './captions';
import { patchTipFor } from './patchTip';
import { PixelCanvas } from './PixelCanvas';

/** Test ids and words of a slot's panels: A's are the page's own, the others carry their letter. */
const naming = (slot: SlotId) => ({
  testId: (name: string) => (slot === 'A' ? `panel-${name}` : `compare-panel-${name}`),
  title: (t: string) => (slot === 'A' ? t : `${slot}: ${t.charAt(0).toLowerCase()}${t.slice(1)}`),
  whose: slot === 'A' ? "The model's" : `${slot}'s`,
});

/** What a slot shows for a picture now: its input pixels and size, its patch grid, and the mask drawn at once. */
export function useSlotView(slot: SlotId, entry: ImageEntry) {
  const info = useApp((s) => s.slots[slot].info);
  const row = useApp((s) => s.slots[slot].rows[entry.key]);
  const settings = useApp((s) => s.settings);
  const input = info ? slotInput(settings, info, entry, row) : null;
  const side = info ? inputSide(settings.inputScale, info.imgSize) : entry.fitted?.width ?? 0;
  const size: PixelSize = input ? { width: input.width, height: input.height } : entry.fitted ?? { width: side, height: side };
  const rows = input && info ? input.height / info.patchSize : null;
  const cols = input && info ? input.width / info.patchSize : null;
  const grid: GridShape | null = useMemo(() => (rows !== null && cols !== null ? { rows, cols } : null), [rows, cols]);
  const mask = useMemo(() => (grid ? maskOf(settings, entry, grid.rows, grid.cols) : null), [settings, entry, grid]);
  return { info, row, settings, size: { width: size.width, height: size.height }, input, grid, mask };
}

/** A panel of a row: its key and its props. */
export interface PanelSpec {
  id: string;
  props: PanelProps;
  /** The overlay in the enlarged copy (a heatmap needs its own test id there). */
  largeOverlay?: PanelProps['overlay'];
}

/** The masked, reconstruction and reconstruction + visible panels of one slot, as specs. */
export function useSlotPanels(slot: SlotId, entry: ImageEntry, waiting: string): PanelSpec[] {
  const { row, settings, size, input, grid, mask } = useSlotView(slot, entry);
  const result = row?.result ?? null;
  const n = naming(slot);
  const masked = useMemo(() => {
    if (!input || !mask || !grid || mask.length !== grid.rows * grid.cols) return null;
    return { width: input.width, height: input.height, data: maskedPanel(input.data, input.width, input.width / grid.cols, mask, settings.maskStyle, input.height) };
  }, [input, mask, grid, settings.maskStyle]);
  const heat = useMemo(() => {
    if (!settings.heatmap || !result) return null;
    const { width, height } = result.recon.reconstruction;
    return { width, height, data: errorHeatmap(result.recon.errorMap, width, height) };
  }, [settings.heatmap, result]);
  // Per-patch error of the shown result, for the tooltips. [L]
  const resultGrid = resultGridOf(result);
  const patchErrors = useMemo(() => {
    if (!result || !resultGrid) return null;
    const { width, height } = result.recon.reconstruction;
    return patchMse(result.recon.errorMap, width, width / resultGrid.cols, height);
  }, [result, resultGrid]);
  const tipFor = (pasted: boolean) => patchTipFor(result ? { mask: result.mask } : null, patchErrors, pasted, resultGrid);
  const heatOverlay = (testId?: string) => heat && <PixelCanvas pixels={heat} fallbackSize={size} className="panel-overlay" data-testid={testId} aria-hidden="true" />;
  const gridOverlay = settings.grid && grid ? grid : null;
  const hidden = mask ? countMasked(mask) : null;
  const total = grid ? grid.rows * grid.cols : null;
  // The one-line explanations go under the page's own panels only (B's sit right below them).
  const hint = (id: keyof typeof PANEL_HINTS) => (slot === 'A' ? PANEL_HINTS[id] : undefined);
  return [
    { id: 'masked', props: {
      testId: n.testId('masked'), name: n.title('Masked'),
      title: <>{n.title('Masked')}{hidden !== null && <span className="panel-note"> · {hidden} of {total} hidden</span>}</>,
      label: slot === 'A' ? 'Masked input' : `Masked input, as ${slot} sees it`,
      pixels: masked, size, grid: gridOverlay, placeholder: waiting, hint: hint('masked'),
      'data-mask-ratio': settings.pattern === 'painted' ? '' : String(settings.ratioPct), 'data-masked': hidden ?? '',
      'data-grid-rows': grid?.rows ?? '', 'data-grid-cols': grid?.cols ?? '',
    } },
    { id: 'reconstruction', props: {
      testId: n.testId('reconstruction'), name: n.title('Reconstruction'), title: n.title('Reconstruction'),
      label: `${n.whose} reconstruction of every patch`,
      pixels: result?.recon.reconstruction ?? null, size, grid: gridOverlay, placeholder: waiting, hint: hint('reconstruction'),
      'data-mask-ratio': result && result.pattern !== 'painted' ? String(result.ratioPct) : '',
      overlay: heatOverlay(slot === 'A' ? 'heatmap-overlay' : undefined), patchTip: tipFor(false),
    }, largeOverlay: heatOverlay(slot === 'A' ? 'heatmap-overlay-large' : undefined) },
    { id: 'pasted', props: {
      testId: n.testId('pasted'), name: n.title('Reconstruction + visible'), title: n.title('Reconstruction + visible'),
      label: `Visible patches with ${slot === 'A' ? 'the' : `${slot}'s`} reconstruction pasted into the hidden ones`,
      pixels: result?.recon.pasted ?? null, size, grid: gridOverlay, placeholder: waiting, patchTip: tipFor(true), hint: hint('pasted'),
    } },
  ];
}

/** Panels side by side, each one enlargeable in a dialog (`noEnlarge`: the one being painted). */
export function PanelSet({ panels, imageName, heatmap, noEnlarge }: { panels: PanelSpec[]; imageName: string; heatmap: boolean; noEnlarge?: string }) {
  const [enlarged, setEnlarged] = useState<string | null>(null);
  const big = panels.find((p) => p.id === enlarged);
  return (
    <>
      {panels.map(({ id, props }) => (
        <Panel key={id} {...props} onEnlarge={id === noEnlarge ? null : () => setEnlarged(id)} />
      ))}
      {big && (
        <PanelDialog title={`${imageName}: ${big.props.name}`} onClose={() => setEnlarged(null)}>
          <Panel {...big.props} frameProps={undefined} testId={`${big.props.testId}-large`} className="panel-large" overlay={big.largeOverlay ?? null} />
          {heatmap && big.largeOverlay && <HeatmapLegend />}
        </PanelDialog>
      )}
    </>
  );
}

/** A slot's error figures for one picture. */
export function SlotFigures({ slot, entry }: { slot: SlotId; entry: ImageEntry }) {
  const { row, grid } = useSlotView(slot, entry);
  const result = row?.result ?? null;
  return (
    <>
      <Metrics metrics={result?.recon.metrics ?? null} numPatches={result ? result.mask.length : grid ? grid.rows * grid.cols : null} />
      {slot === 'A' && <p className="hint metrics-hint" data-testid="metrics-hint">{METRICS_HINT}</p>}
    </>
  );
}

/** The patch grid a drawn result was made on, null before one. */
function resultGridOf(result: ShownResult | null): GridShape | null {
  return result ? gridOf(result.recon.reconstruction.width, result.recon.reconstruction.height, result.mask.length) : null;
}
