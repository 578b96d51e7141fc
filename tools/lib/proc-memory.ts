// Memory of a process tree (a browser and every process it started) from Linux /proc, for the
// browser benchmark. PSS splits shared pages between the processes mapping them, so the sum over
// the tree counts each page once; RSS sums count shared libraries once per process.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/** Bytes per kB as /proc reports them. */
const KB = 1024;

/** A process tree's memory at one moment, in bytes, summed over its processes. */
export interface TreeMemory { pss: number; rss: number; processes: number }

const readOr = (file: string): string | null => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null; // the process ended between listing and reading
  }
};

/** The value in kB of a `Name:   123 kB` line of a /proc status-like file, in bytes (0 when absent). */
const field = (text: string | null, name: string): number => {
  const m = text?.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'));
  return m ? Number(m[1]) * KB : 0;
};

/** `root` and all its descendants (by parent pid), from /proc/<pid>/stat. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readOr(`/proc/${name}/stat`);
    // The command name (field 2) may hold spaces and parentheses: the parent pid follows the last ')'.
    const ppid = stat ? Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) : NaN;
    if (!Number.isFinite(ppid)) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    const pid = todo.pop()!;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** RSS summed over `pids` (a tree from `processTree`), from /proc/<pid>/status: cheap enough to sample often. */
export function treeRss(pids: readonly number[]): TreeMemory {
  let rss = 0;
  let processes = 0;
  for (const pid of pids) {
    const status = readOr(`/proc/${pid}/status`);
    if (status === null) continue;
    rss += field(status, 'VmRSS');
    processes++;
  }
  return { pss: NaN, rss, processes };
}

/** PSS (and RSS) summed over `pids`, from /proc/<pid>/smaps_rollup: exact, but it walks every page table (slow). */
export function treePss(pids: readonly number[]): TreeMemory {
  let pss = 0;
  let rss = 0;
  let processes = 0;
  for (const pid of pids) {
    const rollup = readOr(`/proc/${pid}/smaps_rollup`);
    if (rollup === null) continue;
    pss += field(rollup, 'Pss');
    rss += field(rollup, 'Rss');
    processes++;
  }
  return { pss, rss, processes };
}

/**
 * Resets each process's peak RSS (VmHWM) where the kernel allows it (`clear_refs` 5), so that
 * `treePeakRss` afterwards covers this phase only.
 */
export function resetPeakRss(root: number): void {
  for (const pid of processTree(root)) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch {
      // not permitted or gone: that process's VmHWM then covers its whole life
    }
  }
}

/** Sum over the tree of each process's peak RSS (VmHWM), in bytes: an upper bound of the tree's peak RSS. */
export function treePeakRss(root: number): number {
  return processTree(root).reduce((sum, pid) => sum + field(readOr(`/proc/${pid}/status`), 'VmHWM'), 0);
}

/** How often the sampler looks for new processes in the tree, in ms (listing /proc costs more than a sample). */
const TREE_REFRESH_MS = 1000;

/**
 * Samples a process tree's RSS on a timer and keeps the peak of the current phase. (PSS would count
 * shared pages once, but reading it walks page tables: over 100 ms for an idle Chromium, too slow to sample.)
 */
export class MemorySampler {
  private timer: NodeJS.Timeout | null = null;
  private pids: number[] = [];
  private pidsAt = -Infinity;
  /** Peak RSS sum (bytes) since the last `startPhase`. */
  peakRss = 0;
  /** Samples taken and the time they took, in ms (the sampler's own cost to the machine). */
  samples = 0;
  sampleMs = 0;

  constructor(readonly root: number, readonly intervalMs: number) {}

  /** Starts sampling (a first sample at once). */
  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Forgets the peak so far (and the processes' VmHWM); the next samples make the new phase's peak. */
  startPhase(): void {
    resetPeakRss(this.root);
    this.peakRss = 0;
    this.sample();
  }

  /** The phase's peaks (bytes): sampled RSS sum, and the VmHWM sum (which also sees peaks between samples). */
  endPhase(): { rss: number; hwm: number } {
    this.sample();
    return { rss: this.peakRss, hwm: treePeakRss(this.root) };
  }

  /** RSS sum now, in bytes (and it counts towards the phase's peak). */
  sample(): number {
    const t = performance.now();
    if (t - this.pidsAt > TREE_REFRESH_MS) {
      this.pids = processTree(this.root);
      this.pidsAt = t;
    }
    const { rss } = treeRss(this.pids);
    this.peakRss = Math.max(this.peakRss, rss);
    this.samples++;
    this.sampleMs += performance.now() - t;
    return rss;
  }

  /** PSS and RSS sums now (slow: for snapshots, not for sampling). */
  snapshot(): TreeMemory {
    return treePss(processTree(this.root));
  }
}
