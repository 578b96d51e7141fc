// Shared fixtures for the checkpoint tests (Node only: reads files with node:fs).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import type { CheckpointFile } from '../../../src/checkpoints/load';
import { bytesSource, type ByteSource } from '../../../src/checkpoints/source';
import type { StoredTensor, TensorEntry } from '../../../src/checkpoints/types';
import { LoadError } from '../../../src/shared/errors';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', '..');
export const GOLDEN = path.join(ROOT, 'tests', 'fixtures', 'golden', 'tiny-p16');
export const FIXTURES = path.join(ROOT, 'tests', 'fixtures', 'checkpoints');

/** File bytes as a Uint8Array. */
export function readBytes(file: string): Uint8Array {
  return new Uint8Array(readFileSync(file));
}

/** A checkpoint file for loadCheckpoint from bytes in memory. */
export function fileFrom(name: string, bytes: Uint8Array): CheckpointFile {
  return { name, blob: new Blob([bytes as BlobPart]) };
}

/** A checkpoint file for loadCheckpoint from disk. */
export function fileOf(file: string, name = path.basename(file)): CheckpointFile {
  return fileFrom(name, readBytes(file));
}

/** The bytes of a checkpoint file (to edit or cut). */
export async function bytesOfFile(f: CheckpointFile): Promise<Uint8Array> {
  return new Uint8Array(await f.blob.arrayBuffer());
}

/** A ByteSource over bytes, for the readers. */
export const sourceOf = (bytes: Uint8Array, name = 'test'): ByteSource => bytesSource(name, bytes);

/** Reads every tensor of a reader's result into memory. */
export async function readAll(tensors: Map<string, TensorEntry>): Promise<Map<string, StoredTensor>> {
  const out = new Map<string, StoredTensor>();
  for (const [name, t] of tensors) out.set(name, { dtype: t.dtype, shape: t.shape, bytes: await t.read() });
  return out;
}

/** The golden case's reference .pth. */
export const goldenPth = (): CheckpointFile => fileOf(path.join(GOLDEN, 'checkpoint.pth'));
/** The golden case's Hugging Face safetensors. */
export const goldenHf = (): CheckpointFile => fileOf(path.join(GOLDEN, 'hf', 'model.safetensors'));
/** The golden case's Hugging Face config.json. */
export const goldenConfig = (): CheckpointFile => fileOf(path.join(GOLDEN, 'hf', 'config.json'));

/** Expected float32 bit patterns written by tools/fixtures/make_checkpoint_fixtures.py. */
export function readExpected(name: string): Map<string, { shape: number[]; data: Float32Array }> {
  const raw = JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as
    Record<string, { shape: number[]; bits: number[] }>;
  return new Map(Object.entries(raw).map(([k, v]) =>
    [k, { shape: v.shape, data: new Float32Array(Uint32Array.from(v.bits).buffer) }]));
}

/** Bit-exact equality of two float32 arrays (so NaN == NaN and -0 != 0). */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return ua.every((v, i) => v === ub[i]);
}

/** Wraps pickle bytes in a PyTorch-style zip (stored, `<top>/data.pkl` plus storages). */
export function torchZip(pkl: Uint8Array, storages: Record<string, Uint8Array> = {}, top = 'archive'): Uint8Array {
  const files: Record<string, [Uint8Array, { level: 0 }]> = {
    [`${top}/data.pkl`]: [pkl, { level: 0 }],
    [`${top}/version`]: [new TextEncoder().encode('3\n'), { level: 0 }],
  };
  for (const [k, v] of Object.entries(storages)) files[`${top}/data/${k}`] = [v, { level: 0 }];
  return zipSync(files);
}

/** Concatenates byte chunks; numbers are single bytes, strings are latin-1. */
export function bytesOf(...parts: (number | string | Uint8Array)[]): Uint8Array {
  const chunks = parts.map((p) => typeof p === 'number' ? Uint8Array.of(p)
    : typeof p === 'string' ? Uint8Array.from(p, (c) => c.charCodeAt(0)) : p);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Runs `f` and reports false when it threw (or rejected with) something other than a LoadError. */
export async function onlyLoadErrors(f: () => unknown): Promise<boolean> {
  try {
    await f();
    return true;
  } catch (e) {
    return e instanceof LoadError;
  }
}

/** The LoadError `p` rejects with (fails the test when it resolves or rejects with anything else). */
export async function loadErrorOf(p: Promise<unknown>): Promise<LoadError> {
  const e = await p.then(() => null, (err: unknown) => err);
  if (!(e instanceof LoadError)) throw new Error(`expected a LoadError, got ${e === null ? 'success' : String(e)}`);
  return e;
}
