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
