// Fine-tuning in the model worker: one run at a time, its steps run as jobs of the worker's queue
// between reconstructions (the page's slider keeps answering), the fast model rebuilt from the
// trained weights every so often so the page's reconstructions follow the training, and the
// before/after views under one fixed mask on a training picture and a held-out one.
// tfjs-core registers no gradients by itself; the training step needs them (see src/model/train.ts).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { hasDecoder } from '../checkpoints/names';
import { toHfFiles } from '../checkpoints/export';
import { gridSize, Mae, mulberry32, reconstructImage, type HostParams, type MaeConfig } from '../model';
import { DEFAULT_TRAIN_SETTINGS, sampleBatch, Trainer, type TrainSettings } from '../model/train';
import type { Rgba, TrainAction, TrainEndReason, TrainOptions, TrainView, WorkerResponse } from '../protocol/messages';
import { maskFor } from '../shared/masking';
import { NO_DECODER_TO_TRAIN, NO_TRAINING_IMAGES, outOfMemoryAdvice } from '../shared/training';
import { currentWeights, setCurrentWeights } from './current';
import { isOutOfMemory } from './errors';

/**
 * The fast model is rebuilt from the trained weights (a readback and an upload) at most this often
 * while steps run, in ms of wall time; and always at pause, stop and the end. Every rebuild also
 * redraws the before/after views and tells the page to redo its reconstructions.
 */
export const REBUILD_INTERVAL_MS = 3000;

type Post = (msg: WorkerResponse, transfer?: Transferable[]) => void;

/** What the training jobs need of the worker around them. */
export interface TrainingHost {
  post: Post;
  /** The page's images (fitted to the model's size) by key. */
  images: ReadonlyMap<string, Rgba>;
  model(): Mae | null;
  /** Replaces the fast model (the old one is the host's to dispose). */
  replaceModel(next: Mae): void;
}

interface Run {
  id: number;
  trainer: Trainer;
  config: MaeConfig;
  settings: TrainSettings;
  imageKeys: string[];
  holdoutKey: string | null;
  /** Crops, flips and masks of the run. */
  rng: () => number;
  /** The views' fixed mask, 1 = masked, patch order. */
  mask: Uint8Array;
  paused: boolean;
  stopping: boolean;
  /** Wall time spent in steps, ms (pauses and reconstructions excluded). */
  stepMs: number;
  lastRebuildAt: number;
  /** The step the fast model shows. */
  shownStep: number;
}

/** The training side of the worker: start, control, steps as queue jobs, save. */
export class TrainingJobs {
  private run: Run | null = null;
  /** The newest trained weights once a run has ended (for saving), with their config. */
  private trained: { config: MaeConfig; params: HostParams } | null = null;
  /** Bumped whenever the fast model starts showing other trained weights. */
  private weightsVersion = 0;

  constructor(private readonly host: TrainingHost) {}

  /** Whether a step is waiting to run. */
  runnable(): boolean {
    return !!this.run && (!this.run.paused || this.run.stopping);
  }

