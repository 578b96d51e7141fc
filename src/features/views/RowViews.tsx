// A picture's views: what the model looks at (attention maps over the patches, per layer and head,
// from the cls token or a clicked patch) and what its features hold (a PCA of the encoder's patch
// features as colours, and the similarity of a clicked patch to the others). Opened per row; the
// worker computes them only while one is open.
import { useMemo, useState, type CSSProperties, type MouseEvent, type ReactNode } from 'react';
import type { AttentionStack, ModelInfo, Rgba } from '../../protocol/messages';
import { maskedPanel } from '../../shared/panels';
import { useApp, useAppStore } from '../../store/react';
import type { ImageEntry } from '../../store/types';
import type { RowView, ViewKind } from '../../store/viewsSlice';
import { formatMs } from '../metrics/format';
import { RAMP_CSS } from '../panels/heatmap';
import { Panel } from '../panels/Panel';
import { PixelCanvas } from '../panels/PixelCanvas';
import {
  argmax, attentionRow, checksum, defaultQuery, featureSets, heatPicture, isQueryable, maxFinite, similarityTo, type LayerChoice,
} from './overlay';

/** The views, their toggle words and test ids. */
const VIEWS: { kind: ViewKind; label: string; title: string }[] = [
  { kind: 'attention', label: 'What it looks at', title: 'Attention maps: which patches each token draws from' },
  { kind: 'features', label: 'Features', title: "The encoder's patch features as colours, and which patches are alike" },
];

/** The row's view toggles (one view open at a time; a second click closes it). */
export function ViewToggles({ imageKey, disabled }: { imageKey: string; disabled: boolean }) {
  const store = useAppStore();
  const open = useApp((s) => s.views[imageKey]?.kind ?? null);
  return (
    <>
      {VIEWS.map((v) => (
        <button key={v.kind} type="button" className={`button ${open === v.kind ? 'is-on' : ''}`} data-testid={`view-${v.kind}-toggle`}
          aria-pressed={open === v.kind} disabled={disabled && open !== v.kind} title={v.title}
          onClick={() => store.getState().setView(imageKey, open === v.kind ? null : v.kind)}>{v.label}</button>
      ))}
    </>
  );
}

/** The patch under a click in a frame of `rows x cols` patches, or null outside. */
function patchAtClick(e: MouseEvent<HTMLDivElement>, rows: number, cols: number): number | null {
  const r = e.currentTarget.getBoundingClientRect();
  const col = Math.floor(((e.clientX - r.left) / r.width) * cols);
  const row = Math.floor(((e.clientY - r.top) / r.height) * rows);
  return col < 0 || row < 0 || col >= cols || row >= rows ? null : row * cols + col;
}

/** "row r, column c" of a patch (1-based), or "the cls token". */
const where = (p: number | null, cols: number) => (p === null ? 'the cls token' : `patch row ${Math.floor(p / cols) + 1}, column ${(p % cols) + 1}`);

/** A frame outline on one patch. */
function PatchMark({ patch, rows, cols, testId }: { patch: number; rows: number; cols: number; testId: string }) {
  return <div className="patch-highlight view-mark" data-testid={testId} aria-hidden="true" style={{
    left: `${((patch % cols) / cols) * 100}%`, top: `${(Math.floor(patch / cols) / rows) * 100}%`, width: `${100 / cols}%`, height: `${100 / rows}%`,
  }} />;
}

/** The heat ramp with its two ends named. */
function ViewLegend({ low, high }: { low: string; high: string }) {
  return (
    <div className="view-legend" aria-hidden="true">
      <span>{low}</span><span className="view-legend-bar" style={{ background: RAMP_CSS }} /><span>{high}</span>
    </div>
  );
}

