// `npm run bench [-- --arch tiny,small,base] [--backend wasm,cpu] [--runs N] [--memory] [--profile]`
// Reconstruction latency (median of N runs after a warm-up) and host memory per architecture and
// backend, measured side by side in one run, with random weights of the official shapes.
// `npm run --silent bench -- --anchor-json --config tiny|base|large --ratio R [--backend wasm] [--kernels on|off|both]`
// prints one JSON line per backend in the format of ../shared/anchor-bench (README there), so the
// project sits in the same table as PyTorch and ONNX Runtime. `--kernels off` (or `both`, a row each) times wasm
// without the project's own kernels (src/model/wasmKernels.ts), so their effect is measured in the same run.
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, openAsBlob, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chwToPatches, lenKeepFor, Mae, planFromNoise, randomParams, reconstructImage, seededNoise, type MaeConfig } from '../src/model';
import { useBackend, type NodeBackend } from './lib/backend';
import { writeSafetensors } from '../src/checkpoints/safetensors';
import { float32ToBytes } from '../src/checkpoints/dtypes';
import { loadCheckpoint } from '../src/checkpoints/load';
import { useWasmKernels } from '../src/model/wasmKernels';

const BASE: Omit<MaeConfig, 'embedDim' | 'depth' | 'numHeads' | 'decoderEmbedDim' | 'decoderDepth' | 'decoderNumHeads'> = {
  imgSize: 224, patchSize: 16, inChans: 3, mlpRatio: 4, layerNormEps: 1e-6, normPixLoss: false,
};
/** Architectures measured: the golden tiny model, the bundled small one, and ViT-MAE Base and Large. */
const ARCHS: Record<string, MaeConfig> = {
  tiny: { ...BASE, embedDim: 64, depth: 2, numHeads: 4, decoderEmbedDim: 32, decoderDepth: 2, decoderNumHeads: 4 },
  small: { ...BASE, embedDim: 192, depth: 6, numHeads: 3, decoderEmbedDim: 128, decoderDepth: 2, decoderNumHeads: 4 },
  base: { ...BASE, embedDim: 768, depth: 12, numHeads: 12, decoderEmbedDim: 512, decoderDepth: 8, decoderNumHeads: 16 },
  large: { ...BASE, embedDim: 1024, depth: 24, numHeads: 16, decoderEmbedDim: 512, decoderDepth: 8, decoderNumHeads: 16 },
};
const MB = 1024 * 1024;
/** Untimed reconstructions before profiling (XNNPACK packs weights on first use). */
const PROFILE_WARMUP_RUNS = 2;
/** Profiled reconstructions; each kernel's least time counts. */
const PROFILE_RUNS = 5;
/** The anchors' case names: their `tiny` is the bundled checkpoint's shape, our `small`. */
const ANCHOR_CONFIGS: Record<string, string> = { tiny: 'small', base: 'base', large: 'large' };
/** The anchors' defaults (env RUNS, WARMUP, MIN_TIME_S override them, as for run.sh): timed runs, untimed ones, seconds. */
const ANCHOR_RUNS = 7;
const ANCHOR_WARMUP = 2;
const ANCHOR_MIN_TIME_S = 2;
/** Seeds of the anchor input image and mask (any fixed value: masking is an input, the work is the same). */
const ANCHOR_SEED = 1;

/**
 * The anchors' measurement: the whole forward from a normalised image `[1, 3, 224, 224]` to pred
 * `[1, 196, 768]` (host patchify, encoder on exactly trunc(196 (1 - ratio)) visible patches,
 * decoder), read back inside each timed run, after loading and warm-up. One JSON line.
 */
