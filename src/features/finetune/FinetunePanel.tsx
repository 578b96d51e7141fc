// "Teach it your photos": fine-tune the running checkpoint on the page's pictures, watch the loss
// fall and the reconstructions change, and keep the result (download, and in this browser).
import { useId } from 'react';
import { useApp, useAppStore } from '../../store/react';
import { MAX_TRAIN_BATCH, MAX_TRAIN_STEPS } from '../../shared/training';
import type { TrainView } from '../../protocol/messages';
import { PixelCanvas } from '../panels/PixelCanvas';
import { lossCurves, PLOT_HEIGHT, PLOT_WIDTH, stepPoints, type LossPoint } from './lossCurve';
import { useFinetune } from './useFinetune';

/** Losses are shown with this many significant digits. */
const LOSS_DIGITS = 4;
const fmtLoss = (v: number | null) => (v === null ? '–' : v.toPrecision(LOSS_DIGITS));
const fmtPsnr = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${v.toFixed(1)} dB`);

function LossCurve({ losses, views, total }: { losses: number[]; views: LossPoint[]; total: number }) {
  const g = lossCurves([stepPoints(losses), views], total);
  const last = views.at(-1);
  return (
    <figure className="ft-curve">
      <svg viewBox={`0 0 ${PLOT_WIDTH} ${PLOT_HEIGHT}`} role="img" data-testid="finetune-curve" data-points={losses.length}
        aria-label={last ? `Loss on the training picture from ${fmtLoss(views[0].loss)} to ${fmtLoss(last.loss)} after ${last.step} steps; each step's batch loss drawn faintly` : 'No steps yet'}>
        <rect x="0" y="0" width={PLOT_WIDTH} height={PLOT_HEIGHT} className="ft-curve-bg" />
        {g.points[0] && <polyline points={g.points[0]} className="ft-curve-batch" fill="none" />}
        {g.points[1] && <polyline points={g.points[1]} className="ft-curve-line" fill="none" />}
      </svg>
      <figcaption className="muted">
        <span className="ft-key ft-key-line" /> training picture, fixed mask <span className="ft-key ft-key-batch" /> each step’s batch
        {g.maxLoss !== null && ` · loss ${fmtLoss(g.minLoss)} – ${fmtLoss(g.maxLoss)} · steps 0 – ${total}`}
      </figcaption>
    </figure>
  );
}

function View({ title, v, size, testId }: { title: string; v: TrainView | null | undefined; size: number; testId: string }) {
  return (
    <figure className="panel ft-view">
      <PixelCanvas pixels={v?.pasted ?? null} fallbackSize={size} className="ft-canvas" data-testid={testId} />
      <figcaption>{title} · {fmtPsnr(v?.psnr)}</figcaption>
    </figure>
  );
}

