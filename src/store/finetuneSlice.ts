// Fine-tuning as the page runs it: the visitor's steps and batch size, one run at a time in slot A's
// worker (start, pause, resume, stop), its loss curve and before/after views, the page's
// reconstructions following the trained weights, and the results kept in this browser.
import type { TrainAction, TrainEndReason, TrainView } from '../protocol/messages';
import {
  clampCount, DEFAULT_TRAIN_BATCH, DEFAULT_TRAIN_STEPS, MAX_TRAIN_BATCH, MAX_TRAIN_STEPS, NO_TRAINING_IMAGES,
} from '../shared/training';
import type { TrainEvent, TrainedFiles } from '../worker-client/types';
import { savedSource, type SavedCheckpointMeta } from './savedCheckpoints';
import { message, trainingBusy } from './slot';
import type { GetState, SetState, StoreContext } from './types';

export type FinetunePhase = 'idle' | 'starting' | 'running' | 'paused' | 'stopping' | 'done' | 'error';

/** Which picture is held out of training: chosen by the page (the last one, when there are two or more), none, or a key. */
export type HoldoutChoice = 'auto' | 'none' | string;

/** The fixed-mask views at one moment of a run. */
export interface TrainViews {
  step: number;
  train: TrainView | null;
  holdout: TrainView | null;
}

export interface FinetuneState {
  phase: FinetunePhase;
  /** The visitor's settings for the next run. */
  steps: number;
  batchSize: number;
  holdout: HoldoutChoice;
  /** The run's request id in the worker (for pause, resume, stop). */
  runId: number | null;
  totalSteps: number;
  /** Steps done. */
  step: number;
  /** The loss of every step done (its batch's), in order. */
  losses: number[];
  /**
   * The training picture's loss under the run's fixed mask, before training (step 0) and at every
   * view: unlike a batch's loss (other crops, other masks each step) it only moves with the weights.
   */
  viewLosses: { step: number; loss: number }[];
  /** What the last rebuild of the fast model from the trained weights took, in ms. */
  rebuildMs: number | null;
  lr: number | null;
  stepsPerSec: number | null;
  /** The run's fixed mask (1 = masked). */
  mask: Uint8Array | null;
  before: TrainViews | null;
  after: TrainViews | null;
  /** The held-out picture's masked-patch MSE at each view, to tell overfitting. */
  holdoutHistory: { step: number; mse: number }[];
  endReason: TrainEndReason | null;
  /** Why a run could not start or stopped early, in the visitor's words. */
  message: string | null;
  /** The checkpoint the run started from, the pictures it trained on. */
  base: string | null;
  imageCount: number;
  /** Weights that are trained and not saved since. */
  unsaved: boolean;
  /** Slot A's generation when the last run ended with trained weights: Save offers them while it still runs them. */
  trainedGeneration: number | null;
  saving: boolean;
  /** Kept checkpoints, newest first; null until read. */
  saved: SavedCheckpointMeta[] | null;
}

export interface FinetuneSlice {
  finetune: FinetuneState;
  setTrainSteps(n: number): void;
  setTrainBatch(n: number): void;
  setHoldout(choice: HoldoutChoice): void;
  /** Starts a run on the page's pictures; says what is wrong instead when it cannot. */
  startTraining(): Promise<void>;
  controlTraining(action: TrainAction): void;
  /** The trained weights as files, also kept in this browser with a summary; null when saving failed (a notice says why). */
  saveTrained(): Promise<(TrainedFiles & { meta: SavedCheckpointMeta }) | null>;
  /** Reads the kept checkpoints again. */
  refreshSaved(): Promise<void>;
  deleteSaved(id: string): Promise<void>;
  /** Loads a kept checkpoint into slot A. */
  loadSaved(id: string): Promise<boolean>;
}

export const initialFinetune = (): FinetuneState => ({
  phase: 'idle', steps: DEFAULT_TRAIN_STEPS, batchSize: DEFAULT_TRAIN_BATCH, holdout: 'auto', runId: null, totalSteps: 0,
  step: 0, losses: [], viewLosses: [], rebuildMs: null, lr: null, stepsPerSec: null, mask: null, before: null, after: null, holdoutHistory: [],
  endReason: null, message: null, base: null, imageCount: 0, unsaved: false, trainedGeneration: null, saving: false, saved: null,
});

/** The held-out picture a choice names among the ready pictures (null: none). */
export function resolveHoldout(choice: HoldoutChoice, ready: string[]): string | null {
  if (choice === 'none') return null;
  if (choice === 'auto') return ready.length >= 2 ? ready[ready.length - 1] : null;
  return ready.includes(choice) ? choice : null;
}

