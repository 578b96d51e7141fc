// `npm run bench:browser [-- --models small,base,large,huge] [--steps N] [--drag-interval MS] [--settle MS] [--views attention|features]
//   [--lookahead on|off|both] [--compositing software|swiftshader] [--json FILE] [--no-build]`
//
// The page as a visitor meets it: the built site (`vite build`, then `vite preview`, which sends
// COOP/COEP so the WASM backend runs threads) in Debian's Chromium, `?backend=wasm`, one sample
// picture added through the file input. Per model, in a fresh browser:
// - slider-to-frame: N single steps of the "Mask ratio" slider (arrow keys, each step left to finish
//   before the next) and a fast drag of N steps on down, onto ratios not shown yet (one key press per
//   display frame); per step, the time
//   from the input event to the frame that shows the new ratio in the masked panel and in the
//   reconstruction panel (tools/lib/bench-probe.js measures inside the page); p50 and p95;
// - for ViT-MAE Base and Large: random-weight `.pth` checkpoints (made once by the anchors'
//   PyTorch script, cached in .cache/bench/) loaded through the checkpoint picker's file input:
//   load time, and the browser's peak memory (RSS summed over all its processes, sampled from /proc)
//   while loading and while moving the slider, above the page before the load, and its ratio to the
//   file; and the memory still held afterwards (PSS, which counts shared pages once).
// `--views attention` (or `features`) opens that view on the picture before the slider is timed, so the
// views' cost on the slider is one command (the page asks for a view's inspection once the mask has
// rested VIEW_IDLE_MS; `--settle` above that lets inspections run between the single steps).
// `--lookahead`: the page's slider lookahead (setting `ahead`) on, off, or both side by side (the
// default for the bundled model; the others are too slow for it to engage, so they run with it on).
// `--compositing`: this machine has no GPU, so headless Chromium composites every frame through
// SwiftShader (software Vulkan/GL) and reads it back, about 180 ms of a core a frame here, which a
// visitor's display never costs; `software` (the default) composites on the CPU as Chromium does
// where the GPU is unusable (`--disable-gpu-compositing`), `swiftshader` keeps the tests' flags.
// Prints Markdown tables and writes every measurement to a JSON file. A benchmark, not a test:
// nothing here passes or fails on time.
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { VIEW_KINDS, type ViewKind } from '../src/store/viewsSlice';
import { CHROMIUM_ARGS, launchBrowser, startPreview, ROOT } from '../tests/e2e/browser';
import { DESKTOP, Playground } from '../tests/e2e/pages/playground';
import { fmt, markdownTable, summarize, type Summary } from './lib/bench-stats';
import { MemorySampler } from './lib/proc-memory';

/** Where generated checkpoints and the JSON report go (gitignored). */
const CACHE_DIR = path.join(ROOT, '.cache', 'bench');
/** The anchors' PyTorch MAE (`pth --config base|large --out FILE`); MAE_TORCH overrides it. */
const MAE_TORCH = process.env.MAE_TORCH ?? path.join(ROOT, '..', 'shared', 'anchor-bench', 'mae_torch.py');
/** The Python with torch that runs it. */
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
/** The picture every run reconstructs (a bundled sample, added through the file input). */
const SAMPLE = path.join(ROOT, 'public', 'samples', 'canyon.jpg');
/** Probe injected into every page (plain JS). */
const PROBE = path.join(ROOT, 'tools', 'lib', 'bench-probe.js');
/** The page's default mask ratio, in percent (the series start there). */
const START_RATIO_PCT = 75;
/** Lowest ratio a series may reach, in percent (the slider's minimum is 0). */
const MIN_RATIO_PCT = 5;
/** Slider steps per series by default. */
const DEFAULT_STEPS = 10;
/** Time between key presses of the fast drag, in ms: one input per 60 Hz frame, as a pointer drag gives. */
const DEFAULT_DRAG_INTERVAL_MS = 1000 / 60;
/** Pause after a single step has finished before the next, in ms, so that steps are measured alone. */
const SETTLE_MS = 250;
/** Quiet time before the memory baseline is taken, in ms. */
const BASELINE_QUIET_MS = 1000;
/** Memory sampling period, in ms. */
const SAMPLE_EVERY_MS = 100;
/** Polling period of waits on the page, in ms (coarse, so waiting costs the page little). */
const POLL_MS = 50;
/** Longest wait for one slider step's frames, or a drag's last frame, in ms (Large takes seconds a step). */
const STEP_TIMEOUT_MS = 180_000;
/** Longest wait for a checkpoint to load and reconstruct, in ms (Large is 1.3 GB). */
const LOAD_TIMEOUT_MS = 600_000;
/** Bytes per MiB. */
const MIB = 1024 * 1024;
/** How the browser composites its frames (see the header). */
const COMPOSITING = { software: ['--disable-gpu-compositing'], swiftshader: [] } as const;
type Compositing = keyof typeof COMPOSITING;
/** The page's lookahead setting per run. */
type Lookahead = 'on' | 'off';

