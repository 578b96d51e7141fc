import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

// Cross-origin isolation lets the WASM backend use threads (SharedArrayBuffer).
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** The Emscripten factory tfjs-backend-wasm stringifies into every pthread worker. */
const THREADED_FACTORY = /[\\/]tfjs-backend-wasm[\\/]wasm-out[\\/]tfjs-backend-wasm-threaded-simd\.js$/;
/** Its `_scriptDir` declaration, in the closure around the factory. */
const SCRIPT_DIR_DECL = /var _scriptDir = [^\n]*\n\s*if \(typeof __filename !== 'undefined'\) _scriptDir = _scriptDir \|\| __filename;\n/;
/** The factory's first line. */
const FACTORY_HEAD = 'function(WasmBackendModuleThreadedSimd) {\n';

/**
 * tfjs-backend-wasm starts each pthread worker from `factory.toString()`, so the factory must not
 * use anything from its closure. It reads `_scriptDir` from the closure (behind `typeof` checks,
 * harmless unminified); a minifier renames that variable and drops the checks, and every thread
 * dies with "e is not defined". Moving the declaration into the factory makes it self-contained,
 * so the whole build can be minified. Fails the build if the package's code changes shape.
 */
function selfContainedWasmFactory(): Plugin {
  return {
    name: 'self-contained-tfjs-wasm-factory',
    transform(code, id) {
      if (!THREADED_FACTORY.test(id)) return null;
      const decl = SCRIPT_DIR_DECL.exec(code);
      const head = code.indexOf(FACTORY_HEAD);
      if (!decl || head < decl.index) this.error(`${id}: the _scriptDir declaration or the factory was not found; recheck selfContainedWasmFactory`);
      const at = head + FACTORY_HEAD.length - decl[0].length; // in `rest`, the declaration removed
      const rest = code.slice(0, decl.index) + code.slice(decl.index + decl[0].length);
      return { code: rest.slice(0, at) + decl[0] + rest.slice(at), map: null };
    },
  };
}

export default defineConfig({
  base: './',
  plugins: [react(), selfContainedWasmFactory()],
  server: { headers: isolation },
  preview: { headers: isolation },
  worker: { format: 'es', plugins: () => [selfContainedWasmFactory()] },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096, minify: true },
});
