import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Cross-origin isolation lets the WASM backend use threads (SharedArrayBuffer).
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  base: './',
  plugins: [react()],
  server: { headers: isolation },
  preview: { headers: isolation },
  worker: { format: 'es' },
  // No minification: tfjs-backend-wasm starts its pthread workers from the stringified factory
  // function, which breaks once the bundle is minified ("e is not defined" in every thread).
  build: { target: 'es2022', chunkSizeWarningLimit: 4096, minify: false },
});
