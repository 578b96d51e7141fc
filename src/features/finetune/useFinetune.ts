// What the fine-tuning panel needs from the store: the run's state, what can be pressed now, the
// figures it shows (first and last loss, overfitting), and save = download + keep in this browser.
import { useCallback, useEffect } from 'react';
import { useApp, useAppStore } from '../../store/react';
import { overfitting, resolveHoldout, type FinetuneState } from '../../store/finetuneSlice';
import { saveBlob } from '../panels/download';
import { checkpointZip, zipName } from './download';

/** The buttons a run's phase allows. */
export interface FinetuneControls {
  canStart: boolean;
  canPause: boolean;
  canResume: boolean;
  canStop: boolean;
  canSave: boolean;
}

/** What can be pressed in a phase (pure, for tests): `modelReady` = slot A runs a checkpoint. */
export function controlsFor(f: Pick<FinetuneState, 'phase' | 'step' | 'saving'>, modelReady: boolean, hasTrained: boolean): FinetuneControls {
  const active = f.phase === 'starting' || f.phase === 'running' || f.phase === 'paused' || f.phase === 'stopping';
  return {
    canStart: modelReady && !active,
    canPause: f.phase === 'running',
    canResume: f.phase === 'paused',
    canStop: f.phase === 'running' || f.phase === 'paused',
    canSave: !f.saving && f.phase !== 'starting' && f.phase !== 'stopping' && hasTrained,
  };
}

export function useFinetune() {
  const store = useAppStore();
  const f = useApp((s) => s.finetune);
  const modelReady = useApp((s) => s.slots.A.phase === 'ready' && !!s.slots.A.info);
  const readyKeys = useApp((s) => s.order.filter((k) => s.entries[k]?.status === 'ready').join('\n'));
  const names = useApp((s) => s.entries);
  const ready = readyKeys ? readyKeys.split('\n') : [];
  const holdoutKey = resolveHoldout(f.holdout, ready);
  const generation = useApp((s) => s.slots.A.generation);
  const active = f.phase === 'running' || f.phase === 'paused';
  // Trained weights exist while a run goes, and after it as long as slot A still runs them (no other checkpoint since).
  const controls = controlsFor(f, modelReady, active ? f.step > 0 : f.trainedGeneration === generation);

  useEffect(() => {
    if (store.getState().finetune.saved === null) void store.getState().refreshSaved();
  }, [store]);

  const save = useCallback(async () => {
    const r = await store.getState().saveTrained();
    if (r) saveBlob(new Blob([checkpointZip(r.configJson, r.safetensors) as BlobPart], { type: 'application/zip' }), zipName(r.meta.id));
  }, [store]);

  return {
    f,
    controls,
    ready,
    holdoutKey,
    nameOf: (key: string) => names[key]?.name ?? key,
    // On the training picture under the run's fixed mask: it moves with the weights only, not with each batch's draw.
    firstLoss: f.viewLosses.length ? f.viewLosses[0].loss : null,
    lastLoss: f.viewLosses.length ? f.viewLosses[f.viewLosses.length - 1].loss : null,
    batchLoss: f.losses.length ? f.losses[f.losses.length - 1] : null,
    overfitting: overfitting(f.holdoutHistory),
    save,
  };
}
