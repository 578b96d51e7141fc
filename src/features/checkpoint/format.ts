import type { ModelInfo } from '../../protocol/messages';

/** Parameter count, short: 111.9 M, 320 k. */
export function formatParams(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)} k`;
  return String(n);
}

/** One line about the architecture. */
export function describeModel(info: ModelInfo): string {
  const g = info.imgSize / info.patchSize;
  return `ViT ${info.depth}×${info.embedDim} encoder, ${info.decoderDepth}×${info.decoderEmbedDim} decoder · `
    + `${formatParams(info.parameters)} params · ${info.imgSize} px, ${info.patchSize} px patches (${g}×${g})`
    + (info.normPixLoss ? ' · normalised-pixel targets' : '');
}

/** Bytes, short, in decimal units as download sites show them: 448 MB, 1.32 GB. */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n) || n < 0) return '—';
  if (n < 1000) return `${Math.round(n)} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[u]}`;
}

/** A download rate: 12.3 MB/s. */
export function formatRate(bytesPerS: number | null | undefined): string {
  if (bytesPerS === null || bytesPerS === undefined || !Number.isFinite(bytesPerS) || bytesPerS < 0) return '—';
  return `${formatBytes(bytesPerS)}/s`;
}

/** Time left: 8 s, 3 min 05 s, 1 h 04 min. */
export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** Percent done, whole, or null when the total is unknown. */
export function percentOf(loaded: number, total: number | null): number | null {
  if (total === null || !(total > 0)) return null;
  return Math.max(0, Math.min(100, Math.floor((100 * loaded) / total)));
}