/** A model the benchmark runs: the bundled checkpoint, or a random-weight `.pth` of an official shape. */
interface ModelSpec {
  name: string; label: string; torchConfig: string | null;
  /** Who makes the checkpoint: the anchors' mae_torch.py (base, large) or the project's maker (huge). */
  maker?: 'anchor' | 'project';
}
const MODELS: Record<string, ModelSpec> = {
  small: { name: 'small', label: 'bundled mae-small (default)', torchConfig: null },
  base: { name: 'base', label: 'ViT-MAE Base, random .pth', torchConfig: 'base' },
  large: { name: 'large', label: 'ViT-MAE Large, random .pth', torchConfig: 'large' },
  huge: { name: 'huge', label: 'ViT-MAE Huge, random .pth', torchConfig: 'huge', maker: 'project' },
};
/** The project's random-checkpoint maker, for shapes the anchors do not make. */
const PROJECT_MAKER = path.join(ROOT, 'tools', 'fixtures', 'make_random_pth.py');

/** One step as the probe recorded it (page clock, ms; frame times -1 or null when never shown). */
interface ProbeStep {
  ratio: number; t0: number; key: number | null; masked: number | null; recon: number | null;
  drawn: { masked: number | null; recon: number | null };
}
/**
 * A series' latencies, in ms: per panel, and the input delay (key event to input event: how long the
 * page's main thread kept the key waiting; not part of the panel latencies).
 */
interface Series {
  masked: Summary; recon: Summary; inputDelay: Summary; maskedMs: number[]; reconMs: number[]; inputDelayMs: number[];
  /** Input event to the canvas write (before its frame), per panel, in ms. */
  maskedDrawnMs: number[]; reconDrawnMs: number[];
  meanIntervalMs: number | null;
}
/** A phase's peaks, in bytes: sampled RSS sum, and the sum of each process's VmHWM (an upper bound). */
interface PhasePeak { rss: number; hwm: number }
/** Memory at one moment, in bytes, summed over the browser's processes. */
interface Snapshot { pss: number; rss: number }
interface ModelResult {
  model: string; label: string; file: string | null; fileBytes: number | null; lookahead: Lookahead; compositing: Compositing;
  backend: string | null; crossOriginIsolated: boolean; hardwareConcurrency: number;
  loadMs: number | null; firstReconMs: number | null;
  memory: { before: Snapshot; after: Snapshot; load: PhasePeak | null; slider: PhasePeak; meanSampleMs: number };
  single: Series; drag: Series;
}

/** The cached random-weight checkpoint of a config, made with PyTorch when missing. */
function ensureCheckpoint(config: string, maker: ModelSpec['maker'] = 'anchor'): string {
  const file = path.join(CACHE_DIR, `mae-${config}-random.pth`);
  if (existsSync(file)) return file;
  const script = maker === 'project' ? PROJECT_MAKER : MAE_TORCH;
  if (!existsSync(script)) throw new Error(`${script} not found (set MAE_TORCH to the anchors' mae_torch.py)`);
  mkdirSync(CACHE_DIR, { recursive: true });
  console.error(`making ${path.relative(ROOT, file)} with PyTorch…`);
  const tmp = `${file}.part`;
  const args = maker === 'project' ? [script, '--config', config, '--out', tmp] : [script, 'pth', '--config', config, '--out', tmp];
  const r = spawnSync(PYTHON, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`${PYTHON} ${args.join(' ')} failed (exit ${r.status})`);
  renameSync(tmp, file);
  return file;
}

/** The pid of the browser process, from the browser itself. */
async function browserPid(browser: Browser): Promise<number> {
  const cdp = await browser.newBrowserCDPSession();
  const { processInfo } = await cdp.send('SystemInfo.getProcessInfo') as { processInfo: { type: string; id: number }[] };
  await cdp.detach();
  const main = processInfo.find((p) => p.type === 'browser');
  if (!main) throw new Error('Chromium did not report its browser process');
  return main.id;
}