/** The held-out error has risen by this share above its lowest while training (unitless): said to be overfitting. */
export const OVERFIT_RISE = 0.05;

/** Whether the held-out picture's error has risen above its best of the run by more than OVERFIT_RISE. */
export function overfitting(history: { step: number; mse: number }[]): boolean {
  if (history.length < 2) return false;
  const best = Math.min(...history.map((h) => h.mse));
  return history[history.length - 1].mse > best * (1 + OVERFIT_RISE);
}

/** A kept checkpoint's id from the time and a random draw (letters and digits). */
export const newSavedId = (now: number, random: () => number): string =>
  `ft-${now.toString(36)}-${Math.floor(random() * 36 ** 6).toString(36).padStart(6, '0')}`;

/** What the page says for a run that ended. */
export function endSentence(reason: TrainEndReason, step: number, msg: string | null): string | null {
  switch (reason) {
    case 'finished': return null;
    case 'stopped': return msg ? `Training stopped at step ${step}: ${msg}.` : null;
    case 'out-of-memory':
    case 'failed': return msg ? `${msg.charAt(0).toUpperCase()}${msg.slice(1)}` : `Training failed at step ${step}.`;
  }
}

export function createFinetuneSlice(set: SetState, get: GetState, ctx: StoreContext): FinetuneSlice {
  const patch = (p: Partial<FinetuneState>) => set((s) => ({ finetune: { ...s.finetune, ...p } }));
  /** The weights version the page's reconstructions were last redone for. */
  let shownVersion = 0;
  /** The run events belong to (a newer run's start ignores an older run's late reports). */
  let runToken = 0;

  /** The trained weights changed in the worker: redo every reconstruction of slot A. */
  const weightsChanged = (version: number) => {
    if (version === shownVersion) return;
    shownVersion = version;
    set((s) => ({ slots: { ...s.slots, A: { ...s.slots.A, generation: s.slots.A.generation + 1 } } }));
    ctx.scheduleRefresh();
  };

  const onEvent = (token: number, e: TrainEvent) => {
    if (token !== runToken) return;
    const f = get().finetune;
    switch (e.type) {
      case 'trainStarted':
        patch({
          phase: 'running', totalSteps: e.steps, mask: e.mask,
          before: { step: 0, train: e.train, holdout: e.holdout }, after: null,
          holdoutHistory: e.holdout?.mse != null ? [{ step: 0, mse: e.holdout.mse }] : [],
          viewLosses: e.train?.loss != null ? [{ step: 0, loss: e.train.loss }] : [],
        });
        return;
      case 'trainProgress': {
        const losses = f.losses.length === e.step - 1 ? [...f.losses, e.loss] : [...f.losses.slice(0, e.step - 1), e.loss];
        patch({ step: e.step, losses, lr: e.lr, stepsPerSec: e.stepsPerSec, unsaved: true });
        weightsChanged(e.weightsVersion);
        return;
      }
      case 'trainViews':
        patch({
          after: { step: e.step, train: e.train, holdout: e.holdout },
          holdoutHistory: e.holdout?.mse != null ? [...f.holdoutHistory, { step: e.step, mse: e.holdout.mse }] : f.holdoutHistory,
          viewLosses: e.train.loss != null ? [...f.viewLosses, { step: e.step, loss: e.train.loss }] : f.viewLosses,
          rebuildMs: e.rebuildMs,
        });
        return;
      case 'trainPaused':
        if (f.phase === 'running' || f.phase === 'paused') patch({ phase: e.paused ? 'paused' : 'running' });
        return;
      case 'trainDone': {
        const failed = e.reason === 'out-of-memory' || e.reason === 'failed';
        patch({ phase: failed ? 'error' : 'done', runId: null, endReason: e.reason, step: e.step, message: endSentence(e.reason, e.step, e.message) });
        weightsChanged(e.weightsVersion);
        patch({ trainedGeneration: e.step > 0 ? get().slots.A.generation : null });
        if (e.step > 0 && e.message !== 'another checkpoint was loaded') {
          const a = get().slots.A;
          if (a.checkpoint) {
            const label = `${f.base ?? a.checkpoint.label} · fine-tuned ${e.step} step${e.step === 1 ? '' : 's'}`;
            set((s) => ({ slots: { ...s.slots, A: { ...s.slots.A, checkpoint: s.slots.A.checkpoint && { ...s.slots.A.checkpoint, label } } } }));
          }
        }
        return;
      }
    }
  };

  const busy = () => trainingBusy(get().finetune.phase);

  return {
    finetune: initialFinetune(),

    setTrainSteps(n) {
      patch({ steps: clampCount(n, MAX_TRAIN_STEPS, DEFAULT_TRAIN_STEPS) });
    },
    setTrainBatch(n) {
      patch({ batchSize: clampCount(n, MAX_TRAIN_BATCH, DEFAULT_TRAIN_BATCH) });
    },
    setHoldout(choice) {
      patch({ holdout: choice });
    },

    async startTraining() {
      if (busy()) return;
      const s = get();
      const client = ctx.slots.A.client();
      const a = s.slots.A;
      if (!client || !a.info || a.phase !== 'ready') {
        patch({ phase: 'error', message: 'The model is not ready yet; try again once it is.' });
        return;
      }
      // Every picture the worker can hold: ready ones (their pixels are sent before the run starts).
      const ready = s.order.filter((k) => s.entries[k]?.status === 'ready' && s.entries[k]?.fitted?.width === a.info!.imgSize);
      const holdoutKey = resolveHoldout(s.finetune.holdout, ready);
      const train = ready.filter((k) => k !== holdoutKey);
      if (!train.length) {
        patch({ phase: 'error', message: `${NO_TRAINING_IMAGES.charAt(0).toUpperCase()}${NO_TRAINING_IMAGES.slice(1)}.` });
        return;
      }
      for (const k of ready) client.setImage(k, s.entries[k]!.fitted!);
      const token = ++runToken;
      const { steps, batchSize } = s.finetune;
      const base = a.checkpoint?.label ?? null;
      patch({
        phase: 'starting', runId: null, totalSteps: steps, step: 0, losses: [], viewLosses: [], rebuildMs: null, lr: null, stepsPerSec: null, mask: null,
        before: null, after: null, holdoutHistory: [], endReason: null, message: null, base, imageCount: train.length,
      });
      const { id, done } = client.train({ options: { steps, batchSize, seed: s.settings.seed }, imageKeys: train, holdoutKey },
        (e) => onEvent(token, e));
      patch({ runId: id });
      try {
        await done;
      } catch (e) {
        if (token !== runToken) return;
        const text = message(e);
        patch({ phase: 'error', runId: null, message: `${text.charAt(0).toUpperCase()}${text.slice(1)}.` });
      }
    },

    controlTraining(action) {
      const f = get().finetune;
      const client = ctx.slots.A.client();
      if (f.runId === null || !client) return;
      if (action === 'stop') patch({ phase: 'stopping' });
      client.controlTraining(f.runId, action);
    },

    async saveTrained() {
      const client = ctx.slots.A.client();
      const f = get().finetune;
      if (!client || f.saving) return null;
      patch({ saving: true });
      try {
        const files = await client.saveTraining();
        const { now, random } = ctx.deps;
        const savedAt = now();
        const meta: SavedCheckpointMeta = {
          id: newSavedId(savedAt, random), label: `${f.base ?? 'checkpoint'} · fine-tuned ${f.step} steps`, base: f.base ?? 'unknown',
          steps: f.step, images: f.imageCount, batchSize: f.batchSize, finalLoss: f.viewLosses.at(-1)?.loss ?? f.losses.at(-1) ?? null, savedAt,
          bytes: files.safetensors.byteLength + files.configJson.length,
        };
        const keep = ctx.deps.savedCheckpoints;
        if (keep) {
          try {
            await keep.put(meta, new Blob([files.configJson], { type: 'application/json' }), new Blob([files.safetensors as BlobPart]));
            await get().refreshSaved();
          } catch (e) {
            get().notify('warning', `The fine-tuned checkpoint could not be kept in this browser (${message(e)}); the download still has it.`);
          }
        }
        patch({ unsaved: false });
        return { ...files, meta };
      } catch (e) {
        get().notify('error', `The trained weights could not be saved: ${message(e)}.`);
        return null;
      } finally {
        patch({ saving: false });
      }
    },

    async refreshSaved() {
      const keep = ctx.deps.savedCheckpoints;
      if (!keep) {
        patch({ saved: [] });
        return;
      }
      try {
        patch({ saved: await keep.list() });
      } catch (e) {
        patch({ saved: [] });
        get().notify('warning', `The fine-tuned checkpoints kept in this browser could not be read (${message(e)}).`);
      }
    },

    async deleteSaved(id) {
      try {
        await ctx.deps.savedCheckpoints?.remove(id);
      } catch (e) {
        get().notify('error', `The fine-tuned checkpoint could not be deleted (${message(e)}).`);
      }
      await get().refreshSaved();
    },

    async loadSaved(id) {
      const got = await ctx.deps.savedCheckpoints?.files(id).catch(() => null);
      if (!got) {
        get().notify('error', 'That fine-tuned checkpoint is no longer in this browser.');
        await get().refreshSaved();
        return false;
      }
      return get().slotApi.A.load(savedSource(got.meta, got.config, got.weights));
    },
  };
}
