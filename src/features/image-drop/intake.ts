// Files out of drop and paste events (pure enough to test with plain objects).

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
