// The worker's side of the page's views (attention, features): an InspectModel built from the
// installed checkpoint's reference-layout weights when a view first asks, freed when every view
// closes or the checkpoint changes, and the last inspection kept so that another head, stack or
// the features of the same picture and mask cost no second forward pass.
import { InspectModel, inspectOutputBytes, rgbaToNormalizedChw, type AttentionCapture, type InspectResult } from '../model';
import type { InspectCapture, Rgba, WorkerRequest, WorkerResponse } from '../protocol/messages';
import { currentWeights } from './current';

type InspectRequest = Extract<WorkerRequest, { type: 'inspect' }>;
type Inspection = Extract<WorkerResponse, { type: 'inspection' }>;

/**
 * Largest outputs of one inspect pass, in bytes: every head of a stack is kept (so another head costs
 * no second pass) up to this; past it only the heads' mean is computed, and one head is refused.
 */
export const MAX_INSPECT_BYTES = 64 * 1024 * 1024;
/** Bytes in a MiB, for messages. */
const MIB = 1024 * 1024;

/** A forward pass kept for the next request: which picture (by identity), mask and attention stack it holds, and how. */
interface Kept {
  image: Rgba;
  maskKey: string;
  stack: 'encoder' | 'decoder' | null;
  capture: AttentionCapture;
  result: InspectResult;
}

let model: Promise<InspectModel> | null = null;
/** The weights `model` was built from: a newer set (another checkpoint, a fine-tuned one) rebuilds it. */
let builtFrom: ReturnType<typeof currentWeights> = null;
let kept: Kept | null = null;
/** The whole picture's features (0 % masked), by picture identity. */
let keptAll: { image: Rgba; latent: Float32Array } | null = null;
/** Inspect requests answered since the worker started (read by the browser tests through `self.inspectCount`). */
let answered = 0;

/** Inspect requests this worker has answered. */
export const inspectCount = (): number => answered;

/** Frees the inspecting model and everything kept (views closed, or a new checkpoint installed). */
export async function closeInspect(): Promise<void> {
  const m = model;
  model = null;
  kept = null;
  keptAll = null;
  if (m) (await m.catch(() => null))?.dispose();
}

async function inspectingModel(): Promise<InspectModel> {
  if (model && builtFrom !== currentWeights()) await closeInspect();
  if (!model) {
    const cur = currentWeights();
    if (!cur) return Promise.reject(new Error('no checkpoint is loaded yet'));
    builtFrom = cur;
    const made = cur.read().then((params) => InspectModel.create(cur.config, params));
    // A failed build is not kept: the next request tries again.
    made.catch(() => { if (model === made) model = null; });
    model = made;
  }
  return model;
}

const maskKeyOf = (mask: Uint8Array) => mask.join('');

/** One forward pass of `image` under `mask`, capturing `stack`'s attention as `capture` (none when null). Host arrays. */
async function forward(m: InspectModel, image: Rgba, mask: Uint8Array, stack: Kept['stack'], capture: AttentionCapture): Promise<InspectResult> {
  const chw = rgbaToNormalizedChw(image.data, image.width, image.height); // [3, H, W]
  return m.inspect(chw, { width: image.width, height: image.height }, { pattern: 'painted', mask }, {
    encoderAttention: stack === 'encoder' ? capture : 'none',
    decoderAttention: stack === 'decoder' ? capture : 'none',
  });
}

/** `[layers, tokens, tokens]` of one head (or the heads' mean) out of `[layers, heads, tokens, tokens]`. */
function selectHead(all: Float32Array, layers: number, heads: number, tokens: number, head: number | 'mean'): Float32Array {
  const tt = tokens * tokens;
  const out = new Float32Array(layers * tt);
  const chosen = head === 'mean' ? [...Array(heads).keys()] : [head];
  for (let l = 0; l < layers; l++) {
    for (const h of chosen) {
      const src = (l * heads + h) * tt;
      for (let i = 0; i < tt; i++) out[l * tt + i] += all[src + i] / chosen.length;
    }
  }
  return out;
}

