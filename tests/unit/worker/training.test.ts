// The worker's training jobs on the cpu backend with a tiny model: a run's reports, pause/resume/stop,
// no pictures, no decoder, running out of memory (the last good step's weights kept), the trained
// weights becoming the current ones, and saved files that load back to exactly those weights.
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Mae, randomParams, type HostParams, type MaeConfig } from '../../../src/model';
import { Trainer } from '../../../src/model/train';
import { loadCheckpoint } from '../../../src/checkpoints/load';
import type { Rgba, WorkerResponse } from '../../../src/protocol/messages';
import { NO_DECODER_TO_TRAIN, NO_TRAINING_IMAGES } from '../../../src/shared/training';
import { currentWeights, setCurrentWeights } from '../../../src/worker/current';
import { TrainingJobs } from '../../../src/worker/training';
import { maxAbs, useBackend } from '../../helpers/tf';

/** A model small enough for many steps in a unit test: 32 px in 8 px patches. */
const CFG: MaeConfig = {
  imgSize: 32, patchSize: 8, inChans: 3, embedDim: 16, depth: 1, numHeads: 2,
  decoderEmbedDim: 8, decoderDepth: 1, decoderNumHeads: 2, mlpRatio: 2, layerNormEps: 1e-6, normPixLoss: false,
};
/** Saved float32 weights must load back bit for bit. */
const SAVE_TOL = 0;

const picture = (seed: number): Rgba => ({
  width: CFG.imgSize, height: CFG.imgSize,
  data: Uint8ClampedArray.from({ length: CFG.imgSize * CFG.imgSize * 4 }, (_, i) => (i % 4 === 3 ? 255 : (i * (seed + 7) + (i >> 7) * 13) % 256)),
});

function world(params: HostParams = randomParams(CFG, 1)) {
  const posted: WorkerResponse[] = [];
  const images = new Map<string, Rgba>([['a', picture(1)], ['b', picture(2)]]);
  let model: Mae | null = Mae.create(CFG, params);
  const replaced: Mae[] = [];
  setCurrentWeights(CFG, async () => new Map([...params].map(([k, v]) => [k, { shape: v.shape.slice(), data: v.data.slice() }])));
  const jobs = new TrainingJobs({
    post: (m) => posted.push(m), images, model: () => model,
    replaceModel(next) {
      model?.dispose();
      model = next;
      replaced.push(next);
    },
  });
  const of = <T extends WorkerResponse['type']>(type: T) => posted.filter((m): m is Extract<WorkerResponse, { type: T }> => m.type === type);
  return { jobs, posted, of, images, replaced, dispose: () => model?.dispose() };
}

/** Runs steps until the run ends (at most `max`). */
async function runOut(jobs: TrainingJobs, max = 50): Promise<void> {
  for (let i = 0; i < max && jobs.runnable(); i++) await jobs.step();
}

