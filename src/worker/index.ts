// The model worker: keeps one checkpoint's weights and the page's images resident and answers the
// protocol in src/protocol/messages.ts. Jobs run one at a time in arrival order (the client keeps
// at most one reconstruction per lane here, so nothing piles up); loads never stop the current
// model from answering until the new one is ready; training steps run only when nothing else waits.
import * as tf from '@tensorflow/tfjs-core';
import { loadCheckpoint, openCheckpoint } from '../checkpoints/load';
import { LoadError } from '../shared/errors';
import { Mae, randomParams, reconstructImage, DEFAULT_LAYER_NORM_EPS, type MaeBuilder, type MaeConfig } from '../model';
import { wasmKernels } from '../model/wasmKernels';
import { assertNever, type ModelInfo, type Rgba, type WorkerRequest, type WorkerResponse } from '../protocol/messages';
import { inputProblem } from '../shared/inputSize';
import { deviceLost, selectBackend } from './backend';
import { setCurrentWeights } from './current';
import { installFailed, loadFailed } from './errors';
import { closeInspect, inspectCount, runInspect } from './inspect';
import { memoryBudget } from './memory';
import { sourceFiles } from './sources';
import { TrainingJobs } from './training';

type ReconstructRequest = Extract<WorkerRequest, { type: 'reconstruct' }>;
type LoadRequest = Extract<WorkerRequest, { type: 'loadCheckpoint' }>;
type InspectRequest = Extract<WorkerRequest, { type: 'inspect' }>;

/** Architecture of the random-weights model when a request names none: tiny, so it runs anywhere. */
const TINY_RANDOM_ARCH: MaeConfig = {
  imgSize: 224, patchSize: 16, inChans: 3, embedDim: 64, depth: 2, numHeads: 4,
  decoderEmbedDim: 32, decoderDepth: 2, decoderNumHeads: 4, mlpRatio: 4,
  layerNormEps: DEFAULT_LAYER_NORM_EPS, normPixLoss: false,
};
/** The progress stage of reading weights into the model (named in the page's load bar). */
const UPLOAD_STAGE = 'weights';
/** Models on other patch grids kept at once (each holds its two interpolated position tables on the device). */
const MAX_GRID_MODELS = 2;
/** Progress messages are sent at most this often, in ms. */
const PROGRESS_INTERVAL_MS = 100;

