// `npm run bench [-- --arch tiny,small,base] [--backend wasm,cpu] [--runs N] [--memory]`
// Reconstruction latency (median of N runs after a warm-up) and host memory per architecture and
// backend, measured side by side in one run, with random weights of the official shapes.
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, openAsBlob, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Mae, randomParams, reconstructImage, type MaeConfig } from '../src/model';
import { useBackend, type NodeBackend } from './lib/backend';
import { writeSafetensors } from '../src/checkpoints/safetensors';
import { float32ToBytes } from '../src/checkpoints/dtypes';
import { loadCheckpoint } from '../src/checkpoints/load';

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

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { arch: { type: 'string', default: 'tiny,small,base' }, backend: { type: 'string', default: 'wasm,cpu' }, runs: { type: 'string', default: '5' }, json: { type: 'boolean', default: false }, memory: { type: 'boolean', default: false } },
  });
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
