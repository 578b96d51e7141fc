// Fine-tuning as the page runs it: the store's run (through a fake worker client), the kept
// checkpoints, the saved:<id> references, and the pure pieces of the panel (curve, controls, overfitting).
import { describe, expect, it } from 'vitest';
import { createAppStore } from '../../store/createAppStore';
import { memoryPersistence } from '../../store/persistence';
import { memorySavedCheckpoints, SAVED_CONFIG_NAME, SAVED_WEIGHTS_NAME } from '../../store/savedCheckpoints';
import { formatRef, parseRef, refForSource } from '../../store/checkpointRef';
import { endSentence, OVERFIT_RISE, overfitting, resolveHoldout } from '../../store/finetuneSlice';
import type { AppDeps } from '../../store/types';
import type { TrainView } from '../../protocol/messages';
import { DEFAULT_TRAIN_BATCH, DEFAULT_TRAIN_STEPS, MAX_TRAIN_BATCH, NO_DECODER_TO_TRAIN } from '../../shared/training';
import { FakeClient, FakeDecoder, file, flush, solidRgba, TINY_INFO } from '../../../tests/unit/fakes';
import { lossCurves, PLOT_HEIGHT, PLOT_PAD, PLOT_WIDTH, stepPoints } from './lossCurve';
import { controlsFor } from './useFinetune';
import { checkpointZip } from './download';
import { unzipSync, strFromU8 } from 'fflate';

function setup(over: Partial<AppDeps> = {}) {
  const client = new FakeClient();
  const saved = memorySavedCheckpoints();
  let t = 1000;
  const store = createAppStore({
    client, decoder: new FakeDecoder(), persistence: memoryPersistence(), schedule: (fn) => fn(), now: () => t++,
    random: () => 0.5, settingsSaveDelayMs: 0, savedCheckpoints: saved, ...over,
  });
  return { store, client, saved, get: () => store.getState() };
}

const view = (key: string, mse: number, loss: number): TrainView => ({
  imageKey: key, pasted: solidRgba(TINY_INFO.imgSize), mse, psnr: 10 * Math.log10((255 * 255) / mse), loss,
});

/** A booted page with `n` ready pictures. */
async function withPictures(n: number) {
  const s = setup();
  await s.get().boot();
  await s.get().addFiles(Array.from({ length: n }, (_, i) => file(`p${i}.png`)));
  await flush();
  return s;
}