/** Latencies of the probe's steps: input event to the frame showing the ratio, per panel. */
function seriesOf(steps: ProbeStep[]): Series {
  const lat = (t: number | null, t0: number) => (t !== null && t > 0 ? t - t0 : NaN);
  const maskedMs = steps.map((s) => lat(s.masked, s.t0));
  const reconMs = steps.map((s) => lat(s.recon, s.t0));
  const inputDelayMs = steps.map((s) => (s.key !== null ? s.t0 - s.key : NaN));
  const maskedDrawnMs = steps.map((s) => lat(s.drawn.masked, s.t0));
  const reconDrawnMs = steps.map((s) => lat(s.drawn.recon, s.t0));
  const gaps = steps.slice(1).map((s, i) => s.t0 - steps[i].t0);
  return {
    masked: summarize(maskedMs), recon: summarize(reconMs), inputDelay: summarize(inputDelayMs), maskedMs, reconMs, inputDelayMs, maskedDrawnMs, reconDrawnMs,
    meanIntervalMs: gaps.length ? gaps.reduce((a, b) => a + b, 0) / gaps.length : null,
  };
}

/** Page expression: step `i` of the series has both frames and the first row is no longer pending. */
const stepDone = (i: number) => `(() => { const s = window.__maeBench.steps[${i}];
  const row = document.querySelector('[data-testid="image-row"]');
  return !!s && s.masked > 0 && s.recon > 0 && row && row.getAttribute('data-pending') === 'false'; })()`;

/** N single slider steps (left), each finished and settled before the next. */
async function singleSteps(pg: Playground, n: number, settleMs: number): Promise<Series> {
  await pg.page.evaluate('window.__maeBench.reset()');
  await pg.slider().focus();
  for (let i = 0; i < n; i++) {
    await pg.page.keyboard.press('ArrowLeft');
    await pg.page.waitForFunction(stepDone(i), undefined, { timeout: STEP_TIMEOUT_MS, polling: POLL_MS });
    await sleep(settleMs);
  }
  return seriesOf(await pg.page.evaluate('window.__maeBench.steps') as ProbeStep[]);
}

/**
 * A fast drag of N steps, on down from where the single steps ended, so onto ratios not shown
 * before (a step back onto one is drawn from the page's cache): one key press per interval, then
 * the wait for the last frame.
 */
async function dragSteps(pg: Playground, n: number, intervalMs: number): Promise<Series> {
  await pg.page.evaluate('window.__maeBench.reset()');
  await pg.slider().focus();
  for (let i = 0; i < n; i++) {
    await pg.page.keyboard.press('ArrowLeft');
    await sleep(intervalMs);
  }
  await pg.page.waitForFunction(stepDone(n - 1), undefined, { timeout: STEP_TIMEOUT_MS, polling: POLL_MS });
  const steps = await pg.page.evaluate('window.__maeBench.steps') as ProbeStep[];
  if (steps.length !== n) console.error(`warning: ${n} key presses gave ${steps.length} input events`);
  return seriesOf(steps);
}