async function anchorBench(configName: string, ratio: number, backend: NodeBackend, env: NodeJS.ProcessEnv, kernels = true): Promise<Record<string, unknown>> {
  const arch = ANCHOR_CONFIGS[configName];
  if (!arch) throw new Error(`unknown --config ${configName} (${Object.keys(ANCHOR_CONFIGS).join(', ')})`);
  if (!(ratio >= 0 && ratio < 1)) throw new Error(`--ratio must be within [0, 1), got ${ratio}`);
  const config = ARCHS[arch];
  const runs = Number(env.RUNS ?? ANCHOR_RUNS);
  const warmup = Number(env.WARMUP ?? ANCHOR_WARMUP);
  const minTimeS = Number(env.MIN_TIME_S ?? ANCHOR_MIN_TIME_S);
  await useBackend(backend);
  useWasmKernels(kernels);
  const model = Mae.create(config, randomParams(config, 0));
  const S = config.imgSize;
  const L = model.numPatches;
  const noise = seededNoise(ANCHOR_SEED, 1, S * S * 3); // any image: values in [0, 1)
  const image = Float32Array.from(noise, (v) => (v - 0.5) * 4); // [1, 3, S, S], roughly normalised
  const plan = planFromNoise(seededNoise(ANCHOR_SEED + 1, 1, L), 1, ratio);
  if (plan.lenKeep !== lenKeepFor(L, ratio)) throw new Error('mask plan keeps the wrong number of patches');
  const forward = async () => {
    const pred = model.predict(chwToPatches(image, S, config.patchSize), plan); // [1, L, p*p*3]
    await pred.data();
    pred.dispose();
  };
  for (let i = 0; i < warmup; i++) await forward();
  const times: number[] = [];
  const stop = performance.now() + minTimeS * 1000;
  while (times.length < runs || performance.now() < stop) {
    const t = performance.now();
    await forward();
    times.push(performance.now() - t);
  }
  const threads = 1; // tfjs-backend-wasm in Node runs its single-threaded SIMD build; cpu is plain JS
  const row = {
    engine: 'tfjs', backend, threads, label: `tfjs-${backend}-node${kernels || backend !== 'wasm' ? '' : '-nokernels'}`, attention: model.attentionLayout,
    kernels: backend === 'wasm' && kernels,
    version: tf.version_core, config: configName, ratio, len_keep: plan.lenKeep, batch: 1, warmup, runs: times.length,
    median_ms: Math.round(median(times) * 100) / 100, min_ms: Math.round(Math.min(...times) * 100) / 100,
    times_ms: times.map((t) => Math.round(t * 100) / 100),
  };
  model.dispose();
  return row;
}
/** How often process memory is sampled while a checkpoint loads, in ms. */
const MEMORY_SAMPLE_MS = 20;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Peak host memory of loading a checkpoint file of an architecture's size (random float32 weights
 * in one safetensors file) on the wasm backend: file bytes, parse, upload, first reconstruction.
 */
async function memoryBench(archName: string): Promise<Record<string, number | string>> {
  const config = ARCHS[archName];
  await useBackend('wasm');
  const params = randomParams(config, 0);
  const tensors = new Map([...params].map(([k, v]) => [k, { dtype: 'float32', shape: v.shape, bytes: float32ToBytes(v.data) }]));
  // The file goes to disk and is read back as a Blob, tensor by tensor, as the page and the CLI read it.
  const filePath = path.join(mkdtempSync(path.join(os.tmpdir(), 'mae-bench-')), 'model.safetensors');
  let file: Uint8Array | null = writeSafetensors(tensors);
  writeFileSync(filePath, file);
  const fileMB = file.length / MB;
  file = null;
  params.clear();
  tensors.clear();
  // Run with NODE_OPTIONS=--expose-gc so the random weights made above are gone before measuring.
  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
  const sampler = setInterval(sample, MEMORY_SAMPLE_MS);
  const ckpt = await loadCheckpoint([{ name: 'model.safetensors', blob: await openAsBlob(filePath) }]);
  sample();
  const model = Mae.create(ckpt.config, ckpt.params);
  sample();
  await reconstructImage(model, new Uint8ClampedArray(224 * 224 * 4).fill(100), { mask: { pattern: 'random', maskRatio: 0.75, seed: 0 } });
  sample();
  clearInterval(sampler);
  const backendMB = tf.memory().numBytes / MB;
  model.dispose();
  rmSync(path.dirname(filePath), { recursive: true, force: true });
  return { arch: archName, fileMB: Math.round(fileMB), rssBeforeMB: Math.round(base / MB), peakRssMB: Math.round(peak / MB), peakAboveStartMB: Math.round((peak - base) / MB), backendMB: Math.round(backendMB), gc: global.gc ? 'yes' : 'no' };
}