describe('a training run in the store', () => {
  it('starts with the visitor’s steps and batch, holds out the last picture, and follows the run’s reports', async () => {
    const { get, client } = await withPictures(2);
    expect(get().finetune).toMatchObject({ steps: DEFAULT_TRAIN_STEPS, batchSize: DEFAULT_TRAIN_BATCH, phase: 'idle' });
    get().setTrainSteps(20);
    get().setTrainBatch(2);
    const [first, second] = get().order;
    const run = get().startTraining();
    const call = client.trains[0];
    expect(call.params).toEqual({ options: { steps: 20, batchSize: 2, seed: get().settings.seed }, imageKeys: [first], holdoutKey: second });
    expect(get().finetune.phase).toBe('starting');

    call.emit({ type: 'trainStarted', id: call.id, steps: 20, batchSize: 2, mask: new Uint8Array(16), train: view(first, 100, 0.3), holdout: view(second, 80, 0.25) });
    expect(get().finetune).toMatchObject({ phase: 'running', viewLosses: [{ step: 0, loss: 0.3 }], holdoutHistory: [{ step: 0, mse: 80 }] });

    const generation = get().slots.A.generation;
    call.emit({ type: 'trainProgress', id: call.id, step: 1, loss: 0.31, lr: 1e-5, stepsPerSec: 0.5, weightsVersion: 0 });
    expect(get().slots.A.generation).toBe(generation);
    call.emit({ type: 'trainProgress', id: call.id, step: 2, loss: 0.29, lr: 2e-5, stepsPerSec: 0.5, weightsVersion: 1 });
    // New trained weights in the worker: every reconstruction is asked again.
    expect(get().slots.A.generation).toBe(generation + 1);
    expect(get().finetune).toMatchObject({ step: 2, losses: [0.31, 0.29], stepsPerSec: 0.5, unsaved: true });

    call.emit({ type: 'trainViews', id: call.id, step: 2, rebuildMs: 150, train: view(first, 90, 0.27), holdout: view(second, 95, 0.26) });
    expect(get().finetune.viewLosses).toEqual([{ step: 0, loss: 0.3 }, { step: 2, loss: 0.27 }]);
    expect(get().finetune.rebuildMs).toBe(150);

    get().controlTraining('pause');
    expect(call.controls).toEqual(['pause']);
    call.emit({ type: 'trainPaused', id: call.id, paused: true });
    expect(get().finetune.phase).toBe('paused');
    get().controlTraining('stop');
    expect(get().finetune.phase).toBe('stopping');
    call.emit({ type: 'trainDone', id: call.id, reason: 'stopped', step: 2, message: null, weightsVersion: 2 });
    await run;
    expect(get().finetune).toMatchObject({ phase: 'done', endReason: 'stopped', step: 2, runId: null, message: null });
    expect(get().slots.A.checkpoint?.label).toBe('mae-small (bundled) · fine-tuned 2 steps');
  });

  it('says what to add when there is no picture to train on (a held-out one does not count)', async () => {
    const { get, client } = await withPictures(1);
    get().setHoldout(get().order[0]);
    await get().startTraining();
    expect(client.trains).toHaveLength(0);
    expect(get().finetune.phase).toBe('error');
    expect(get().finetune.message).toMatch(/^Add at least one picture to train on/);
  });

  it('says so when the worker refuses the run (an encoder-only checkpoint)', async () => {
    const { get, client } = await withPictures(1);
    const run = get().startTraining();
    client.trains[0].fail(NO_DECODER_TO_TRAIN);
    await run;
    expect(get().finetune).toMatchObject({ phase: 'error', message: 'This checkpoint has no decoder, so it cannot be trained here.' });
  });

  it('ends in an error that suggests a smaller batch when the device runs out of memory', async () => {
    const { get, client } = await withPictures(1);
    const run = get().startTraining();
    const call = client.trains[0];
    call.emit({ type: 'trainDone', id: call.id, reason: 'out-of-memory', step: 3, message: 'training ran out of memory with a batch of 8; try a smaller batch (e.g. 4). The weights after step 3 are kept.', weightsVersion: 1 });
    await run;
    expect(get().finetune.phase).toBe('error');
    expect(get().finetune.message).toMatch(/^Training ran out of memory .*smaller batch.*step 3 are kept/);
  });

  it('clamps steps and batch to whole numbers in range', async () => {
    const { get } = setup();
    get().setTrainBatch(1000);
    expect(get().finetune.batchSize).toBe(MAX_TRAIN_BATCH);
    get().setTrainSteps(0);
    expect(get().finetune.steps).toBe(1);
    get().setTrainSteps(Number.NaN);
    expect(get().finetune.steps).toBe(DEFAULT_TRAIN_STEPS);
  });
});