/** One patch value per pixel, drawn over a panel (CSS scales it up, pixelated). */
function GridOverlay({ data, rows, cols, ...rest }: { data: Uint8ClampedArray; rows: number; cols: number } & Record<`data-${string}`, string | number>) {
  const pixels = useMemo(() => ({ width: cols, height: rows, data }), [data, rows, cols]);
  return <PixelCanvas pixels={pixels} fallbackSize={cols} className="panel-overlay view-overlay" aria-hidden="true" {...rest} />;
}

function AttentionView({ entry, view, info, input }: { entry: ImageEntry; view: RowView; info: ModelInfo; input: Rgba }) {
  const store = useAppStore();
  const maskStyle = useApp((s) => s.settings.maskStyle);
  const { stack, head } = view.attention;
  const layers = stack === 'encoder' ? info.depth : info.decoderDepth;
  const heads = stack === 'encoder' ? info.numHeads : info.decoderNumHeads;
  // The layer and the query are this row's own; a new stack starts at its last layer and its default query.
  const [layerFor, setLayerFor] = useState<Record<AttentionStack, LayerChoice>>({ encoder: info.depth - 1, decoder: info.decoderDepth - 1 });
  const [queryFor, setQueryFor] = useState<Record<AttentionStack, number | null | undefined>>({ encoder: undefined, decoder: undefined });
  const [refused, setRefused] = useState<string | null>(null);
  const layer = layerFor[stack] === 'rollout' || (layerFor[stack] as number) < layers ? layerFor[stack] : layers - 1;

  const shown = view.result;
  const maps = shown?.inspection.attention?.stack === stack ? shown.inspection.attention : null;
  const grid = shown?.inspection.grid ?? null;
  const L = grid ? grid.rows * grid.cols : 0;
  const idsKeep = shown?.inspection.idsKeep ?? null;
  const picked = queryFor[stack];
  // A clicked patch the new mask hid (encoder) falls back to the default query.
  const query = maps && idsKeep && shown && (picked === undefined || (picked !== null && !isQueryable(maps, idsKeep, picked, L)))
    ? defaultQuery(stack, shown.mask) : picked ?? null;
  const row = useMemo(() => (maps && idsKeep ? attentionRow(maps, idsKeep, L, layer, query) : null), [maps, idsKeep, L, layer, query]);
  const overlay = useMemo(() => (row && grid ? heatPicture(row.values, grid.rows, grid.cols, 0, maxFinite(row.values)) : null), [row, grid]);
  const base = useMemo(() => {
    if (!shown || !grid) return null;
    return { width: input.width, height: input.height, data: maskedPanel(input.data, input.width, input.width / grid.cols, shown.mask, maskStyle) };
  }, [shown, grid, input, maskStyle]);

  const onClick = (e: MouseEvent<HTMLDivElement>) => {
    if (!maps || !grid || !idsKeep) return;
    const p = patchAtClick(e, grid.rows, grid.cols);
    if (p === null) return;
    if (!isQueryable(maps, idsKeep, p, L)) {
      setRefused(`${where(p, grid.cols)} is hidden: the encoder never sees it (the decoder view shows what its mask token drew from).`);
      return;
    }
    setRefused(null);
    setQueryFor({ ...queryFor, [stack]: p });
  };
  const set = (p: Partial<typeof view.attention>) => store.getState().setAttentionChoice(entry.key, { ...view.attention, ...p });
  const layerName = layer === 'rollout' ? 'rollout through every layer' : `layer ${layer + 1} of ${layers}`;
  // Words and test hooks follow the maps drawn (another head's stay up until the new ones come).
  const drawnHead = maps?.head ?? head;
  const headName = drawnHead === 'mean' ? `mean of ${heads} heads` : `head ${drawnHead + 1} of ${heads}`;
  const top = row ? argmax(row.values) : -1;
  let words: ReactNode = 'computing…';
  if (row && grid) {
    const to = stack === 'encoder' ? 'the visible patches' : 'every patch (visible patches and mask tokens alike)';
    words = <>From <strong>{where(query, grid.cols)}</strong> to {to}, {stack} {layerName}, {headName}. Strongest: {top >= 0 ? where(top, grid.cols) : '—'}; the cls token
      gets {(row.cls * 100).toFixed(1)} %. Click a {stack === 'encoder' ? 'visible' : 'masked (or any)'} patch to look from it.
      <span className="muted" data-testid="attention-ms"> Computed in {formatMs(shown?.inspection.timings.totalMs)}.</span></>;
  }
  return (
    <section className="row-view" data-testid="attention-view" aria-label={`What the model looks at in ${entry.name}`} aria-busy={view.pending}>
      <div className="view-controls">
        <label>Attention <select data-testid="view-stack" value={stack} onChange={(e) => set({ stack: e.target.value as AttentionStack, head: 'mean' })}>
          <option value="encoder">encoder (visible patches)</option>
          <option value="decoder">decoder (every patch)</option>
        </select></label>
        <label>Layer <select data-testid="view-layer" value={String(layer)}
          onChange={(e) => setLayerFor({ ...layerFor, [stack]: e.target.value === 'rollout' ? 'rollout' : Number(e.target.value) })}>
          {Array.from({ length: layers }, (_, l) => <option key={l} value={l}>{l + 1}</option>)}
          <option value="rollout">rollout</option>
        </select></label>
        <label>Head <select data-testid="view-head" value={String(head)} onChange={(e) => set({ head: e.target.value === 'mean' ? 'mean' : Number(e.target.value) })}>
          <option value="mean">mean</option>
          {Array.from({ length: heads }, (_, h) => <option key={h} value={h}>{h + 1}</option>)}
        </select></label>
        {query !== defaultQuery(stack, shown?.mask ?? []) && (
          <button type="button" className="button button-small" data-testid="view-reset-query"
            onClick={() => setQueryFor({ ...queryFor, [stack]: undefined })}>Back to {stack === 'encoder' ? 'cls' : 'the first hidden patch'}</button>
        )}
        {view.pending && <span className="spinner" role="status" aria-label="computing the attention" />}
      </div>
      <div className="view-panels">
        <Panel testId="view-attention-panel" className="view-panel" name="Attention" size={{ width: input.width, height: input.height }} grid={null}
          title={<>Attention over the masked input</>} label={`Attention of ${where(query, grid?.cols ?? 1)} over ${entry.name}`}
          pixels={base} placeholder={view.error ? 'failed' : 'computing…'}
          frameProps={{ onClick, title: 'Click a patch to look from it', style: { cursor: 'pointer' } as CSSProperties }}
          overlay={overlay && grid && row && (
            <>
              <GridOverlay data={overlay} rows={grid.rows} cols={grid.cols} data-testid="attention-overlay" data-stack={stack}
                data-layer={String(layer)} data-head={String(drawnHead)} data-query={query === null ? 'cls' : String(query)}
                data-argmax={top} data-checksum={checksum(row.values)} />
              {query !== null && <PatchMark patch={query} rows={grid.rows} cols={grid.cols} testId="attention-query" />}
            </>
          )} />
        <div className="view-text">
          <p data-testid="attention-words">{words}</p>
          {refused && <p className="hint hint-warn" role="status">{refused}</p>}
          {view.error && <p className="hint hint-error" role="alert">The attention could not be computed: {view.error}</p>}
          <ViewLegend low="none" high="the most any patch gets" />
          <p className="hint">Rollout multiplies the layers' maps (with the skip connections) to follow attention from the input to the last layer.</p>
        </div>
      </div>
    </section>
  );
}

