import { useId, useState } from 'react';
import type { MaskPattern, NormPixStats, ResizeMode } from '../../protocol/messages';
import type { MaskStyle } from '../../shared/panels';
import { countMasked } from '../../shared/masking';
import { seededMask } from '../../store/masks';
import { inputSide, MAX_INPUT_PATCHES, type InputScale } from '../../shared/inputSize';
import { MAX_RATIO_PCT, parseSeedInput } from '../../store/settings';
import { useApp, useAppStore } from '../../store/react';
import { LOOKAHEAD_AHEAD_STEPS, LOOKAHEAD_MAX_MS } from '../../store/lookahead';

const PATTERN_LABELS: Record<MaskPattern, string> = {
  random: 'Random (as in the paper)',
  block: 'Blocks',
  grid: 'Regular grid',
  painted: 'Painted by hand',
};

function SeedInput({ id, seed, onCommit }: { id: string; seed: number; onCommit: (n: number) => void }) {
  const [draft, setDraft] = useState(String(seed));
  const [shown, setShown] = useState(seed);
  const [error, setError] = useState<string | null>(null);
  if (shown !== seed) {
    setShown(seed);
    setDraft(String(seed));
  }
  const errorId = `${id}-error`;
  return (
    <>
      <input
        id={id} type="text" inputMode="numeric" autoComplete="off" spellCheck={false}
        data-testid="seed-input" className="seed-input"
        aria-invalid={error !== null} aria-describedby={error ? errorId : undefined}
        value={draft}
        onChange={(e) => {
          setDraft(e.target.value);
          const r = parseSeedInput(e.target.value);
          setError(r.ok ? null : r.message);
          if (r.ok) onCommit(r.seed);
        }}
        onBlur={() => {
          // An invalid entry is not used: say so, and show the seed that runs.
          if (error) setError(`${error}; seed ${seed} is still in use`);
          setDraft(String(seed));
        }}
      />
      {error && <p id={errorId} className="hint hint-error" role="alert" data-testid="seed-error">{error}</p>}
    </>
  );
}