describe('kept fine-tuned checkpoints', () => {
  it('saves with a summary, lists, loads as a saved:<id> checkpoint, restores from a link, and deletes', async () => {
    const { get, client, saved } = await withPictures(2);
    const run = get().startTraining();
    const call = client.trains[0];
    call.emit({ type: 'trainStarted', id: call.id, steps: 3, batchSize: 8, mask: new Uint8Array(16), train: view('k', 100, 0.3), holdout: null });
    call.emit({ type: 'trainProgress', id: call.id, step: 3, loss: 0.2, lr: 1e-5, stepsPerSec: 1, weightsVersion: 1 });
    call.emit({ type: 'trainViews', id: call.id, step: 3, rebuildMs: 10, train: view('k', 80, 0.25), holdout: null });
    call.emit({ type: 'trainDone', id: call.id, reason: 'finished', step: 3, message: null, weightsVersion: 1 });
    await run;

    // Save offers the trained weights while slot A runs them.
    expect(get().finetune.trainedGeneration).toBe(get().slots.A.generation);
    const r = await get().saveTrained();
    expect(r).not.toBeNull();
    expect(get().finetune.unsaved).toBe(false);
    expect(get().finetune.saved).toHaveLength(1);
    const meta = get().finetune.saved![0];
    expect(meta).toMatchObject({ base: 'mae-small (bundled)', steps: 3, images: 1, finalLoss: 0.25, id: r!.meta.id });
    const kept = await saved.files(meta.id);
    expect(await kept!.config.text()).toBe(client.trained!.configJson);

    expect(await get().loadSaved(meta.id)).toBe(true);
    const source = client.loads.at(-1)!;
    expect(source).toMatchObject({ kind: 'files', savedId: meta.id });
    expect(source.kind === 'files' && source.files.map((f) => f.name)).toEqual([SAVED_CONFIG_NAME, SAVED_WEIGHTS_NAME]);
    expect(get().slots.A.ref).toBe(`saved:${meta.id}`);
    // Another checkpoint runs now: the run's trained weights are no longer there to save.
    expect(get().finetune.trainedGeneration).not.toBe(get().slots.A.generation);

    // A new page whose link names it loads it from this browser.
    const next = setup({ savedCheckpoints: saved, urlCheckpoints: { ckpt: `saved:${meta.id}` } });
    await next.get().boot();
    expect(next.client.loads.map((s) => s.kind)).toEqual(['files']);
    expect(next.get().slots.A.ref).toBe(`saved:${meta.id}`);

    await get().deleteSaved(meta.id);
    expect(get().finetune.saved).toEqual([]);
    expect(await saved.files(meta.id)).toBeNull();
    // Gone: a link to it says so and the bundled checkpoint runs.
    const gone = setup({ savedCheckpoints: saved, urlCheckpoints: { ckpt: `saved:${meta.id}` } });
    await gone.get().boot();
    expect(gone.client.loads.map((s) => s.kind)).toEqual(['url']);
    expect(gone.get().notices.map((n) => n.text).join(' ')).toMatch(/fine-tuned checkpoint kept in another browser/);
  });

  it('names a kept checkpoint saved:<id> in links, and refuses ids that are not plain', () => {
    expect(formatRef({ kind: 'saved', id: 'ft-abc_1' })).toBe('saved:ft-abc_1');
    expect(parseRef('saved:ft-abc_1')).toEqual({ kind: 'saved', id: 'ft-abc_1' });
    expect(parseRef('saved:../x')).toBeNull();
    expect(parseRef('saved:')).toBeNull();
    const def = { kind: 'url' as const, baseUrl: './b/', label: 'b' };
    expect(refForSource({ kind: 'files', files: [], label: 'x', savedId: 'ft-1' }, def)).toBe('saved:ft-1');
    expect(refForSource({ kind: 'files', files: [], label: 'x.safetensors' }, def)).toBe('file:x.safetensors');
  });

  it('downloads the two Hugging Face files in one zip', () => {
    const weights = new Uint8Array([7, 8, 9]);
    const files = unzipSync(checkpointZip('{"a":1}', weights));
    expect(Object.keys(files).sort()).toEqual([SAVED_CONFIG_NAME, SAVED_WEIGHTS_NAME]);
    expect(strFromU8(files[SAVED_CONFIG_NAME])).toBe('{"a":1}');
    expect(Array.from(files[SAVED_WEIGHTS_NAME])).toEqual([7, 8, 9]);
  });
});

