// Fine-tuned checkpoints kept in this browser: the Hugging Face files (config.json, model.safetensors)
// as Blobs with a training summary, in IndexedDB through idb-keyval (a database of their own, so
// the session's never grows with them). A memory version serves tests.
import { createStore, delMany, getMany, keys, setMany, type UseStore } from 'idb-keyval';
import type { CheckpointSource } from '../protocol/messages';

/** What the picker shows of a kept checkpoint: where it came from and how it was trained. */
export interface SavedCheckpointMeta {
  id: string;
  /** The name the picker and the status bar give it. */
  label: string;
  /** The checkpoint it was fine-tuned from. */
  base: string;
  steps: number;
  /** Pictures trained on. */
  images: number;
  batchSize: number;
  /** The loss of the last step, null when unknown. */
  finalLoss: number | null;
  /** Date.now() when it was saved. */
  savedAt: number;
  /** Size of its files, in bytes. */
  bytes: number;
}

/** The file names a kept checkpoint loads as (the Hugging Face layout). */
export const SAVED_CONFIG_NAME = 'config.json';
export const SAVED_WEIGHTS_NAME = 'model.safetensors';

/** A kept checkpoint's id: letters, digits, - and _ (it travels in links as `saved:<id>`). */
export const SAVED_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

export interface SavedCheckpoints {
  /** Every kept checkpoint, newest first. */
  list(): Promise<SavedCheckpointMeta[]>;
  /** A kept checkpoint's files, null when there is none by that id. */
  files(id: string): Promise<{ meta: SavedCheckpointMeta; config: Blob; weights: Blob } | null>;
  put(meta: SavedCheckpointMeta, config: Blob, weights: Blob): Promise<void>;
  remove(id: string): Promise<void>;
}

/** The source that loads a kept checkpoint (its two Blobs: nothing is read until the worker does). */
export function savedSource(meta: SavedCheckpointMeta, config: Blob, weights: Blob): CheckpointSource {
  return {
    kind: 'files', label: meta.label, savedId: meta.id,
    files: [{ name: SAVED_CONFIG_NAME, blob: config }, { name: SAVED_WEIGHTS_NAME, blob: weights }],
  };
}

const isMeta = (v: unknown): v is SavedCheckpointMeta => {
  const m = v as SavedCheckpointMeta | null;
  return !!m && typeof m.id === 'string' && SAVED_ID_RE.test(m.id) && typeof m.label === 'string'
    && typeof m.steps === 'number' && typeof m.savedAt === 'number';
};
const newestFirst = (a: SavedCheckpointMeta, b: SavedCheckpointMeta) => b.savedAt - a.savedAt;

const META = 'meta:';
const FILES = 'files:';

/** Kept checkpoints in IndexedDB (database `mae-playground-finetuned`, store `checkpoints`). */
export function idbSavedCheckpoints(dbName = 'mae-playground-finetuned', storeName = 'checkpoints'): SavedCheckpoints {
  let db: UseStore | null = null;
  const store = () => (db ??= createStore(dbName, storeName));
  return {
    async list() {
      const metaKeys = (await keys(store())).filter((k): k is string => typeof k === 'string' && k.startsWith(META));
      const metas = await getMany<unknown>(metaKeys, store());
      return metas.filter(isMeta).sort(newestFirst);
    },
    async files(id) {
      const [meta, files] = await getMany<unknown>([META + id, FILES + id], store());
      const f = files as { config?: unknown; weights?: unknown } | undefined;
      if (!isMeta(meta) || !(f?.config instanceof Blob) || !(f.weights instanceof Blob)) return null;
      return { meta, config: f.config, weights: f.weights };
    },
    put: (meta, config, weights) => setMany([[FILES + meta.id, { config, weights }], [META + meta.id, meta]], store()),
    remove: (id) => delMany([META + id, FILES + id], store()),
  };
}

/** Kept checkpoints in memory (tests; a browser without IndexedDB keeps them until the page closes). */
export function memorySavedCheckpoints(): SavedCheckpoints {
  const kept = new Map<string, { meta: SavedCheckpointMeta; config: Blob; weights: Blob }>();
  return {
    list: async () => [...kept.values()].map((k) => ({ ...k.meta })).sort(newestFirst),
    files: async (id) => kept.get(id) ?? null,
    put: async (meta, config, weights) => void kept.set(meta.id, { meta: { ...meta }, config, weights }),
    remove: async (id) => void kept.delete(id),
  };
}