  /** Starts a run on the installed checkpoint's weights; posts an error (non-fatal) when it cannot start. */
  async start(id: number, options: TrainOptions, imageKeys: string[], holdoutKey: string | null): Promise<boolean> {
    const fail = (message: string) => {
      this.host.post({ type: 'error', id, message, fatal: false });
      return false;
    };
    const model = this.host.model();
    const current = currentWeights();
    if (!model || !current) return fail('no checkpoint is loaded yet');
    if (this.run) return fail('a training run is already going: stop it first');
    const keys = imageKeys.filter((k) => k !== holdoutKey && this.host.images.has(k));
    if (!keys.length) return fail(NO_TRAINING_IMAGES);
    const holdout = holdoutKey && this.host.images.has(holdoutKey) ? holdoutKey : null;
    let params: HostParams | null = await current.read();
    if (!hasDecoder(params.keys())) return fail(NO_DECODER_TO_TRAIN);
    const config = current.config;
    const settings: TrainSettings = { ...DEFAULT_TRAIN_SETTINGS, batchSize: options.batchSize, steps: options.steps, seed: options.seed };
    let trainer: Trainer;
    try {
      trainer = Trainer.create(config, params, settings);
    } catch (e) {
      return fail(isOutOfMemory(e) ? outOfMemoryAdvice(settings.batchSize, 0) : (e as Error).message);
    } finally {
      params = null;
    }
    const g = gridSize(config);
    const mask = maskFor({ pattern: 'random', maskRatio: settings.maskRatio, seed: options.seed }, g);
    const run: Run = {
      id, trainer, config, settings, imageKeys: keys, holdoutKey: holdout, rng: mulberry32(options.seed), mask,
      paused: false, stopping: false, stepMs: 0, lastRebuildAt: performance.now(), shownStep: 0,
    };
    this.run = run;
    const views = await this.views(run, model);
    this.host.post({ type: 'trainStarted', id, steps: settings.steps, batchSize: settings.batchSize, mask: mask.slice(), train: views?.train ?? null, holdout: views?.holdout ?? null });
    return true;
  }

  /** Pause (the fast model then shows the weights so far), resume, or stop at the next job. */
  async control(target: number, action: TrainAction): Promise<void> {
    const run = this.run;
    if (!run || run.id !== target) return;
    switch (action) {
      case 'pause':
        if (run.paused) return;
        run.paused = true;
        // The slider shows the weights the run paused at.
        await this.rebuild(run);
        this.host.post({ type: 'trainPaused', id: run.id, paused: true });
        return;
      case 'resume':
        if (!run.paused) return;
        run.paused = false;
        this.host.post({ type: 'trainPaused', id: run.id, paused: false });
        return;
      case 'stop':
        run.stopping = true;
        return;
    }
  }

  /** One job of the queue: a training step (or the end of the run). */
  async step(): Promise<void> {
    const run = this.run;
    if (!run) return;
    if (run.stopping) return this.finish(run, 'stopped', null);
    const { trainer, settings, config } = run;
    const t0 = performance.now();
    let loss: number;
    let lr: number;
    try {
      const images = run.imageKeys.map((k) => this.host.images.get(k)).filter((i): i is Rgba => !!i);
      if (!images.length) return this.finish(run, 'failed', NO_TRAINING_IMAGES);
      const b = sampleBatch(images, settings.batchSize, config.imgSize, gridSize(config) ** 2, run.rng);
      ({ loss, lr } = await trainer.step(b.batch, b.noise));
    } catch (e) {
      // The trainer applies an update only once the whole step succeeded: its weights are the last good step's.
      if (isOutOfMemory(e)) return this.finish(run, 'out-of-memory', outOfMemoryAdvice(settings.batchSize, trainer.stepCount));
      return this.finish(run, 'failed', `training stopped at step ${trainer.stepCount + 1}: ${(e as Error).message}`);
    }
    const now = performance.now();
    run.stepMs += now - t0;
    const step = trainer.stepCount;
    if (step >= settings.steps) return this.finish(run, 'finished', null, { loss, lr });
    this.progress(run, loss, lr);
    if (now - run.lastRebuildAt < REBUILD_INTERVAL_MS) return;
    try {
      await this.rebuild(run);
    } catch (e) {
      return this.finish(run, isOutOfMemory(e) ? 'out-of-memory' : 'failed',
        isOutOfMemory(e) ? outOfMemoryAdvice(settings.batchSize, step) : `showing the trained weights failed: ${(e as Error).message}`);
    }
  }