function FeaturesView({ entry, view, input }: { entry: ImageEntry; view: RowView; input: Rgba }) {
  const [picked, setPicked] = useState<{ set: 'visible' | 'whole'; patch: number } | null>(null);
  const shown = view.result;
  const f = shown?.inspection.features ?? null;
  const grid = shown?.inspection.grid ?? null;
  const L = grid ? grid.rows * grid.cols : 0;
  const sets = useMemo(() => (f && grid && shown ? featureSets(f, shown.inspection.idsKeep, grid.rows, grid.cols) : null), [f, grid, shown]);
  const sim = useMemo(() => (sets && picked ? similarityTo(sets[picked.set], picked.patch, L) : null), [sets, picked, L]);
  const simPicture = useMemo(() => (sim && grid ? heatPicture(sim, grid.rows, grid.cols, 0, 1) : null), [sim, grid]);

  const pca = (which: 'visible' | 'whole', title: string, label: string) => {
    const set = sets?.[which];
    const onClick = (e: MouseEvent<HTMLDivElement>) => {
      if (!grid || !set) return;
      const p = patchAtClick(e, grid.rows, grid.cols);
      if (p !== null && Array.prototype.indexOf.call(set.patches, p) >= 0) setPicked({ set: which, patch: p });
    };
    return (
      <Panel testId={`features-${which}`} className="view-panel" name={title} title={title} label={label} size={{ width: input.width, height: input.height }} grid={null}
        pixels={set && grid ? { width: grid.cols, height: grid.rows, data: set.picture } : null} placeholder={view.error ? 'failed' : 'computing…'}
        frameProps={{ onClick, title: 'Click a patch to see which patches are like it', style: { cursor: 'pointer' } as CSSProperties }}
        overlay={picked?.set === which && grid ? <PatchMark patch={picked.patch} rows={grid.rows} cols={grid.cols} testId={`features-${which}-mark`} /> : null} />
    );
  };
  return (
    <section className="row-view" data-testid="features-view" aria-label={`The model's features of ${entry.name}`} aria-busy={view.pending}>
      <div className="view-panels view-panels-3">
        {pca('visible', 'Features, visible patches', `PCA colours of the encoder's features of the visible patches of ${entry.name}`)}
        {pca('whole', 'Features, whole picture (0 % masked)', `PCA colours of the encoder's features of every patch of ${entry.name}, nothing hidden`)}
        <Panel testId="features-similarity" className="view-panel" name="Similarity" size={{ width: input.width, height: input.height }} grid={null} pixels={picked ? input : null}
          title={picked && grid ? <>Like {where(picked.patch, grid.cols)}</> : 'Similarity'}
          label={picked && grid ? `Cosine similarity of ${where(picked.patch, grid.cols)} to the others` : 'Click a patch of a features panel'}
          placeholder="click a patch"
          overlay={simPicture && grid && sim && picked ? (
            <>
              <GridOverlay data={simPicture} rows={grid.rows} cols={grid.cols} data-testid="similarity-overlay" data-set={picked.set}
                data-patch={picked.patch} data-checksum={checksum(sim)} />
              <PatchMark patch={picked.patch} rows={grid.rows} cols={grid.cols} testId="similarity-mark" />
            </>
          ) : null} />
      </div>
      <p className="hint" data-testid="features-words">
        Each patch's encoder output, standardised per dimension, projected on its three main directions (red, green, blue):
        alike colours, alike features. Click a patch for its cosine similarity to every other patch of the same set.
      </p>
      {picked && <ViewLegend low="0 or less" high="1 (same direction)" />}
      {view.error && <p className="hint hint-error" role="alert">The features could not be computed: {view.error}</p>}
      {view.pending && <span className="spinner" role="status" aria-label="computing the features" />}
    </section>
  );
}

/** The view open on a row, if any. */
export function RowViews({ entry }: { entry: ImageEntry }) {
  const view = useApp((s) => s.views[entry.key]);
  const info = useApp((s) => s.slots.A.info);
  const input = entry.fitted;
  if (!view || !info || !input) return null;
  return view.kind === 'attention'
    ? <AttentionView entry={entry} view={view} info={info} input={input} />
    : <FeaturesView entry={entry} view={view} input={input} />;
}
