// Checkpoint B's take on one picture, under A's panels: its masked input, reconstruction,
// reconstruction + visible, and its figures; says whether the two hid the same patches.
import { useApp } from '../../store/react';
import { sameMask } from '../../store/masks';
import type { ImageEntry } from '../../store/types';
import { formatParams } from '../checkpoint/format';
import { formatMs } from '../metrics/format';
import { PanelSet, SlotFigures, useSlotPanels, useSlotView } from './SlotPanels';

export function CompareRow({ entry }: { entry: ImageEntry }) {
  const checkpoint = useApp((s) => s.slots.B.checkpoint);
  const aInfo = useApp((s) => s.slots.A.info);
  const phase = useApp((s) => s.slots.B.phase);
  const a = useSlotView('A', entry);
  const b = useSlotView('B', entry);
  const { info, row, settings, grid, mask } = b;
  const result = row?.result ?? null;
  const waiting = row?.error ? 'failed' : phase === 'loading' ? 'loading B…' : 'reconstructing…';
  const panels = useSlotPanels('B', entry, waiting);

  if (!info || !checkpoint || grid === null) return null;

  const aGrid = a.grid;
  const gridsDiffer = aGrid !== null && (aGrid.rows !== grid.rows || aGrid.cols !== grid.cols);
  const same = sameMask(a.mask, mask);
  const dims = (g: { rows: number; cols: number }) => `${g.cols}×${g.rows}`;
  let maskNote: string;
  if (gridsDiffer) {
    maskNote = `The masks differ: B cuts the picture into ${dims(grid)} patches of ${info.patchSize} px (at ${b.size.width}×${b.size.height} px), A into ${dims(aGrid)} of ${aInfo!.patchSize} px; B's mask comes from the same pattern, ratio and seed${settings.pattern === 'painted' ? ' (the painting, carried over to its grid)' : ''}.`;
  } else if (aInfo && (a.size.width !== b.size.width || a.size.height !== b.size.height)) {
    maskNote = `Same patches hidden, but B sees the picture at ${b.size.width}×${b.size.height} px (A at ${a.size.width}×${a.size.height} px).`;
  } else maskNote = same ? 'Same mask as A.' : 'Same pattern, ratio and seed as A.';

  return (
    <section className={`compare-row ${row?.pending ? 'is-pending' : ''}`} data-testid="compare-row" data-key={entry.key}
      data-pending={row?.pending ? 'true' : 'false'} data-same-mask={a.mask && mask ? String(same) : ''} data-masks-differ={gridsDiffer ? 'true' : 'false'}
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
        <SlotFigures slot="B" entry={entry} />
      </div>
      <PanelSet panels={panels} imageName={entry.name} heatmap={settings.heatmap} />
    </section>
  );
}