/**
 * Kernel time by kernel name of one reconstruction under tf.profile, after warm-up: each kernel's
 * time is its least over PROFILE_RUNS profiled reconstructions (the kernel sequence is the same every
 * time), which keeps a shared machine's stalls out. Calls, ms and share, largest first.
 */
async function profileBench(archName: string, backend: NodeBackend): Promise<void> {
  const config = ARCHS[archName];
  if (!config) throw new Error(`unknown arch ${archName} (${Object.keys(ARCHS).join(', ')})`);
  await useBackend(backend);
  const model = Mae.create(config, randomParams(config, 0));
  const rgba = Uint8ClampedArray.from({ length: config.imgSize * config.imgSize * 4 }, (_, i) => (i * 31) % 256);
  const run = () => reconstructImage(model, rgba, { mask: { pattern: 'random', maskRatio: 0.75, seed: 0 } });
  for (let i = 0; i < PROFILE_WARMUP_RUNS; i++) await run();
  let keys: string[] = [];
  let least: number[] = [];
  let wallMs = Infinity;
  for (let r = 0; r < PROFILE_RUNS; r++) {
    const t0 = performance.now();
    const info = await tf.profile(() => run() as unknown as tf.TensorContainer);
    wallMs = Math.min(wallMs, performance.now() - t0);
    // tf.fused.matMul's op-level entry wraps its own kernel: count the kernel only.
    const kernels = info.kernels.filter((k) => !k.name.endsWith('__op'));
    // Products split by rank: 2-D ones (batch 1) can take XNNPACK on wasm, batched ones cannot.
    if (r === 0) keys = kernels.map((k) => (/MatMul/.test(k.name) ? `${k.name} ${batchOf(k.inputShapes)}` : k.name));
    if (kernels.length !== keys.length) throw new Error('the kernel sequence changed between runs');
    least = kernels.map((k, i) => Math.min(least[i] ?? Infinity, typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0));
  }
  const byName = new Map<string, { calls: number; ms: number }>();
  keys.forEach((key, i) => {
    const e = byName.get(key) ?? { calls: 0, ms: 0 };
    e.calls++;
    e.ms += least[i];
    byName.set(key, e);
  });
  const total = least.reduce((a, v) => a + v, 0);
  console.log(`${archName} on ${backend}: ${keys.length} kernels, ${total.toFixed(1)} ms in kernels (least of ${PROFILE_RUNS} runs each), ${wallMs.toFixed(1)} ms wall (least, profiled)`);
  console.log('| kernel | calls | ms | % |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(`| ${name} | ${e.calls} | ${e.ms.toFixed(2)} | ${((100 * e.ms) / total).toFixed(1)} |`);
  }
  model.dispose();
}

