// Checkpoints for the command line: files and folders on disk, and hub repositories through an
// on-disk cache. Files are opened as Blobs (`fs.openAsBlob`), so a checkpoint is read tensor by
// tensor and never held whole.
import { existsSync, mkdirSync, openAsBlob, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { fetchHubFiles, openDownload, type ProgressFn } from '../../src/checkpoints/hub';
import { MAX_CONFIG_BYTES, MAX_DOWNLOAD_BYTES } from '../../src/checkpoints/limits';
import { openCheckpoint, type CheckpointFile } from '../../src/checkpoints/load';
import { printable } from '../../src/shared/errors';
import {
  DEFAULT_HF_ENDPOINT, HUB_CONFIG_FILE, HUB_WEIGHT_FILES, hubCacheSegments, hubFileUrl, normaliseEndpoint, parseHubInput,
} from '../../src/shared/hub';

/** A user mistake: printed as one line, exit code 2. */
export class UsageError extends Error {}

/** Files a folder may hold as weights, by extension. */
const WEIGHT_RE = /\.(safetensors|pth|bin|pt)$/;
const CONFIG_NAME = 'config.json';
/** A hub reference on the command line starts with this. */
export const HUB_PREFIX = 'hf:';
/** Suffix of a download not yet checked. */
const PART_SUFFIX = '.part';

/** A checkpoint picked from the command line: its files, a label, and notes for stderr. */
export interface PickedCheckpoint {
  label: string;
  files: CheckpointFile[];
  notes: string[];
}

async function fileOf(file: string, name = path.basename(file)): Promise<CheckpointFile> {
  return { name, blob: await openAsBlob(file) };
}

/**
 * The weight file of a folder: model.safetensors, else pytorch_model.bin (the order transformers
 * prefers), else its only weight file; with a note saying which when there was a choice.
 */
export function pickWeightFile(names: readonly string[], dir: string): { file: string; note?: string } {
  const weights = names.filter((f) => WEIGHT_RE.test(f));
  if (weights.length === 0) throw new UsageError(`no checkpoint file (.safetensors, .pth, .bin) in ${dir}`);
  const file = HUB_WEIGHT_FILES.find((f) => weights.includes(f)) ?? (weights.length === 1 ? weights[0] : undefined);
  if (file === undefined) {
    throw new UsageError(`several checkpoint files in ${dir}: ${weights.join(', ')}; name one`);
  }
  const others = weights.filter((f) => f !== file);
  return others.length === 0 ? { file } : { file, note: `using ${file} from ${dir} (it also holds ${others.join(', ')})` };
}

/** A folder's checkpoint: its chosen weight file and its config.json, when there is one. */
export async function readCheckpointFolder(dir: string): Promise<PickedCheckpoint> {
  const names = readdirSync(dir);
  const { file, note } = pickWeightFile(names, dir);
  const files = [await fileOf(path.join(dir, file))];
  if (names.includes(CONFIG_NAME)) files.push(await fileOf(path.join(dir, CONFIG_NAME)));
  return { label: dir, files, notes: note ? [note] : [] };
}

/** A checkpoint file, with the config.json beside a .safetensors. */
export async function readCheckpointFile(file: string): Promise<PickedCheckpoint> {
  const files = [await fileOf(file)];
  const cfg = path.join(path.dirname(file), CONFIG_NAME);
  if (file.endsWith('.safetensors') && existsSync(cfg)) files.push(await fileOf(cfg));
  return { label: file, files, notes: [] };
}

/** Where hub downloads are kept: $MAE_CACHE, else ~/.cache/mae-playground. */
export const cacheRoot = (): string => process.env.MAE_CACHE || path.join(os.homedir(), '.cache', 'mae-playground');

function stderrProgress(file: string): ProgressFn {
  let last = 0;
  /** Progress lines are redrawn at most this often, in ms. */
  const PROGRESS_INTERVAL_MS = 200;
  return (loaded, total) => {
    const now = Date.now();
    if (now - last < PROGRESS_INTERVAL_MS && loaded !== total) return;
    last = now;
    const pct = total ? ` (${((100 * loaded) / total).toFixed(0)} %)` : '';
    process.stderr.write(`\rdownloading ${file}: ${(loaded / 1e6).toFixed(1)} MB${pct}   `);
  };
}

/**
 * A hub repository (`hf:org/name[@revision]`, the page's grammar) from $HF_ENDPOINT, through the
 * cache: `<cache>/hub/<endpoint key>/<org>/<name>/<revision>/`. New downloads are written as
 * `.part` files, checked by openCheckpoint, and only then renamed into the cache.
 */
export async function readHubCheckpoint(spec: string): Promise<PickedCheckpoint> {
  const parsed = parseHubInput(spec);
  if (!parsed.ok) throw new UsageError(`--checkpoint ${printable(spec, 120)}: ${parsed.message}`);
  const raw = process.env.HF_ENDPOINT || DEFAULT_HF_ENDPOINT;
  const endpoint = normaliseEndpoint(raw);
  if (!endpoint) throw new UsageError(`HF_ENDPOINT must be an http(s) address such as ${DEFAULT_HF_ENDPOINT}, got "${printable(raw, 120)}"`);
  const ref = { repo: parsed.repo, revision: parsed.revision };
  const dir = path.join(cacheRoot(), 'hub', ...hubCacheSegments(endpoint, ref));
  mkdirSync(dir, { recursive: true });
  const label = `hf:${ref.repo}@${ref.revision}`;

  const cachedWeights = HUB_WEIGHT_FILES.find((f) => existsSync(path.join(dir, f)));
  if (cachedWeights) {
    const files = [await fileOf(path.join(dir, cachedWeights))];
    if (existsSync(path.join(dir, CONFIG_NAME))) files.push(await fileOf(path.join(dir, CONFIG_NAME)));
    return { label, files, notes: [] };
  }
  const parts: string[] = [];
  try {
    const got = await fetchHubFiles(async (file) => {
      const part = path.join(dir, file + PART_SUFFIX);
      const dl = await openDownload(hubFileUrl(endpoint, ref, file), {
        maxBytes: file === HUB_CONFIG_FILE ? MAX_CONFIG_BYTES : MAX_DOWNLOAD_BYTES,
        onProgress: file === HUB_CONFIG_FILE ? undefined : stderrProgress(file),
      });
      parts.push(part);
      try {
        await writeFile(part, Readable.fromWeb(dl.body as unknown as NodeReadableStream<Uint8Array>));
      } catch (e) {
        throw dl.failure(e);
      } finally {
        if (file !== HUB_CONFIG_FILE) process.stderr.write('\n');
      }
      return part;
    });
    // Checked before it enters the cache: a truncated or hostile download is never kept.
    await openCheckpoint(await Promise.all(got.map((g) => fileOf(g.file, g.name))));
    const files: CheckpointFile[] = [];
    for (const g of got) {
      const final = path.join(dir, g.name);
      renameSync(g.file, final);
      files.push(await fileOf(final));
    }
    return { label, files, notes: [] };
  } finally {
    for (const p of parts) rmSync(p, { force: true });
  }
}

/** The checkpoint `--checkpoint` names: a file, a folder, `hf:org/name[@revision]`, or the bundled one. */
export async function readCheckpoint(spec: string | undefined, bundled: string): Promise<PickedCheckpoint> {
  if (spec === undefined) {
    if (!existsSync(bundled)) throw new UsageError('no --checkpoint given and no bundled checkpoint in public/checkpoints/mae-small');
    return { ...(await readCheckpointFolder(bundled)), label: 'bundled mae-small' };
  }
  if (spec.startsWith(HUB_PREFIX)) return readHubCheckpoint(spec);
  if (!existsSync(spec)) throw new UsageError(`no such checkpoint file or folder: ${spec}`);
  return statSync(spec).isDirectory() ? readCheckpointFolder(spec) : readCheckpointFile(spec);
}