/**
 * Answers one inspect request for a picture the worker holds; throws (one line) on a bad request.
 * The caller posts the message with `transfer`.
 */
export async function runInspect(req: InspectRequest, image: Rgba, maxBytes = MAX_INSPECT_BYTES): Promise<{ msg: Inspection; transfer: Transferable[] }> {
  const t0 = performance.now();
  const m = await inspectingModel();
  const grid = m.gridFor({ width: image.width, height: image.height });
  const L = grid.rows * grid.cols;
  if (req.mask.length !== L) throw new RangeError(`the mask has ${req.mask.length} entries, the picture has ${L} patches`);
  const cap: InspectCapture = req.capture;
  const c = m.config;
  if (cap.attention && cap.attention.head !== 'mean') {
    const heads = cap.attention.stack === 'encoder' ? c.numHeads : c.decoderNumHeads;
    if (!Number.isInteger(cap.attention.head) || cap.attention.head < 0 || cap.attention.head >= heads) {
      throw new RangeError(`head ${cap.attention.head} is not one of the ${cap.attention.stack}'s ${heads}`);
    }
  }
  const maskKey = maskKeyOf(req.mask);
  const stack = cap.attention?.stack ?? null;
  const t1 = performance.now();
  let modelMs = 0;
  // Every head when they fit (another head then costs no pass), else the mean alone.
  const lenKeep = L - req.mask.reduce((a, v) => a + (v ? 1 : 0), 0);
  const bytes = (capture: AttentionCapture) => inspectOutputBytes(c, grid, lenKeep, {
    encoderAttention: stack === 'encoder' ? capture : 'none', decoderAttention: stack === 'decoder' ? capture : 'none' });
  let capture: AttentionCapture = stack === null ? 'none' : bytes('heads') <= maxBytes ? 'heads' : 'mean';
  if (capture === 'mean' && cap.attention?.head !== 'mean') {
    throw new RangeError(`one head's maps need every head's, ${(bytes('heads') / MIB).toFixed(0)} MiB here (over ${(maxBytes / MIB).toFixed(0)} MiB): choose the mean`);
  }
  const reuse = kept && kept.image === image && kept.maskKey === maskKey
    && (stack === null || (kept.stack === stack && (kept.capture === 'heads' || cap.attention?.head === 'mean')));
  if (!reuse) {
    kept = null; // free the previous pass's maps before making new ones
    if (stack === null) capture = 'none';
    kept = { image, maskKey, stack, capture, result: await forward(m, image, req.mask, stack, capture) };
  }
  const r = kept!.result;
  let latentAll: Float32Array | null = null;
  if (cap.features) {
    if (keptAll?.image !== image) {
      keptAll = null;
      const all = await forward(m, image, new Uint8Array(L), null, 'none');
      keptAll = { image, latent: all.latent.data };
    }
    latentAll = keptAll.latent.slice();
  }
  modelMs = performance.now() - t1;

  let attention: Inspection['attention'] = null;
  if (cap.attention) {
    const a = cap.attention.stack === 'encoder' ? r.encoderAttention! : r.decoderAttention!;
    const [layers, held, tokens] = a.shape; // [layers, heads (1: their mean), T, T]
    attention = { stack: cap.attention.stack, head: cap.attention.head, layers,
      heads: cap.attention.stack === 'encoder' ? c.numHeads : c.decoderNumHeads, tokens,
      data: selectHead(a.data, layers, held, tokens, held === 1 ? 0 : cap.attention.head) };
  }
  const features = cap.features ? { dim: c.embedDim, latent: r.latent.data.slice(), latentAll: latentAll! } : null;
  answered++;
  const msg: Inspection = {
    type: 'inspection', id: req.id, imageKey: req.imageKey, grid, idsKeep: r.idsKeep.slice(), attention, features,
    timings: { totalMs: performance.now() - t0, modelMs },
  };
  const transfer: Transferable[] = [msg.idsKeep.buffer];
  if (attention) transfer.push(attention.data.buffer);
  if (features) transfer.push(features.latent.buffer, features.latentAll.buffer);
  return { msg, transfer };
}