/** "batch 1" when a product's operands are one matrix each (2-D, or 3-D with a leading 1), else "batched". */
function batchOf(shapes: number[][]): string {
  const batch = (s: number[]) => s.slice(0, -2).reduce((a, b) => a * b, 1);
  return shapes.slice(0, 2).every((s) => batch(s) === 1) ? 'batch 1' : 'batched';
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { arch: { type: 'string', default: 'tiny,small,base' }, backend: { type: 'string', default: 'wasm,cpu' }, runs: { type: 'string', default: '5' }, json: { type: 'boolean', default: false }, memory: { type: 'boolean', default: false }, profile: { type: 'boolean', default: false },
      'anchor-json': { type: 'boolean', default: false }, config: { type: 'string', default: 'tiny' }, ratio: { type: 'string', default: '0.75' },
      kernels: { type: 'string', default: 'on' } },
  });
  if (values['anchor-json']) {
    // Only wasm unless asked: the pure-JS cpu backend is no anchor peer (minutes a pass for base).
    const backends = process.argv.includes('--backend') ? values.backend!.split(',') : ['wasm'];
    const settings = { on: [true], off: [false], both: [false, true] }[values.kernels!];
    if (!settings) throw new Error('--kernels must be on, off or both');
    for (const b of backends) for (const k of settings) console.log(JSON.stringify(await anchorBench(values.config!, Number(values.ratio), b as NodeBackend, process.env, k)));
    return;
  }
  if (values.profile) {
    for (const a of values.arch!.split(',')) for (const b of values.backend!.split(',')) await profileBench(a, b as NodeBackend);
    return;
  }
  if (values.memory) {
    for (const a of values.arch!.split(',')) {
      const r = await memoryBench(a);
      console.log(values.json ? JSON.stringify(r) : `${a}: file ${r.fileMB} MB; process memory ${r.rssBeforeMB} MB before loading (file on disk), peak ${r.peakRssMB} MB (+${r.peakAboveStartMB} MB to read, upload and run); backend tensors ${r.backendMB} MB`);
    }
    return;
  }
  const runs = Number(values.runs);
  const rows: Record<string, unknown>[] = [];
  const rgba = Uint8ClampedArray.from({ length: 224 * 224 * 4 }, (_, i) => (i * 31) % 256);
  for (const archName of values.arch!.split(',')) {
    const config = ARCHS[archName];
    if (!config) throw new Error(`unknown arch ${archName} (${Object.keys(ARCHS).join(', ')})`);
    for (const backend of values.backend!.split(',') as NodeBackend[]) {
      // ViT-Base and larger on the pure-JS cpu backend take minutes a pass: not worth timing.
      if (backend === 'cpu' && (archName === 'base' || archName === 'large')) continue;
      await useBackend(backend);
      const rssBefore = process.memoryUsage().rss;
      const t0 = performance.now();
      const params = randomParams(config, 0);
      const model = Mae.create(config, params);
      const loadMs = performance.now() - t0;
      const times: number[] = [];
      for (let i = 0; i <= runs; i++) {
        const t = performance.now();
        await reconstructImage(model, rgba, { mask: { pattern: 'random', maskRatio: 0.75, seed: i } });
        if (i > 0) times.push(performance.now() - t); // the first run is the warm-up
      }
      const row = {
        arch: archName, backend, params: model.parameterCount, runs,
        medianMs: Math.round(median(times) * 10) / 10, minMs: Math.round(Math.min(...times) * 10) / 10,
        loadMs: Math.round(loadMs), rssGrowthMB: Math.round((process.memoryUsage().rss - rssBefore) / MB),
        backendMB: Math.round((tf.memory().numBytes) / MB),
      };
      rows.push(row);
      model.dispose();
      if (!values.json) console.log(`${archName.padEnd(6)} ${backend.padEnd(5)} ${(row.params / 1e6).toFixed(1).padStart(6)} M params  median ${String(row.medianMs).padStart(8)} ms  (min ${row.minMs})  load ${row.loadMs} ms  weights ${row.backendMB} MB`);
    }
  }
  const byKey = new Map(rows.map((r) => [`${r.arch}/${r.backend}`, r.medianMs as number]));
  for (const arch of new Set(rows.map((r) => r.arch as string))) {
    const w = byKey.get(`${arch}/wasm`);
    const c = byKey.get(`${arch}/cpu`);
    if (w && c && !values.json) console.log(`${arch}: cpu / wasm median ratio ${(c / w).toFixed(1)}x`);
  }
  if (values.json) console.log(JSON.stringify(rows));
}

main().catch((e) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
});
