import { useId, useState } from 'react';
import type { MaskPattern, NormPixStats, ResizeMode } from '../../protocol/messages';
import type { MaskStyle } from '../../shared/panels';
import { MAX_RATIO_PCT, MAX_SEED } from '../../store/settings';
import { useApp, useAppStore } from '../../store/react';
import { maskedAtRatio } from './maskMath';

const PATTERN_LABELS: Record<MaskPattern, string> = {
  random: 'Random (as in the paper)',
  block: 'Blocks',
  grid: 'Regular grid',
  painted: 'Painted by hand',
};

function SeedInput({ id, seed, onCommit }: { id: string; seed: number; onCommit: (n: number) => void }) {
  const [draft, setDraft] = useState(String(seed));
  const [shown, setShown] = useState(seed);
  if (shown !== seed) {
    setShown(seed);
    setDraft(String(seed));
  }
  const valid = (v: string) => /^\d+$/.test(v.trim()) && Number(v) <= MAX_SEED;
  return (
    <input
      id={id} type="number" inputMode="numeric" min={0} max={MAX_SEED} step={1}
      data-testid="seed-input" className="seed-input"
      aria-invalid={!valid(draft)}
      value={draft}
      onChange={(e) => {
        setDraft(e.target.value);
        if (valid(e.target.value)) onCommit(Number(e.target.value));
      }}
      onBlur={() => setDraft(String(seed))}
    />
  );
}

export function MaskControls() {
  const settings = useApp((s) => s.settings);
  const info = useApp((s) => s.model.info);
  const compareNormPix = useApp((s) => !!s.compare.info?.normPixLoss);
  const actions = useAppStore().getState();
  const ids = { ratio: useId(), pattern: useId(), style: useId(), resize: useId(), stats: useId(), seed: useId() };
  const painted = settings.pattern === 'painted';
  const numPatches = info ? (info.imgSize / info.patchSize) ** 2 : null;
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
          <output htmlFor={ids.ratio} className="ratio-value" data-testid="mask-ratio-value">{settings.ratioPct}&thinsp;%</output>
        </div>
        <p className="hint">
          {painted
            ? 'Painting: click or drag on a masked panel to hide or reveal patches.'
            : numPatches !== null
              ? `${maskedAtRatio(numPatches, settings.ratioPct)} of ${numPatches} patches hidden`
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
        </select>
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
      </div>
    </section>
  );
}