beforeAll(async () => {
  await useBackend('cpu');
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('training jobs in the worker', () => {
  it('runs a whole run: start views, one report per step, the end views, trainDone; the trained weights become current', async () => {
    const w = world();
    const before = tf.memory().numTensors;
    expect(await w.jobs.start(1, { steps: 3, batchSize: 2, seed: 5 }, ['a', 'b'], 'b')).toBe(true);
    const started = w.of('trainStarted')[0];
    expect(started).toMatchObject({ id: 1, steps: 3, batchSize: 2 });
    expect(started.train?.imageKey).toBe('a');
    expect(started.holdout?.imageKey).toBe('b');
    expect(started.mask.length).toBe((CFG.imgSize / CFG.patchSize) ** 2);
    await runOut(w.jobs);
    expect(w.of('trainProgress').map((p) => p.step)).toEqual([1, 2, 3]);
    for (const p of w.of('trainProgress')) expect(Number.isFinite(p.loss) && p.stepsPerSec > 0).toBe(true);
    const done = w.of('trainDone')[0];
    expect(done).toMatchObject({ id: 1, reason: 'finished', step: 3, message: null });
    expect(w.of('trainViews').at(-1)).toMatchObject({ step: 3 });
    expect(done.weightsVersion).toBeGreaterThan(0);
    expect(w.jobs.runnable()).toBe(false);
    // The trainer's variables and moments are freed: only the rebuilt model's tensors replace the old model's.
    expect(tf.memory().numTensors).toBe(before);

    const trained = await currentWeights()!.read();
    const initial = randomParams(CFG, 1);
    expect(maxAbs(trained.get('decoder_pred.weight')!.data, initial.get('decoder_pred.weight')!.data)).toBeGreaterThan(0);

    await w.jobs.save(9);
    const saved = w.of('trainSaved')[0];
    const loaded = await loadCheckpoint([
      { name: 'config.json', blob: new Blob([saved.configJson]) },
      { name: 'model.safetensors', blob: new Blob([saved.safetensors as BlobPart]) },
    ]);
    expect(loaded.config).toMatchObject({ imgSize: CFG.imgSize, patchSize: CFG.patchSize, embedDim: CFG.embedDim, depth: CFG.depth });
    for (const [name, p] of trained) expect(maxAbs(loaded.params.get(name)!.data, p.data), name).toBeLessThanOrEqual(SAVE_TOL);
    w.dispose();
  });

  it('pauses (showing the weights so far), resumes, and stops between steps', async () => {
    const w = world();
    await w.jobs.start(1, { steps: 10, batchSize: 1, seed: 0 }, ['a'], null);
    await w.jobs.step();
    await w.jobs.control(1, 'pause');
    expect(w.jobs.runnable()).toBe(false);
    expect(w.of('trainPaused').at(-1)).toMatchObject({ paused: true });
    expect(w.replaced).toHaveLength(1);
    expect(w.of('trainViews').at(-1)).toMatchObject({ step: 1 });
    await w.jobs.control(1, 'resume');
    expect(w.jobs.runnable()).toBe(true);
    await w.jobs.step();
    await w.jobs.control(1, 'stop');
    await runOut(w.jobs);
    expect(w.of('trainDone')[0]).toMatchObject({ reason: 'stopped', step: 2 });
    // Another run's id changes nothing.
    await w.jobs.control(99, 'resume');
    expect(w.jobs.runnable()).toBe(false);
    w.dispose();
  });

  it('refuses a run with nothing to train on, and a checkpoint without a decoder', async () => {
    const w = world();
    expect(await w.jobs.start(1, { steps: 3, batchSize: 1, seed: 0 }, ['a'], 'a')).toBe(false);
    expect(w.of('error')[0]).toMatchObject({ id: 1, message: NO_TRAINING_IMAGES, fatal: false });
    expect(await w.jobs.start(2, { steps: 3, batchSize: 1, seed: 0 }, ['gone'], null)).toBe(false);
    expect(w.of('error')[1].message).toBe(NO_TRAINING_IMAGES);

    const encoderOnly = new Map([...randomParams(CFG, 1)].filter(([k]) => !k.startsWith('decoder') && k !== 'mask_token'));
    setCurrentWeights(CFG, async () => encoderOnly);
    expect(await w.jobs.start(3, { steps: 3, batchSize: 1, seed: 0 }, ['a'], null)).toBe(false);
    expect(w.of('error')[2].message).toBe(NO_DECODER_TO_TRAIN);
    await w.jobs.save(4);
    expect(w.of('error')[3].message).toMatch(/no trained weights to save/);
    w.dispose();
  });

  it('stops with a smaller-batch suggestion when a step runs out of memory, keeping the last good step’s weights', async () => {
    const w = world();
    await w.jobs.start(1, { steps: 10, batchSize: 4, seed: 0 }, ['a'], null);
    await w.jobs.step();
    let afterOne: HostParams | null = null;
    vi.spyOn(Trainer.prototype, 'step').mockImplementation(async function (this: Trainer) {
      afterOne = await this.hostParams();
      throw new Error('Aborted(). Cannot enlarge memory, requested 4294967296 bytes, but the limit is 4294967296 bytes!');
    });
    await w.jobs.step();
    const done = w.of('trainDone')[0];
    expect(done.reason).toBe('out-of-memory');
    expect(done.message).toMatch(/batch of 4; try a smaller batch \(e\.g\. 2\)\. The weights after step 1 are kept/);
    const kept = await currentWeights()!.read();
    for (const [name, p] of afterOne!) expect(maxAbs(kept.get(name)!.data, p.data), name).toBe(0);
    w.dispose();
  });
});