/** One model in a fresh browser: open, add the sample, (load the checkpoint), move the slider. */
async function benchModel(spec: ModelSpec, url: string, steps: number, dragIntervalMs: number, settleMs: number, views: ViewKind | null,
  lookahead: Lookahead, compositing: Compositing): Promise<ModelResult> {
  const file = spec.torchConfig ? ensureCheckpoint(spec.torchConfig, spec.maker) : null;
  const browser = await launchBrowser([...CHROMIUM_ARGS, ...COMPOSITING[compositing]]);
  const sampler = new MemorySampler(await browserPid(browser), SAMPLE_EVERY_MS);
  sampler.start();
  try {
    const ctx = await browser.newContext({ viewport: DESKTOP });
    await ctx.addInitScript({ path: PROBE });
    const pg = await Playground.open(browser, url, `backend=wasm&ahead=${lookahead === 'on' ? 1 : 0}`, { ctx });
    await pg.addPictures(SAMPLE);
    await pg.waitForReadyRows(1);
    await pg.waitForResult(START_RATIO_PCT);
    const env = await pg.page.evaluate('({ coi: self.crossOriginIsolated, cores: navigator.hardwareConcurrency })') as { coi: boolean; cores: number };

    await sleep(BASELINE_QUIET_MS);
    const before = sampler.snapshot();
    let load: PhasePeak | null = null;
    let loadMs: number | null = null;
    let firstReconMs: number | null = null;
    if (file) {
      sampler.startPhase();
      const name = path.basename(file);
      await pg.page.evaluate(`window.__maeBench.watchLoad(${JSON.stringify(name)})`);
      await pg.loadCheckpointFile(file);
      // The visitor looks at the picture (rows out of view are not reconstructed; the open picker can push it down).
      await pg.page.locator('[data-testid="image-row"]').first().scrollIntoViewIfNeeded();
      await pg.page.waitForFunction('window.__maeBench.load.shown !== null', undefined, { timeout: LOAD_TIMEOUT_MS, polling: POLL_MS });
      await pg.page.waitForFunction('window.__maeBench.load.firstRecon > 0', undefined, { timeout: LOAD_TIMEOUT_MS, polling: POLL_MS });
      await pg.waitForResult(START_RATIO_PCT);
      const l = await pg.page.evaluate('window.__maeBench.load') as { t0: number; shown: number; firstRecon: number };
      loadMs = l.shown - l.t0;
      firstReconMs = l.firstRecon - l.t0;
      load = sampler.endPhase();
    }
    const backend = await pg.statusBackend();
    if (views) {
      // The view open and drawn once before the slider moves.
      await pg.toggleView(views);
      if (views === 'attention') await pg.attentionOverlay();
      else await pg.page.waitForSelector('[data-testid="image-row"] canvas[data-testid="features-whole"][data-drawn="true"]', { timeout: LOAD_TIMEOUT_MS });
    }

    sampler.startPhase();
    const single = await singleSteps(pg, steps, settleMs);
    const drag = await dragSteps(pg, steps, dragIntervalMs);
    const slider = sampler.endPhase();
    await sleep(BASELINE_QUIET_MS);
    const after = sampler.snapshot();
    await pg.close();
    return {
      model: spec.name, label: `${spec.label}${views ? `, ${views} view open` : ''}, lookahead ${lookahead}`, lookahead, compositing,
      file: file ? path.relative(ROOT, file) : null, fileBytes: file ? statSync(file).size : null,
      backend, crossOriginIsolated: env.coi, hardwareConcurrency: env.cores, loadMs, firstReconMs,
      memory: { before: { pss: before.pss, rss: before.rss }, after: { pss: after.pss, rss: after.rss }, load, slider, meanSampleMs: sampler.sampleMs / sampler.samples }, single, drag,
    };
  } finally {
    sampler.stop();
    await browser.close();
  }
}

const p50p95 = (s: Summary) => `${fmt(s.p50)} / ${fmt(s.p95)}`;
const mib = (bytes: number | null) => (bytes === null ? NaN : bytes / MIB);
/** "extra MiB (x file)": `bytes` above the page before the load (`base`), and its ratio to the file. */
const extra = (r: ModelResult, bytes: number | undefined, base: number) => {
  if (bytes === undefined) return '—';
  const over = bytes - base;
  return `${fmt(mib(over))}${r.fileBytes ? ` (${fmt(over / r.fileBytes, 1)}x)` : ''}`;
};

