// Files out of drop and paste events (pure enough to test with plain objects), and where they go:
// checkpoint files to the checkpoint loader, everything else to the pictures.
import { isCheckpointName, isConfigName } from '../../store/slot';

export interface FileLike { name: string; type: string; size: number }

interface ItemLike { kind: string; type: string; getAsFile(): File | null }
interface TransferLike { files?: ArrayLike<File> | null; items?: ArrayLike<ItemLike> | null; types?: ArrayLike<string> | null }

/** Whether a drag carries files (not text or a link). */
export function dragHasFiles(dt: TransferLike | null | undefined): boolean {
  return !!dt?.types && Array.from(dt.types).includes('Files');
}

/** The files of a drop or paste; pasted screenshots get a readable name. */
export function filesFromTransfer(dt: TransferLike | null | undefined, now: () => number = Date.now): { name: string; blob: Blob }[] {
  if (!dt) return [];
  let files = Array.from(dt.files ?? []);
  if (!files.length && dt.items) {
    files = Array.from(dt.items).filter((i) => i.kind === 'file').map((i) => i.getAsFile()).filter((f): f is File => !!f);
  }
  return files.map((f, i) => ({ name: pastedName(f, now() + i), blob: f }));
}

/** Clipboard images are often all called "image.png": give them a time stamp. */
function pastedName(f: File, t: number): string {
  if (f.name && f.name !== 'image.png') return f.name;
  const ext = f.type.startsWith('image/') ? f.type.slice(6).replace('jpeg', 'jpg').replace(/[^a-z0-9]/g, '') : 'png';
  const stamp = new Date(t).toISOString().slice(0, 19).replace(/[:T]/g, '-');
  return `pasted-${stamp}.${ext || 'png'}`;
}

/** Whether a paste is aimed at a text field (then text is left alone). */
export function isTextTarget(t: EventTarget | null): boolean {
  const el = t as { tagName?: string; isContentEditable?: boolean } | null;
  return !!el && (el.isContentEditable === true || el.tagName === 'INPUT' || el.tagName === 'TEXTAREA');
}

/** Files split by where they go: weights (.safetensors, .pth, .pt, .bin) and a config.json to the checkpoint loader, the rest to the pictures. */
export function routeFiles<T extends { name: string }>(files: readonly T[]): { images: T[]; checkpoint: T[] } {
  const images: T[] = [];
  const checkpoint: T[] = [];
  for (const f of files) (isCheckpointName(f.name) || isConfigName(f.name) ? checkpoint : images).push(f);
  return { images, checkpoint };
}

/** What the store does with dropped, pasted or picked files. */
export interface FileSink {
  addFiles(files: { name: string; blob: Blob }[]): Promise<void>;
  slotApi: { A: { loadFiles(files: { name: string; blob: Blob }[]): Promise<boolean> } };
}

/** Sends files where they belong; returns what went where. */
export function intakeFiles(sink: FileSink, files: { name: string; blob: Blob }[]): { images: number; checkpoint: number } {
  const { images, checkpoint } = routeFiles(files);
  if (images.length) void sink.addFiles(images);
  if (checkpoint.length) void sink.slotApi.A.loadFiles(checkpoint);
  return { images: images.length, checkpoint: checkpoint.length };
}
