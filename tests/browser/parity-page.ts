// Runs a golden case in the browser on a chosen backend; the result lands on window.__parity.
// Query: ?case=<url of the case folder>&layout=pth|hf&backend=webgpu|webgl|wasm|cpu&tol=<abs tolerance>
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { runGoldenCase, type Layout } from '../../tools/lib/golden';
import { selectBackend } from '../../src/worker/backend';
import type { BackendName } from '../../src/protocol/messages';

const q = new URLSearchParams(location.search);
const base = q.get('case')!.replace(/\/?$/, '/');
const out = document.getElementById('out')!;
const w = window as unknown as { __parity?: unknown };

(async () => {
  try {
    const { backend } = await selectBackend(q.get('backend') as BackendName, { strict: true });
    const read = async (rel: string) => {
      const res = await fetch(base + rel);
      return res.ok ? new Uint8Array(await res.arrayBuffer()) : null;
    };
    const tol = q.has('tol') ? Number(q.get('tol')) : undefined;
    const report = await runGoldenCase(base.split('/').filter(Boolean).pop()!, read, q.get('layout') as Layout, tol);
    w.__parity = { ...report, requested: backend, numTensors: tf.memory().numTensors };
  } catch (e) {
    w.__parity = { error: (e as Error).message };
  }
  out.textContent = JSON.stringify(w.__parity);
})();
