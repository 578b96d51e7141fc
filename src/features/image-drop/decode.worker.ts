// Decoding off the page's thread: the decode worker fits one blob per message.
import type { ResizeMode } from '../../protocol/messages';
import { DecodeFailure } from './decode';
import { canFitHere, fitBlob } from './fit';

export interface DecodeJob { id: number; blob: Blob; size: number; mode: ResizeMode; patch: number }
export type DecodeReply =
  | { id: number; ok: true; data: Uint8ClampedArray; width: number; height: number; sourceWidth: number; sourceHeight: number }
  | { id: number; ok: false; kind: DecodeFailure['kind']; message: string };

const post = (msg: DecodeReply, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(msg, transfer);

self.onmessage = async (e: MessageEvent<DecodeJob>) => {
  const { id, blob, size, mode, patch } = e.data;
  if (!canFitHere() || typeof OffscreenCanvas === 'undefined') {
    post({ id, ok: false, kind: 'unsupported', message: 'no OffscreenCanvas in workers' });
    return;
  }
  try {
    const r = await fitBlob(blob, size, mode, patch);
    const data = r.rgba.data;
    post({ id, ok: true, data, width: r.rgba.width, height: r.rgba.height, sourceWidth: r.sourceWidth, sourceHeight: r.sourceHeight }, [data.buffer as ArrayBuffer]);
  } catch (err) {
    const kind = err instanceof DecodeFailure ? err.kind : 'decode';
    post({ id, ok: false, kind, message: (err as Error)?.message || String(err) });
  }
};
