// The command line against hostile checkpoints, under a watchdog: each run is timed and its peak
// memory (VmHWM) read from /proc while it runs. A hostile file must be refused within the issue's
// 10 s, with at most twice the peak memory of a legitimate run, as one line on stderr, exit code 2.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
// One file per class the command line used to mishandle worst (the others: tests/unit/checkpoints/hostile.test.ts).
import { escapingTensorName, nanWeights, pickleObjectBomb, strideZeroBomb, type HostileFile } from '../../helpers/hostile';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const GOLDEN_HF = path.join(ROOT, 'tests', 'fixtures', 'golden', 'tiny-p16', 'hf');
/** tsx's loader by URL, so the child needs no wrapper process and no package lookup from its cwd. */
const TSX_LOADER = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
/** The bound on refusing a hostile file, in ms. */
const REFUSAL_TIME_LIMIT_MS = 10_000;
/** A hostile run may peak at most this many times the memory of a legitimate run. */
const MEMORY_RATIO_LIMIT = 2;
/** The watchdog kills a run that passes this, in bytes, to protect the machine. */
const KILL_MEMORY_BYTES = 3 * 1024 ** 3;
/** How often the watchdog reads the child's memory, in ms. */
const POLL_MS = 20;
/** Exit code for bad input. */
const EXIT_BAD_INPUT = 2;
const KIB = 1024;

interface Run { code: number | null; stdout: string; stderr: string; ms: number; peakBytes: number; killed: string | null }

const tmp = mkdtempSync(path.join(os.tmpdir(), 'mae-hostile-'));

/** Peak resident memory of a live process (VmHWM), in bytes; 0 once it has gone. */
function peakOf(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * KIB : 0;
  } catch {
    return 0;
  }
}

/** Runs the CLI in one process (node with tsx's loader, no wrapper), watching time and memory. */
function run(args: string[], timeLimitMs = REFUSAL_TIME_LIMIT_MS): Promise<Run> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--import', TSX_LOADER, path.join(ROOT, 'tools', 'mae.ts'), ...args], { cwd: tmp });
    let stdout = '';
    let stderr = '';
    let peakBytes = 0;
    let killed: string | null = null;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const watch = setInterval(() => {
      peakBytes = Math.max(peakBytes, peakOf(child.pid!));
      const ms = performance.now() - t0;
      if (peakBytes > KILL_MEMORY_BYTES || ms > timeLimitMs) {
        killed = peakBytes > KILL_MEMORY_BYTES ? 'memory' : 'time';
        child.kill('SIGKILL');
      }
    }, POLL_MS);
    child.on('exit', (code) => {
      clearInterval(watch);
      resolve({ code, stdout, stderr, ms: performance.now() - t0, peakBytes, killed });
    });
  });
}

function write(files: HostileFile[]): string {
  const dir = mkdtempSync(path.join(tmp, 'ckpt-'));
  for (const f of files) writeFileSync(path.join(dir, f.name), f.bytes);
  return files.length === 1 ? path.join(dir, files[0].name) : dir;
}

const image = path.join(tmp, 'photo.png');
let legitPeak = 0;

beforeAll(async () => {
  const png = new PNG({ width: 64, height: 48 });
  png.data.fill(180);
  writeFileSync(image, PNG.sync.write(png));
  // A legitimate checkpoint of the same order of size (the golden tiny model, about 300 kB), run to the end.
  const legit = await run(['reconstruct', '--checkpoint', GOLDEN_HF, '--image', image, '--out', 'legit.png'], 60_000);
  expect(legit.code, legit.stderr).toBe(0);
  legitPeak = legit.peakBytes;
  expect(legitPeak).toBeGreaterThan(0);
});

describe.each([
  ['a [2^28] view of one float with stride 0', strideZeroBomb, /stride 0/],
  ['1e8 EMPTY_DICTs in a 100 kB deflated data.pkl', () => pickleObjectBomb(100_000_000, true), /data\.pkl is 100000003 bytes, more than the 67108864/],
  ['a tensor name with a newline and terminal codes', escapingTensorName, /does not use: x\\ncheckpoint OK\\r\\x1b/],
  ['NaN weights', nanWeights, /NaN or infinite/],
] as const)('mae reconstruct with %s', (_name, make, pattern) => {
  it('is refused in time and memory, as one line, exit 2', async () => {
    const r = await run(['reconstruct', '--checkpoint', write(make()), '--image', image, '--out', 'h.png']);
    if (process.env.MAE_WATCHDOG_REPORT) console.log(`${_name}: ${r.ms.toFixed(0)} ms, peak ${(r.peakBytes / 2 ** 20).toFixed(0)} MiB (legitimate run ${(legitPeak / 2 ** 20).toFixed(0)} MiB)`);
    expect(r.killed, r.stderr).toBeNull();
    expect(r.ms).toBeLessThan(REFUSAL_TIME_LIMIT_MS);
    expect(r.peakBytes).toBeLessThanOrEqual(MEMORY_RATIO_LIMIT * legitPeak);
    expect(r.code).toBe(EXIT_BAD_INPUT);
    expect(r.stdout).toBe('');
    expect(r.stderr.endsWith('\n')).toBe(true);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    // eslint-disable-next-line no-control-regex
    expect(r.stderr.trimEnd()).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(r.stderr).not.toMatch(/unexpected error/);
    expect(r.stderr).toMatch(pattern);
  });
});
