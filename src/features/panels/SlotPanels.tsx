// One model slot's take on one picture: the masked input (drawn from the mask at once, never
// waiting for the model), the reconstruction and the reconstruction + visible. The same panels
// serve A (with painting) and B (and any slot after them).
import { useMemo, type ReactNode } from 'react';
import { countMasked } from '../../shared/masking';
import { maskedPanel } from '../../shared/panels';
import { maskOf } from '../../store/masks';
import { useApp } from '../../store/react';
import type { ImageEntry, SlotId } from '../../store/types';
import { Metrics } from '../metrics/Metrics';
import { errorHeatmap } from './heatmap';
import { Panel, type PanelProps } from './Panel';
import { PixelCanvas } from './PixelCanvas';

/** Test ids and words of a slot's panels: A's are the page's own, the others carry their letter. */
const naming = (slot: SlotId) => ({
  testId: (name: string) => (slot === 'A' ? `panel-${name}` : `compare-panel-${name}`),
  title: (t: string) => (slot === 'A' ? t : `${slot}: ${t.charAt(0).toLowerCase()}${t.slice(1)}`),
  whose: slot === 'A' ? "The model's" : `${slot}'s`,
});

/** What a slot shows for a picture now: its input pixels, its grid, and the mask drawn at once. */
export function useSlotView(slot: SlotId, entry: ImageEntry) {
  const info = useApp((s) => s.slots[slot].info);
  const row = useApp((s) => s.slots[slot].rows[entry.key]);
  const settings = useApp((s) => s.settings);
  const size = info?.imgSize ?? entry.fitted?.width ?? 0;
  const input = entry.fitted && entry.fitted.width === size ? entry.fitted : row?.fitted ?? null;
  const grid = info ? info.imgSize / info.patchSize : null;
  const mask = useMemo(() => (grid !== null ? maskOf(settings, entry, grid) : null), [settings, entry, grid]);
  return { info, row, settings, size, input, grid, mask };
}

export interface SlotPanelsProps {
  slot: SlotId;
  entry: ImageEntry;
  /** Props for the masked panel's frame (painting), and an overlay on it. */
  maskedFrame?: PanelProps['frameProps'];
  maskedOverlay?: ReactNode;
  maskedClassName?: string;
  /** Placeholder while nothing is drawn. */
  waiting: string;
}

/** The masked, reconstruction and reconstruction + visible panels of one slot. */
export function SlotPanels({ slot, entry, maskedFrame, maskedOverlay, maskedClassName, waiting }: SlotPanelsProps) {
  const { row, settings, size, input, grid, mask } = useSlotView(slot, entry);
  const result = row?.result ?? null;
  const n = naming(slot);
  const masked = useMemo(() => {
    if (!input || !mask || grid === null) return null;
    return { width: input.width, height: input.width, data: maskedPanel(input.data, input.width, input.width / grid, mask, settings.maskStyle) };
  }, [input, mask, grid, settings.maskStyle]);
  const heat = useMemo(() => {
    if (!settings.heatmap || !result) return null;
    const { width, height } = result.recon.reconstruction;
    return { width, height, data: errorHeatmap(result.recon.errorMap, width, height) };
  }, [settings.heatmap, result]);
  const gridOverlay = settings.grid && grid !== null ? grid : null;
  const hidden = mask ? countMasked(mask) : null;
  const total = grid !== null ? grid * grid : null;
  return (
    <>
      <Panel testId={n.testId('masked')} className={maskedClassName}
        title={<>{n.title('Masked')}{hidden !== null && <span className="panel-note"> · {hidden} of {total} hidden</span>}</>}
        label={maskedFrame ? 'Masked input; click or drag to hide or reveal patches' : slot === 'A' ? 'Masked input' : `Masked input, as ${slot} sees it`}
        pixels={masked} size={size} grid={gridOverlay} placeholder={waiting} frameProps={maskedFrame} overlay={maskedOverlay}
        data-mask-ratio={settings.pattern === 'painted' ? '' : String(settings.ratioPct)} data-masked={hidden ?? ''} />
      <Panel testId={n.testId('reconstruction')} title={n.title('Reconstruction')} label={`${n.whose} reconstruction of every patch`}
        pixels={result?.recon.reconstruction ?? null} size={size} grid={gridOverlay} placeholder={waiting}
        data-mask-ratio={result && result.pattern !== 'painted' ? String(result.ratioPct) : ''}
        overlay={heat && <PixelCanvas pixels={heat} fallbackSize={size} className="panel-overlay" data-testid={slot === 'A' ? 'heatmap-overlay' : undefined} aria-hidden="true" />} />
      <Panel testId={n.testId('pasted')} title={n.title('Reconstruction + visible')} label={`Visible patches with ${slot === 'A' ? 'the' : `${slot}'s`} reconstruction pasted into the hidden ones`}
        pixels={result?.recon.pasted ?? null} size={size} grid={gridOverlay} placeholder={waiting} />
    </>
  );
}

/** A slot's error figures for one picture. */
export function SlotFigures({ slot, entry }: { slot: SlotId; entry: ImageEntry }) {
  const { row, grid } = useSlotView(slot, entry);
  return <Metrics metrics={row?.result?.recon.metrics ?? null} numPatches={grid !== null ? grid * grid : null} />;
}