  /** The newest trained weights as Hugging Face files; posts an error when there are none. */
  async save(id: number): Promise<void> {
    let src: { config: MaeConfig; params: HostParams } | null = this.trained;
    if (this.run) src = { config: this.run.config, params: await this.run.trainer.hostParams() };
    if (!src) {
      this.host.post({ type: 'error', id, message: 'there are no trained weights to save yet: train first', fatal: false });
      return;
    }
    const { configJson, safetensors } = toHfFiles(src.config, src.params);
    this.host.post({ type: 'trainSaved', id, configJson, safetensors }, [safetensors.buffer]);
  }

  /** A new checkpoint replaces the model: a run ends, and trained weights are forgotten (they belong to the old one). */
  abandon(): void {
    this.trained = null;
    const run = this.run;
    if (!run) return;
    this.run = null;
    run.trainer.dispose();
    this.host.post({ type: 'trainDone', id: run.id, reason: 'stopped', step: run.trainer.stepCount, message: 'another checkpoint was loaded', weightsVersion: this.weightsVersion });
  }

  private progress(run: Run, loss: number, lr: number): void {
    const step = run.trainer.stepCount;
    this.host.post({
      type: 'trainProgress', id: run.id, step, loss, lr,
      stepsPerSec: run.stepMs > 0 ? (step * 1000) / run.stepMs : 0, weightsVersion: this.weightsVersion,
    });
  }

  /** The fast model rebuilt from the trainer's weights, the views redrawn; returns the weights read. */
  private async rebuild(run: Run): Promise<HostParams | null> {
    run.lastRebuildAt = performance.now();
    if (run.shownStep === run.trainer.stepCount) return null;
    const t0 = performance.now();
    const params = await run.trainer.hostParams();
    const next = Mae.create(run.config, params);
    this.host.replaceModel(next);
    const rebuildMs = performance.now() - t0;
    run.shownStep = run.trainer.stepCount;
    this.weightsVersion++;
    const views = await this.views(run, next);
    if (views) this.host.post({ type: 'trainViews', id: run.id, step: run.shownStep, rebuildMs, ...views });
    return params;
  }

  private async finish(run: Run, reason: TrainEndReason, message: string | null, last?: { loss: number; lr: number }): Promise<void> {
    if (last) this.progress(run, last.loss, last.lr);
    let params: HostParams | null = null;
    try {
      params = (await this.rebuild(run)) ?? (run.trainer.stepCount > 0 ? await run.trainer.hostParams() : null);
    } catch {
      // Reading back failed (the device is out of memory): the model shown last stays, unsaved.
    }
    this.run = null;
    run.trainer.dispose();
    if (params) {
      const kept = { config: run.config, params };
      this.trained = kept;
      // Views, saving and a next run start from the trained weights (copies: the reader's caller owns them).
      setCurrentWeights(run.config, async () => new Map([...kept.params].map(([k, v]) => [k, { shape: v.shape.slice(), data: v.data.slice() }])));
    }
    this.host.post({ type: 'trainDone', id: run.id, reason, step: run.trainer.stepCount, message, weightsVersion: this.weightsVersion });
  }

  /** The run's fixed-mask reconstructions of its first training picture and of the held-out one (null: removed meanwhile). */
  private async views(run: Run, model: Mae): Promise<{ train: TrainView; holdout: TrainView | null } | null> {
    const view = async (key: string | undefined): Promise<TrainView | null> => {
      const img = key === undefined ? undefined : this.host.images.get(key);
      if (!key || !img) return null;
      const r = await reconstructImage(model, img.data, { mask: { pattern: 'painted', mask: run.mask } });
      const size = model.config.imgSize;
      const finite = (v: number | null) => (v !== null && Number.isFinite(v) ? v : null);
      return { imageKey: key, pasted: { width: size, height: size, data: r.pasted }, mse: r.mse, psnr: finite(r.psnr), loss: finite(r.loss) };
    };
    const train = await view(run.imageKeys.find((k) => this.host.images.has(k)));
    return train && { train, holdout: run.holdoutKey ? await view(run.holdoutKey) : null };
  }
}
