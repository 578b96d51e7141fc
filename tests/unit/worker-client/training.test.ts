// The worker client's training messages: a run's reports reach its listener, trainDone settles it,
// errors reject it, save resolves with the files, controls name the run, and a worker crash rejects
// the run and a save in flight (their weights died with the worker).
import { describe, expect, it } from 'vitest';
import { createModelClient, type WorkerLike } from '../../../src/worker-client/client';
import type { WorkerRequest, WorkerResponse } from '../../../src/protocol/messages';
import type { TrainEvent } from '../../../src/worker-client/types';

class ScriptedWorker implements WorkerLike {
  onmessage: ((e: MessageEvent<WorkerResponse>) => void) | null = null;
  onerror: ((e: ErrorEvent) => void) | null = null;
  received: WorkerRequest[] = [];
  postMessage(msg: WorkerRequest): void {
    this.received.push(msg);
    if (msg.type === 'init') queueMicrotask(() => this.reply({ type: 'initialized', id: msg.id, backend: 'wasm', notes: [] }));
  }
  terminate(): void {}
  reply(msg: WorkerResponse): void {
    this.onmessage?.({ data: msg } as MessageEvent<WorkerResponse>);
  }
  last<T extends WorkerRequest['type']>(type: T): Extract<WorkerRequest, { type: T }> {
    return this.received.filter((m): m is Extract<WorkerRequest, { type: T }> => m.type === type).at(-1)!;
  }
}

async function started() {
  const workers: ScriptedWorker[] = [];
  const client = createModelClient(() => { const w = new ScriptedWorker(); workers.push(w); return w; });
  await client.start();
  return { client, workers };
}

const OPTIONS = { steps: 4, batchSize: 2, seed: 1 };

describe('training through the client', () => {
  it('sends the run, hands every report to its listener, and settles on trainDone', async () => {
    const { client, workers } = await started();
    const heard: TrainEvent['type'][] = [];
    const { id, done } = client.train({ options: OPTIONS, imageKeys: ['a'], holdoutKey: 'b' }, (e) => heard.push(e.type));
    const w = workers[0];
    expect(w.last('trainStart')).toEqual({ type: 'trainStart', id, options: OPTIONS, imageKeys: ['a'], holdoutKey: 'b' });
    w.reply({ type: 'trainProgress', id, step: 1, loss: 0.3, lr: 1e-4, stepsPerSec: 1, weightsVersion: 0 });
    w.reply({ type: 'trainPaused', id, paused: true });
    // Another id's report is not this run's.
    w.reply({ type: 'trainProgress', id: id + 100, step: 9, loss: 9, lr: 1, stepsPerSec: 1, weightsVersion: 0 });
    client.controlTraining(id, 'stop');
    expect(w.last('trainControl')).toMatchObject({ target: id, action: 'stop' });
    w.reply({ type: 'trainDone', id, reason: 'stopped', step: 1, message: null, weightsVersion: 1 });
    await expect(done).resolves.toMatchObject({ reason: 'stopped', step: 1 });
    expect(heard).toEqual(['trainProgress', 'trainPaused', 'trainDone']);
  });

  it('rejects a run the worker refuses, and resolves a save with the files', async () => {
    const { client, workers } = await started();
    const w = workers[0];
    const { id, done } = client.train({ options: OPTIONS, imageKeys: [], holdoutKey: null }, () => undefined);
    w.reply({ type: 'error', id, message: 'add at least one picture to train on', fatal: false });
    await expect(done).rejects.toThrow('add at least one picture to train on');

    const saving = client.saveTraining();
    const bytes = new Uint8Array([1, 2]);
    w.reply({ type: 'trainSaved', id: w.last('trainSave').id, configJson: '{}', safetensors: bytes });
    await expect(saving).resolves.toEqual({ configJson: '{}', safetensors: bytes });
  });

  it('rejects the run and a save in flight when the worker crashes', async () => {
    const { client, workers } = await started();
    const { done } = client.train({ options: OPTIONS, imageKeys: ['a'], holdoutKey: null }, () => undefined);
    const saving = client.saveTraining();
    workers[0].onerror?.({ message: 'boom', preventDefault() {} } as ErrorEvent);
    await expect(done).rejects.toThrow(/restarted.*training run/);
    await expect(saving).rejects.toThrow(/restarted/);
  });
});
