// The page's fitter: the decode worker where it can run, this thread where it cannot.
import type { ResizeMode } from '../../protocol/messages';
import type { DecodedImage } from '../../store/types';
import { DecodeFailure, type Fitter } from './decode';
import type { DecodeJob, DecodeReply } from './decode.worker';
import { fitBlob } from './fit';

export function createBrowserFitter(): Fitter {
  let worker: Worker | null | undefined;
  let nextId = 1;
  const pending = new Map<number, { resolve: (r: DecodedImage) => void; reject: (e: unknown) => void }>();

  const giveUp = (why: string) => {
    worker?.terminate();
    worker = null;
    for (const p of pending.values()) p.reject(new DecodeFailure('unsupported', why));
    pending.clear();
  };

  const getWorker = (): Worker | null => {
    if (worker !== undefined) return worker;
    try {
      worker = new Worker(new URL('./decode.worker.ts', import.meta.url), { type: 'module', name: 'image-decode' });
    } catch {
      worker = null;
      return null;
    }
    worker.onmessage = (e: MessageEvent<DecodeReply>) => {
      const r = e.data;
      const p = pending.get(r.id);
      if (!p) return;
      pending.delete(r.id);
      if (r.ok) p.resolve({ rgba: { width: r.width, height: r.height, data: r.data }, sourceWidth: r.sourceWidth, sourceHeight: r.sourceHeight });
      else p.reject(new DecodeFailure(r.kind, r.message));
    };
    worker.onerror = (e) => {
      e.preventDefault();
      giveUp(`the decode worker failed (${e.message || 'no message'})`);
    };
    return worker;
  };

  const inWorker = (w: Worker, blob: Blob, size: number, mode: ResizeMode, patch: number) => new Promise<DecodedImage>((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    const job: DecodeJob = { id, blob, size, mode, patch };
    w.postMessage(job);
  });

  return async (blob, size, mode, patch) => {
    const w = getWorker();
    if (w) {
      try {
        return await inWorker(w, blob, size, mode, patch);
      } catch (e) {
        if (!(e instanceof DecodeFailure && e.kind === 'unsupported')) throw e;
        // The worker cannot decode here (no OffscreenCanvas): use this thread from now on.
        if (worker) giveUp('unsupported');
      }
    }
    return fitBlob(blob, size, mode, patch);
  };
}