export function FinetunePanel() {
  const store = useAppStore();
  const { f, controls, ready, holdoutKey, nameOf, firstLoss, lastLoss, batchLoss, overfitting: over, save } = useFinetune();
  const stepsId = useId();
  const batchId = useId();
  const holdoutId = useId();
  const headId = useId();
  const s = store.getState();
  const modelSize = useApp((st) => st.slots.A.info?.imgSize ?? null);
  const size = f.before?.train?.pasted.width ?? modelSize ?? 1;
  const running = f.phase === 'running' || f.phase === 'paused' || f.phase === 'starting' || f.phase === 'stopping';
  return (
    <section className="picker finetune" aria-labelledby={headId} data-testid="finetune">
      <header className="picker-head">
        <h2 id={headId}>Teach it your photos</h2>
        <span className="muted">Fine-tune the running checkpoint on the pictures on this page, here in your browser.</span>
      </header>
      <div className="picker-inline ft-settings">
        <label htmlFor={stepsId}>Steps</label>
        <input id={stepsId} type="number" min={1} max={MAX_TRAIN_STEPS} data-testid="finetune-steps" value={f.steps} disabled={running}
          onChange={(e) => s.setTrainSteps(e.target.valueAsNumber)} />
        <label htmlFor={batchId}>Batch</label>
        <input id={batchId} type="number" min={1} max={MAX_TRAIN_BATCH} data-testid="finetune-batch" value={f.batchSize} disabled={running}
          onChange={(e) => s.setTrainBatch(e.target.valueAsNumber)} />
        <label htmlFor={holdoutId}>Held out</label>
        <select id={holdoutId} data-testid="finetune-holdout" value={f.holdout === 'auto' ? (holdoutKey ?? 'none') : f.holdout} disabled={running}
          onChange={(e) => s.setHoldout(e.target.value)}>
          <option value="none">none</option>
          {ready.map((k) => <option key={k} value={k}>{nameOf(k)}</option>)}
        </select>
        <button type="button" className="button button-primary" data-testid="finetune-start" disabled={!controls.canStart}
          onClick={() => void store.getState().startTraining()}>{f.step > 0 && !running ? 'Train again' : 'Start'}</button>
        {controls.canResume
          ? <button type="button" className="button" data-testid="finetune-resume" onClick={() => s.controlTraining('resume')}>Resume</button>
          : <button type="button" className="button" data-testid="finetune-pause" disabled={!controls.canPause} onClick={() => s.controlTraining('pause')}>Pause</button>}
        <button type="button" className="button" data-testid="finetune-stop" disabled={!controls.canStop} onClick={() => s.controlTraining('stop')}>Stop</button>
        <button type="button" className="button" data-testid="finetune-save" disabled={!controls.canSave} onClick={() => void save()}
          title="Downloads config.json + model.safetensors (a zip) and keeps the checkpoint in this browser">
          {f.saving ? 'Saving…' : 'Save'}
        </button>
      </div>
      <p className="hint">
        {holdoutKey ? `“${nameOf(holdoutKey)}” is held out: never trained on, it shows whether the model learns pictures in general or only yours.` : 'Add a second picture to hold one out of training and see overfitting.'}
      </p>
      <div className="ft-status" data-testid="finetune-status" data-phase={f.phase} data-step={f.step} data-total={f.totalSteps}
        data-first-loss={firstLoss ?? ''} data-loss={lastLoss ?? ''} data-batch-loss={batchLoss ?? ''} role="status">
        {f.phase === 'idle' && <span className="muted">Not trained yet.</span>}
        {f.phase !== 'idle' && f.phase !== 'error' && (
          <span>
            <strong>{f.phase === 'starting' ? 'starting…' : f.phase}</strong> · step {f.step} / {f.totalSteps}
            {' · '}loss on the training picture {fmtLoss(lastLoss)}{firstLoss !== null && ` (before: ${fmtLoss(firstLoss)})`}
            {' · '}batch loss {fmtLoss(batchLoss)}
            {f.stepsPerSec !== null && <> · <span data-testid="finetune-rate">{f.stepsPerSec.toFixed(2)} steps/s</span></>}
            {f.rebuildMs !== null && <span className="muted" title="Reading the trained weights back and rebuilding the model the slider uses"> · weights shown refreshed in {Math.round(f.rebuildMs)} ms</span>}
          </span>
        )}
        {f.message && <span className={f.phase === 'error' ? 'hint-error' : ''} data-testid="finetune-message"> {f.message}</span>}
      </div>
      {(f.losses.length > 0 || f.before) && (
        <div className="ft-body">
          <LossCurve losses={f.losses} views={f.viewLosses} total={f.totalSteps} />
          {f.before && (
            <div className="ft-views">
              <View title="training picture, before" v={f.before.train} size={size} testId="finetune-before-train" />
              <View title={`after step ${f.after?.step ?? 0}`} v={f.after?.train} size={size} testId="finetune-after-train" />
              {f.before.holdout && <View title="held out, before" v={f.before.holdout} size={size} testId="finetune-before-holdout" />}
              {f.before.holdout && <View title={`after step ${f.after?.step ?? 0}`} v={f.after?.holdout} size={size} testId="finetune-after-holdout" />}
            </div>
          )}
          {over && (
            <p className="hint hint-error" data-testid="finetune-overfitting">
              The held-out picture’s error is rising while training goes on: the model is overfitting (learning these pictures, not pictures in general).
            </p>
          )}
        </div>
      )}
    </section>
  );
}