export function MaskControls() {
  const settings = useApp((s) => s.settings);
  const info = useApp((s) => s.slots.A.info);
  const compareNormPix = useApp((s) => !!s.slots.B.info?.normPixLoss);
  const actions = useAppStore().getState();
  const ids = { ratio: useId(), pattern: useId(), style: useId(), resize: useId(), input: useId(), stats: useId(), seed: useId() };
  const painted = settings.pattern === 'painted';
  // The first picture's patch grid (every picture's, unless a whole picture has its own aspect).
  const firstFit = useApp((s) => {
    const key = s.order.find((k) => s.entries[k]?.fitted);
    return key ? s.entries[key].fitted : null;
  });
  const trained = info ? info.imgSize : null;
  const side = trained !== null ? inputSide(settings.inputScale, trained) : null;
  const rows = info && firstFit ? firstFit.height / info.patchSize : side !== null && info ? side / info.patchSize : null;
  const cols = info && firstFit ? firstFit.width / info.patchSize : rows;
  const grid = rows !== null && cols !== null && Number.isInteger(rows) && Number.isInteger(cols) ? { rows, cols } : null;
  const numPatches = grid ? grid.rows * grid.cols : null;
  // Another grid than the one the checkpoint was trained on: say so, plainly.
  const offTrained = info !== null && trained !== null && grid !== null
    && (grid.rows * info.patchSize !== trained || grid.cols * info.patchSize !== trained);
  // Painting: the readout is the first picture's painted share, not the slider's stale ratio.
  const paintedMask = useApp((s) => {
    const key = s.order.find((k) => s.entries[k]?.paintedMask);
    return key ? s.entries[key].paintedMask : null;
  });
  const paintedCount = painted && paintedMask ? countMasked(paintedMask) : null;
  const shownPct = paintedCount !== null && paintedMask ? Math.round((100 * paintedCount) / paintedMask.length) : settings.ratioPct;
  // Only a checkpoint trained on normalised pixels (A, or B when comparing) needs the choice.
  const normPix = info?.normPixLoss ? (compareNormPix ? 'A and B each' : 'This checkpoint') : compareNormPix ? 'Checkpoint B' : null;

  return (
    <section className="controls" aria-label="Mask settings">
      <div className="control control-ratio">
        <label htmlFor={ids.ratio}>Mask ratio</label>
        <div className="ratio-row">
          <input
            id={ids.ratio} type="range" min={0} max={MAX_RATIO_PCT} step={1}
            aria-valuetext={`${settings.ratioPct} percent`} data-testid="mask-ratio"
            value={settings.ratioPct} disabled={painted}
            onChange={(e) => actions.setRatioPct(Number(e.target.value))}
          />
          <output htmlFor={ids.ratio} className="ratio-value" data-testid="mask-ratio-value"
            title={painted ? 'The share of patches painted hidden (first picture)' : undefined}>{painted && paintedCount === null ? '—' : <>{shownPct}&thinsp;%</>}</output>
        </div>
        <p className="hint">
          {painted
            ? `Painting: click or drag on a masked panel (or focus it and use the arrow keys and Space) to hide or reveal patches${paintedCount !== null && paintedMask ? `; ${paintedCount} of ${paintedMask.length} hidden in the first picture` : ''}.`
            : grid && numPatches !== null
              ? `${countMasked(seededMask(settings, grid.rows, grid.cols))} of ${numPatches} patches hidden`
              : '\u00a0'}
        </p>
      </div>

      <div className="control">
        <label htmlFor={ids.seed}>Seed</label>
        <div className="seed-row">
          <SeedInput id={ids.seed} seed={settings.seed} onCommit={actions.setSeed} />
          <button type="button" className="button" data-testid="new-seed" onClick={actions.newSeed}
            title="Pick another random mask">New seed</button>
        </div>
      </div>

      <div className="control">
        <label htmlFor={ids.pattern}>Mask pattern</label>
        <select id={ids.pattern} data-testid="mask-pattern" value={settings.pattern}
          onChange={(e) => actions.setPattern(e.target.value as MaskPattern)}>
          {(Object.keys(PATTERN_LABELS) as MaskPattern[]).map((p) => <option key={p} value={p}>{PATTERN_LABELS[p]}</option>)}
        </select>
      </div>

      <div className="control">
        <label htmlFor={ids.style}>Hidden patches</label>
        <select id={ids.style} data-testid="mask-style" value={settings.maskStyle}
          onChange={(e) => actions.setMaskStyle(e.target.value as MaskStyle)}>
          <option value="grey">Mean grey</option>
          <option value="checker">Checkerboard</option>
        </select>
      </div>

      <div className="control">
        <label htmlFor={ids.resize}>Fit</label>
        <select id={ids.resize} data-testid="resize-mode" value={settings.resize}
          onChange={(e) => actions.setResize(e.target.value as ResizeMode)}>
          <option value="crop">Centre crop</option>
          <option value="squash">Squash</option>
          <option value="whole">Whole picture (its own aspect)</option>
        </select>
      </div>

      <div className="control" data-testid="input-size-control">
        <label htmlFor={ids.input}>Model input</label>
        <select id={ids.input} data-testid="input-scale" value={settings.inputScale} aria-describedby={`${ids.input}-hint`}
          onChange={(e) => actions.setInputScale(e.target.value as InputScale)}
          title={`The long side the picture is given to the model at (at most ${MAX_INPUT_PATCHES} patches)`}>
          <option value="native">{trained ?? 224} px (trained size)</option>
          <option value="double">{2 * (trained ?? 224)} px</option>
        </select>
        <p id={`${ids.input}-hint`} className={`hint ${offTrained ? 'hint-warn' : ''}`} data-testid="input-size-note"
          data-trained={trained ?? ''} data-grid-rows={grid?.rows ?? ''} data-grid-cols={grid?.cols ?? ''}>
          {offTrained && grid && info
            ? `The model was trained at ${trained} px (${trained! / info.patchSize}×${trained! / info.patchSize} patches); here it sees ${grid.cols * info.patchSize}×${grid.rows * info.patchSize} px (${grid.cols}×${grid.rows} patches) with its position embeddings stretched bicubically, as the reference's interpolate_pos_embed. Expect it to do somewhat worse than at its own size.`
            : trained !== null ? `As trained: ${trained} px.` : '\u00a0'}
        </p>
      </div>

      {normPix && (
        <div className="control" data-testid="norm-pix-control">
          <label htmlFor={ids.stats}>Statistics for hidden patches</label>
          <select id={ids.stats} data-testid="norm-pix-stats" value={settings.normPixStats}
            aria-describedby={`${ids.stats}-hint`}
            onChange={(e) => actions.setNormPixStats(e.target.value as NormPixStats)}
            title={`${normPix} predicts per-patch normalised pixels; turning them back into colours needs each hidden patch's mean and spread`}>
            <option value="visible">estimated from visible patches (default)</option>
            <option value="true">the true patch (uses hidden pixels)</option>
          </select>
          <p id={`${ids.stats}-hint`} className={`hint ${settings.normPixStats === 'true' ? 'hint-warn' : ''}`} data-testid="norm-pix-hint">
            {settings.normPixStats === 'true'
              ? 'Peeking: the hidden patches’ own mean and spread are used, so colours and brightness are not the model’s guess.'
              : `${normPix} predicts normalised pixels; their mean and spread are estimated from the visible patches.`}
          </p>
        </div>
      )}

      <div className="control toggles">
        <label className="toggle">
          <input type="checkbox" data-testid="grid-toggle" checked={settings.grid} onChange={(e) => actions.setGrid(e.target.checked)} />
          <span>Patch grid</span>
        </label>
        <label className="toggle">
          <input type="checkbox" data-testid="heatmap-toggle" checked={settings.heatmap} onChange={(e) => actions.setHeatmap(e.target.checked)} />
          <span>Error heatmap</span>
        </label>
        <label className="toggle" title={`While the model is idle, reconstruct the ratios next to the slider's (up to ${LOOKAHEAD_AHEAD_STEPS} steps ahead), so moving it shows them at once. Only for models that take under ${LOOKAHEAD_MAX_MS} ms a picture; uses the processor while idle.`}>
          <input type="checkbox" data-testid="lookahead-toggle" checked={settings.lookahead} onChange={(e) => actions.setLookahead(e.target.checked)} />
          <span>Compute nearby ratios ahead</span>
        </label>
        <button type="button" className="button button-quiet" data-testid="reset-settings" onClick={actions.resetSettings}
          title="Mask ratio 75 %, seed 0, random pattern, grey, centre crop at the trained size, no grid or heatmap">Reset settings</button>
      </div>
    </section>
  );
}