const post = (msg: WorkerResponse, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(msg, transfer);

let model: Mae | null = null;
/** The checkpoint on other patch grids (Mae.atGrid), by `colsxrows`, least recently used first; freed before `model` is. */
const gridModels = new Map<string, Mae>();
/** The page's images, fitted to the model's size, by key (sent once each with setImage). */
const images = new Map<string, Rgba>();
/** Reconstructions waiting, in arrival order. */
const waiting: ReconstructRequest[] = [];
/** Lookahead reconstructions waiting (masks the visitor may ask for next): they run only when nothing else waits. */
const guesses: ReconstructRequest[] = [];
/** Lookahead reconstructions answered since the worker started (read by the browser tests through `self.lookaheadCount`). */
let guessesAnswered = 0;
/** Inspections waiting (the views'): they run only when no reconstruction waits. */
const inspecting: InspectRequest[] = [];
/** Every view closed: the inspecting model is freed between two jobs (never under one). */
let closePending = false;
/** A built model waiting to replace the current one between two reconstructions. */
let pendingInstall: { run: () => Promise<void>; abandon: () => void } | null = null;
let pumping = false;
const downloads = new Map<number, AbortController>();
/** Training starts, controls and saves, run ahead of reconstructions (they are quick, or say what the page waits for). */
const trainingJobs: { id: number; run: () => Promise<void> }[] = [];
const training = new TrainingJobs({
  post: (msg, transfer) => post(msg, transfer),
  images,
  model: () => model,
  replaceModel(next) {
    dropGridModels(); // they share the replaced model's weights
    model?.dispose();
    model = next;
  },
});

/** Lets the messages that arrived during a training step in (a reconstruction, a pause) before the next step. */
const yieldToMessages = (ms = 0) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/**
 * After a reconstruction, training waits this long (ms) for the page's next request before its next
 * step: a slider being dragged sends one as soon as the last result lands, and would otherwise wait
 * a whole training step for each.
 */
const RECONSTRUCT_GRACE_MS = 150;
let lastReconstructAt = -Infinity;

function infoOf(m: Mae): ModelInfo {
  const c = m.config;
  return {
    imgSize: c.imgSize, patchSize: c.patchSize, embedDim: c.embedDim, depth: c.depth, numHeads: c.numHeads,
    decoderEmbedDim: c.decoderEmbedDim, decoderDepth: c.decoderDepth, decoderNumHeads: c.decoderNumHeads,
    normPixLoss: c.normPixLoss, parameters: m.parameterCount,
  };
}

/** Frees the models on other grids (before their checkpoint's model goes). */
function dropGridModels(): void {
  for (const m of gridModels.values()) m.dispose();
  gridModels.clear();
}

/** The checkpoint's model for a picture of this size: its own, or one on that grid (made once, kept for the next). */
async function modelFor(base: Mae, width: number, height: number): Promise<Mae> {
  const p = base.config.patchSize;
  const grid = { rows: height / p, cols: width / p };
  if (grid.rows === base.grid.rows && grid.cols === base.grid.cols) return base;
  const key = `${grid.cols}x${grid.rows}`;
  let m = gridModels.get(key);
  if (m) gridModels.delete(key);
  else {
    m = await base.atGrid(grid);
    if (model !== base) {
      // A new checkpoint came in meanwhile (installs wait for this job, so this is defensive).
      m.dispose();
      throw new Error('the checkpoint changed');
    }
    while (gridModels.size >= MAX_GRID_MODELS) {
      const [oldest, old] = gridModels.entries().next().value!;
      old.dispose();
      gridModels.delete(oldest);
    }
  }
  gridModels.set(key, m);
  return m;
}

/** One reconstruction, answered; false when it was answered with an error (no model, no such image, a bad mask). */
async function runReconstruct(req: ReconstructRequest): Promise<boolean> {
  if (!model) {
    post({ type: 'error', id: req.id, message: 'no checkpoint is loaded yet', fatal: false });
    return false;
  }
  const image = images.get(req.imageKey);
  if (!image) {
    post({ type: 'error', id: req.id, message: `no image “${req.imageKey}” was set`, fatal: false });
    return false;
  }
  const { width, height } = image;
  const problem = inputProblem(image, model.config.patchSize);
  if (problem) {
    post({ type: 'error', id: req.id, message: problem, fatal: false });
    return false;
  }
  const patches = (width / model.config.patchSize) * (height / model.config.patchSize);
  if (req.mask.length !== patches) {
    post({ type: 'error', id: req.id, message: `the mask has ${req.mask.length} entries, the picture has ${patches} patches`, fatal: false });
    return false;
  }
  const t0 = performance.now();
  const m = await modelFor(model, width, height);
  const r = await reconstructImage(m, image.data, { mask: { pattern: 'painted', mask: req.mask }, normPixStats: req.normPixStats });
  const finite = (v: number | null) => (v === null || Number.isFinite(v) ? v : null);
  post({
    type: 'reconstruction', id: req.id, imageKey: req.imageKey,
    reconstruction: { width, height, data: r.reconstruction },
    pasted: { width, height, data: r.pasted },
    errorMap: r.errorMap,
    metrics: { mse: r.mse, psnr: finite(r.psnr), maskedCount: r.maskedCount, loss: r.loss },
    timings: { totalMs: performance.now() - t0, modelMs: r.modelMs },
  }, [r.reconstruction.buffer, r.pasted.buffer, r.errorMap.buffer]);
  return true;
}

/** runReconstruct, with a failure answered as an error message; whether it answered with a reconstruction. */
async function answerReconstruct(req: ReconstructRequest): Promise<boolean> {
  try {
    return await runReconstruct(req);
  } catch (e) {
    post({ type: 'error', id: req.id, message: `reconstruction failed: ${(e as Error).message}`, fatal: false });
    return false;
  }
}

/**
 * Runs installs and reconstructions one at a time. A load's uploads run between them (at awaits),
 * each one synchronous inside its own tidy, so no tf scope spans another job's work.
 */
async function pump(): Promise<void> {
  if (pumping) return;
  pumping = true;
  try {
    for (;;) {
      if (pendingInstall) {
        const install = pendingInstall;
        pendingInstall = null;
        await install.run();
        continue;
      }
      if (closePending) {
        closePending = false;
        await closeInspect();
        continue;
      }
      const job = trainingJobs.shift();
      if (job) {
        try {
          await job.run();
        } catch (e) {
          post({ type: 'error', id: job.id, message: `training failed: ${(e as Error).message}`, fatal: false });
        }
        continue;
      }
      const req = waiting.shift();
      if (req) {
        await answerReconstruct(req);
        lastReconstructAt = performance.now();
        continue;
      }
      const ins = inspecting.shift();
      if (ins) {
        await answerInspect(ins);
        continue;
      }
      const guess = guesses.shift();
      if (guess) {
        if (await answerReconstruct(guess)) guessesAnswered++;
        continue;
      }
      if (!training.runnable()) break;
      const sinceReconstruct = performance.now() - lastReconstructAt;
      if (sinceReconstruct < RECONSTRUCT_GRACE_MS) {
        await yieldToMessages(RECONSTRUCT_GRACE_MS - sinceReconstruct);
        continue;
      }
      await training.step();
      await yieldToMessages();
    }
  } finally {
    pumping = false;
  }
}

async function answerInspect(req: InspectRequest): Promise<void> {
  const image = images.get(req.imageKey);
  if (!image) {
    post({ type: 'error', id: req.id, message: `no image “${req.imageKey}” was set`, fatal: false });
    return;
  }
  try {
    const { msg, transfer } = await runInspect(req, image);
    post(msg, transfer);
  } catch (e) {
    post({ type: 'error', id: req.id, message: `inspection failed: ${(e as Error).message}`, fatal: false });
  }
}

async function warmUp(m: Mae): Promise<void> {
  const s = m.config.imgSize;
  const grey = new Uint8ClampedArray(s * s * 4).fill(128);
  await reconstructImage(m, grey, { mask: { pattern: 'random', maskRatio: 0.75, seed: 0 } });
}

async function handleLoad(req: LoadRequest): Promise<void> {
  const ctrl = new AbortController();
  downloads.set(req.id, ctrl);
  try {
    let last = 0;
    /** Progress of one stage, at most every PROGRESS_INTERVAL_MS (and always its last figure). */
    const progress = (stage: string) => (loaded: number, total: number | null) => {
      const now = performance.now();
      if (now - last < PROGRESS_INTERVAL_MS && loaded !== total) return;
      last = now;
      post({ type: 'progress', id: req.id, loaded, total, stage });
    };
    const files = await sourceFiles(req.source, progress, ctrl.signal);
    if (ctrl.signal.aborted) throw new Error('cancelled');
    post({ type: 'progress', id: req.id, loaded: 0, total: null, stage: 'parsing' });
    const opened = req.source.kind === 'random' ? null : await openCheckpoint(files, { memory: memoryBudget(), signal: ctrl.signal });
    const config = opened?.config ?? ({ ...TINY_RANDOM_ARCH, ...(req.source.kind === 'random' ? req.source.arch : {}) } as MaeConfig);
    const notes = opened?.notes ?? ['random weights, for testing'];
    // Each parameter is read from its slice of the file, uploaded with its group and dropped, while
    // the current model goes on answering between reads: the host never holds the checkpoint whole.
    let b: MaeBuilder;
    try {
      b = Mae.builder(config);
    } catch (e) {
      post(installFailed(req.id, e));
      return;
    }
    try {
      if (!opened) {
        for (const [name, p] of randomParams(config, 0)) b.add(name, p);
      } else {
        let read = 0;
        const uploaded = progress(UPLOAD_STAGE);
        await opened.readParams((name, p) => {
          b.add(name, p);
          read += p.data.byteLength;
          uploaded(read, opened.paramBytes);
        });
      }
    } catch (e) {
      b.dispose();
      if (ctrl.signal.aborted) post({ type: 'cancelled', id: req.id });
      else post(e instanceof LoadError ? loadFailed(req.id, e) : installFailed(req.id, e));
      return;
    }
    const source = req.source;
    // A newer load replaces one still waiting for the queue: free its weights, say it was cancelled.
    pendingInstall?.abandon();
    pendingInstall = { abandon: () => { b.dispose(); post({ type: 'cancelled', id: req.id }); }, run: async () => {
      let next: Mae | null = null;
      try {
        next = b.finish();
        await warmUp(next);
      } catch (e) {
        if (next) next.dispose();
        else b.dispose();
        post(installFailed(req.id, e));
        return;
      }
      training.abandon();
      dropGridModels();
      model?.dispose();
      model = next;
      await closeInspect(); // the views' model was the old checkpoint's
      setCurrentWeights(config, source.kind === 'random'
        ? () => Promise.resolve(randomParams(config, 0))
        : async () => (await loadCheckpoint(files, { memory: memoryBudget() })).params);
      post({ type: 'checkpointLoaded', id: req.id, label: source.label, info: infoOf(next), notes: [...notes, ...next.notes] });
    } };
    await pump();
  } catch (e) {
    if (ctrl.signal.aborted) post({ type: 'cancelled', id: req.id });
    else post(loadFailed(req.id, e));
  } finally {
    downloads.delete(req.id);
  }
}

async function handle(req: WorkerRequest): Promise<void> {
  switch (req.type) {
    case 'init': {
      try {
        const { backend, notes } = await selectBackend(req.backend);
        post({ type: 'initialized', id: req.id, backend, notes });
        void deviceLost().then((why) => post({ type: 'error', id: req.id, message: `GPU device lost: ${why}`, fatal: true }));
      } catch (e) {
        post({ type: 'error', id: req.id, message: (e as Error).message, fatal: true });
      }
      return;
    }
    case 'loadCheckpoint':
      return handleLoad(req);
    case 'setImage':
      images.set(req.imageKey, req.image);
      return;
    case 'forgetImage':
      images.delete(req.imageKey);
      return;
    case 'reconstruct':
      (req.lookahead ? guesses : waiting).push(req);
      return pump();
    case 'trainStart':
      trainingJobs.push({ id: req.id, run: async () => void await training.start(req.id, req.options, req.imageKeys, req.holdoutKey) });
      return pump();
    case 'trainControl':
      trainingJobs.push({ id: req.id, run: () => training.control(req.target, req.action) });
      return pump();
    case 'trainSave':
      trainingJobs.push({ id: req.id, run: () => training.save(req.id) });
      return pump();
    case 'inspect':
      inspecting.push(req);
      return pump();
    case 'closeInspect':
      closePending = true;
      return pump();
    case 'cancel': {
      downloads.get(req.target)?.abort();
      for (const queue of [waiting, guesses, inspecting]) {
        const i = queue.findIndex((w) => w.id === req.target);
        if (i >= 0) {
          queue.splice(i, 1);
          post({ type: 'cancelled', id: req.target });
        }
      }
      return;
    }
    default:
      assertNever(req);
  }
}

self.onmessage = (e: MessageEvent<WorkerRequest>) => {
  void handle(e.data);
};

/** Exposed for debugging in the console: tensor count should stay flat between jobs. */
(self as unknown as { tfMemory: () => tf.MemoryInfo }).tfMemory = () => tf.memory();
/** Exposed for the browser tests: inspect requests answered (none while every view is off). */
(self as unknown as { inspectCount: () => number }).inspectCount = inspectCount;
/** Exposed for the browser tests: whether the wasm fast path's own kernels run (wasm backend only). */
(self as unknown as { wasmKernelsActive: () => boolean }).wasmKernelsActive = () => wasmKernels() !== null;
/** Exposed for the browser tests: lookahead reconstructions answered. */
(self as unknown as { lookaheadCount: () => number }).lookaheadCount = () => guessesAnswered;
