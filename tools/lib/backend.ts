// TF.js backends for Node (tests, command line, benchmarks): cpu and wasm, with the wasm
// binaries read from the installed package, so nothing is downloaded.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Backends available in Node. */
export type NodeBackend = 'cpu' | 'wasm';

let wasmPathsSet = false;

/** Selects a backend and checks that it really is active (setBackend resolves false on failure). */
export async function useBackend(name: NodeBackend): Promise<void> {
  if (name === 'wasm' && !wasmPathsSet) {
    const require = createRequire(import.meta.url);
    const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    setWasmPaths(path.join(dir, 'dist') + path.sep);
    wasmPathsSet = true;
  }
  // PROD silences tfjs's "install tfjs-node" banner, so commands print only their own output.
  tf.env().set('PROD', true);
  const ok = await tf.setBackend(name);
  await tf.ready();
  if (!ok || tf.getBackend() !== name) {
    throw new Error(`could not start the ${name} backend (active: ${tf.getBackend()})`);
  }
}
