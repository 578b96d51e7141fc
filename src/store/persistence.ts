// Where the session survives a reload: the original file of every picture (its Blob and name),
// painted masks and the settings, in IndexedDB through idb-keyval. A memory version serves tests.
import { createStore, del, get, getMany, set, setMany, delMany, type UseStore } from 'idb-keyval';
import type { Settings } from './settings';

export interface StoredImage {
  key: string;
  name: string;
  blob: Blob;
  addedAt: number;
  /** The painted mask, 1 = masked, one entry per patch; absent until painted. */
  paintedMask?: Uint8Array | null;
  /** The bundled sample's file name, when the picture is one. */
  sample?: string | null;
}

export interface StoredSession {
  settings: Partial<Record<keyof Settings, unknown>> | null;
  /** In the order they were added. */
  images: StoredImage[];
}

export interface Persistence {
  load(): Promise<StoredSession>;
  putImage(img: StoredImage): Promise<void>;
  setPaintedMask(key: string, mask: Uint8Array | null): Promise<void>;
  deleteImage(key: string): Promise<void>;
  clearImages(): Promise<void>;
  saveSettings(s: Settings): Promise<void>;
}

const ORDER = 'imageKeys';
const SETTINGS = 'settings';
const imageId = (key: string) => `image:${key}`;

/** Persistence in IndexedDB (database `mae-playground`, store `session`). */
export function idbPersistence(dbName = 'mae-playground', storeName = 'session'): Persistence {
  let db: UseStore | null = null;
  const store = () => (db ??= createStore(dbName, storeName));
  // One chain, so that writes land in the order they were made (order list updates are read-modify-write).
  let chain: Promise<unknown> = Promise.resolve();
  const queue = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };
  const readOrder = async () => ((await get<string[]>(ORDER, store())) ?? []).filter((k) => typeof k === 'string');

  return {
    async load() {
      const [settings, order] = await Promise.all([get(SETTINGS, store()), readOrder()]);
      const records = order.length ? await getMany<StoredImage | undefined>(order.map(imageId), store()) : [];
      const images = records.filter((r): r is StoredImage => !!r && typeof r.key === 'string' && r.blob instanceof Blob);
      return { settings: settings && typeof settings === 'object' ? settings : null, images };
    },
    putImage: (img) => queue(async () => {
      const order = await readOrder();
      await setMany([[imageId(img.key), img], [ORDER, order.includes(img.key) ? order : [...order, img.key]]], store());
    }),
    setPaintedMask: (key, mask) => queue(async () => {
      const rec = await get<StoredImage>(imageId(key), store());
      if (rec) await set(imageId(key), { ...rec, paintedMask: mask }, store());
    }),
    deleteImage: (key) => queue(async () => {
      const order = await readOrder();
      await del(imageId(key), store());
      await set(ORDER, order.filter((k) => k !== key), store());
    }),
    clearImages: () => queue(async () => {
      const order = await readOrder();
      await delMany(order.map(imageId), store());
      await set(ORDER, [], store());
    }),
    saveSettings: (s) => queue(() => set(SETTINGS, { ...s }, store())),
  };
}

/** Persistence in memory (tests; or a browser whose IndexedDB is unavailable). */
export function memoryPersistence(initial?: Partial<StoredSession>): Persistence & { snapshot(): StoredSession } {
  let settings = initial?.settings ?? null;
  const images = new Map<string, StoredImage>((initial?.images ?? []).map((i) => [i.key, i]));
  const snapshot = (): StoredSession => ({ settings: settings ? { ...settings } : null, images: [...images.values()].map((i) => ({ ...i })) });
  return {
    snapshot,
    load: async () => snapshot(),
    putImage: async (img) => void images.set(img.key, { ...img }),
    setPaintedMask: async (key, mask) => {
      const rec = images.get(key);
      if (rec) images.set(key, { ...rec, paintedMask: mask });
    },
    deleteImage: async (key) => void images.delete(key),
    clearImages: async () => images.clear(),
    saveSettings: async (s) => void (settings = { ...s }),
  };
}