describe('the panel’s pure parts', () => {
  it('holds out the last picture only when there are two or more, or the one chosen', () => {
    expect(resolveHoldout('auto', ['a'])).toBeNull();
    expect(resolveHoldout('auto', ['a', 'b', 'c'])).toBe('c');
    expect(resolveHoldout('none', ['a', 'b'])).toBeNull();
    expect(resolveHoldout('a', ['a', 'b'])).toBe('a');
    expect(resolveHoldout('gone', ['a', 'b'])).toBeNull();
  });

  it('calls it overfitting only when the held-out error rises above its best by more than OVERFIT_RISE', () => {
    expect(overfitting([{ step: 0, mse: 100 }])).toBe(false);
    expect(overfitting([{ step: 0, mse: 100 }, { step: 5, mse: 90 }, { step: 10, mse: 90 * (1 + OVERFIT_RISE / 2) }])).toBe(false);
    expect(overfitting([{ step: 0, mse: 100 }, { step: 5, mse: 90 }, { step: 10, mse: 90 * (1 + 2 * OVERFIT_RISE) }])).toBe(true);
  });

  it('allows the buttons each phase allows', () => {
    const base = { step: 0, saving: false };
    expect(controlsFor({ ...base, phase: 'idle' }, true, false)).toEqual({ canStart: true, canPause: false, canResume: false, canStop: false, canSave: false });
    expect(controlsFor({ ...base, phase: 'idle' }, false, false).canStart).toBe(false);
    expect(controlsFor({ ...base, phase: 'running' }, true, true)).toEqual({ canStart: false, canPause: true, canResume: false, canStop: true, canSave: true });
    expect(controlsFor({ ...base, phase: 'paused' }, true, true)).toMatchObject({ canResume: true, canStop: true, canPause: false });
    expect(controlsFor({ ...base, phase: 'done', saving: true }, true, true).canSave).toBe(false);
  });

  it('words an early end, and says nothing for a finished run', () => {
    expect(endSentence('finished', 20, null)).toBeNull();
    expect(endSentence('stopped', 4, 'another checkpoint was loaded')).toBe('Training stopped at step 4: another checkpoint was loaded.');
    expect(endSentence('failed', 4, null)).toBe('Training failed at step 4.');
  });

  it('draws every series over the whole run, on one shared loss range', () => {
    expect(lossCurves([[]], 10).points).toEqual(['']);
    const g = lossCurves([stepPoints([2, 1]), [{ step: 0, loss: 3 }]], 2);
    expect(g.minLoss).toBe(1);
    expect(g.maxLoss).toBe(3);
    const pts = (s: string) => s.split(' ').map((p) => p.split(',').map(Number));
    const [a, b] = pts(g.points[0]);
    // Step 2 of 2 is the right edge; loss 1 (the lowest) the bottom; loss 3 (step 0) the top-left corner.
    expect(b).toEqual([PLOT_WIDTH - PLOT_PAD, PLOT_HEIGHT - PLOT_PAD]);
    expect(a[0]).toBeCloseTo(PLOT_PAD + (PLOT_WIDTH - 2 * PLOT_PAD) / 2, 1);
    expect(pts(g.points[1])).toEqual([[PLOT_PAD, PLOT_PAD]]);
    // A flat curve sits in the middle; thousands of steps are thinned to at most one point per column.
    expect(pts(lossCurves([stepPoints([5, 5])], 2).points[0])[0][1]).toBe(PLOT_HEIGHT / 2);
    const long = lossCurves([stepPoints(Array.from({ length: 5000 }, (_, i) => 1 / (i + 1)))], 5000).points[0].split(' ');
    expect(long.length).toBeLessThanOrEqual(PLOT_WIDTH);
    expect(long.at(-1)).toBe(`${(PLOT_WIDTH - PLOT_PAD).toFixed(1)},${(PLOT_HEIGHT - PLOT_PAD).toFixed(1)}`);
  });
});