function report(results: ModelResult[], steps: number): string {
  const latency = markdownTable(
    ['model', 'backend', 'single step: masked p50 / p95 (ms)', 'single step: reconstruction p50 / p95 (ms)',
      'drag: masked p50 / p95 (ms)', 'drag: reconstruction p50 / p95 (ms)', 'input delay, both series: p50 / p95 (ms)',
      'masked canvas written (before its frame), both series: p50 / p95 (ms)'],
    results.map((r) => [r.label, `${r.backend ?? '?'}${r.crossOriginIsolated ? ', isolated' : ', NOT isolated'}`,
      p50p95(r.single.masked), p50p95(r.single.recon), p50p95(r.drag.masked), p50p95(r.drag.recon),
      p50p95(summarize([...r.single.inputDelayMs, ...r.drag.inputDelayMs])),
      p50p95(summarize([...r.single.maskedDrawnMs, ...r.drag.maskedDrawnMs]))]),
  );
  const memory = markdownTable(
    ['model', 'file (MiB)', 'load (s)', 'first reconstruction (s)', 'browser before: RSS / PSS (MiB)',
      'load: peak extra RSS, MiB (x file)', 'slider: peak extra RSS, MiB (x file)', 'held after: extra PSS, MiB (x file)',
      'load: VmHWM sum extra (MiB)'],
    results.map((r) => [r.label, fmt(mib(r.fileBytes)), fmt(r.loadMs === null ? NaN : r.loadMs / 1000, 1),
      fmt(r.firstReconMs === null ? NaN : r.firstReconMs / 1000, 1), `${fmt(mib(r.memory.before.rss))} / ${fmt(mib(r.memory.before.pss))}`,
      extra(r, r.memory.load?.rss, r.memory.before.rss), extra(r, r.memory.slider.rss, r.memory.before.rss),
      extra(r, r.memory.after.pss, r.memory.before.pss),
      r.memory.load ? fmt(mib(r.memory.load.hwm - r.memory.before.rss)) : '—']),
  );
  const drag = results.map((r) => r.drag.meanIntervalMs).filter((x): x is number => x !== null);
  return [
    `Slider-to-frame, ${steps} steps a series (input event -> frame showing the ratio; drag: a frame showing it or a later step's)`,
    '', latency, '',
    `Load and memory (summed over the browser's processes; RSS sampled every ${SAMPLE_EVERY_MS} ms; extra = above the page before the load)`,
    '', memory, '',
    `Drag: mean ${fmt(drag.length ? drag.reduce((a, b) => a + b, 0) / drag.length : NaN, 1)} ms between input events. ` +
      `Memory sampling took ${fmt(Math.max(...results.map((r) => r.memory.meanSampleMs)), 1)} ms a sample at most. ` +
      `Compositing: ${[...new Set(results.map((r) => r.compositing))].join(', ')}. ` +
      `${os.cpus().length} CPUs, ${new Date().toISOString()}.`,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      models: { type: 'string', default: Object.keys(MODELS).join(',') },
      steps: { type: 'string', default: String(DEFAULT_STEPS) },
      'drag-interval': { type: 'string', default: String(DEFAULT_DRAG_INTERVAL_MS) },
      json: { type: 'string', default: path.join(CACHE_DIR, 'bench-browser.json') },
      'no-build': { type: 'boolean', default: false },
      settle: { type: 'string', default: String(SETTLE_MS) },
      views: { type: 'string', default: '' },
      lookahead: { type: 'string' },
      compositing: { type: 'string', default: 'software' },
    },
  });
  const specs = values.models!.split(',').map((m) => {
    const spec = MODELS[m.trim()];
    if (!spec) throw new Error(`unknown model "${m}" (${Object.keys(MODELS).join(', ')})`);
    return spec;
  });
  const steps = Number(values.steps);
  const maxSteps = Math.floor((START_RATIO_PCT - MIN_RATIO_PCT) / 2); // both series go down
  if (!Number.isInteger(steps) || steps < 1 || steps > maxSteps) throw new Error(`--steps must be an integer from 1 to ${maxSteps}`);
  const dragIntervalMs = Number(values['drag-interval']);
  if (!(dragIntervalMs >= 0)) throw new Error('--drag-interval must be a number of ms, 0 or more');
  const settleMs = Number(values.settle);
  if (!(settleMs >= 0)) throw new Error('--settle must be a number of ms, 0 or more');
  const views = values.views === '' ? null : values.views as ViewKind;
  if (views !== null && !VIEW_KINDS.includes(views)) throw new Error(`--views must be one of ${VIEW_KINDS.join(', ')}`);

  const compositing = values.compositing as Compositing;
  if (!(compositing in COMPOSITING)) throw new Error(`--compositing must be one of ${Object.keys(COMPOSITING).join(', ')}`);
  const lookaheadArg = values.lookahead;
  if (lookaheadArg !== undefined && !['on', 'off', 'both'].includes(lookaheadArg)) throw new Error('--lookahead must be on, off or both');
  /** Lookahead runs of a model: as asked, else both for the bundled model (the only one quick enough for it) and on for the rest. */
  const lookaheadRuns = (spec: ModelSpec): Lookahead[] => {
    const want = lookaheadArg ?? (spec.torchConfig ? 'on' : 'both');
    return want === 'both' ? ['off', 'on'] : [want as Lookahead];
  };

  if (!values['no-build']) await build({ root: ROOT, configFile: path.join(ROOT, 'vite.config.ts'), logLevel: 'warn' });
  const server = await startPreview();
  const results: ModelResult[] = [];
  try {
    for (const spec of specs) {
      for (const lookahead of lookaheadRuns(spec)) {
        console.error(`${spec.label}, lookahead ${lookahead}…`);
        results.push(await benchModel(spec, server.url, steps, dragIntervalMs, settleMs, views, lookahead, compositing));
      }
    }
  } finally {
    await server.close();
  }
  console.log(report(results, steps));
  mkdirSync(path.dirname(values.json!), { recursive: true });
  writeFileSync(values.json!, JSON.stringify({
    date: new Date().toISOString(), args: process.argv.slice(2), cpus: os.cpus().length, steps, dragIntervalMs, compositing,
    settleMs, views, sampleEveryMs: SAMPLE_EVERY_MS, results,
  }, null, 2));
  console.error(`wrote ${path.relative(process.cwd(), values.json!)}`);
}

main().catch((e) => {
  console.error(`bench:browser: ${(e as Error).message}`);
  process.exit(1);
});
