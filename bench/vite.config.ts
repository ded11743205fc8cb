import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The benchmark page: a second, small Vite build that bundles the app's real runtime client and
 * inference worker (src/runtime/client.ts → worker.ts) exactly as the app does (ablations: bench-worker.ts). ONNX Runtime Web is
 * not bundled: the page imports it at run time from /ort/, served from node_modules by bench/run.ts.
 */
export const BENCH_OUT_DIR = fileURLToPath(new URL('../node_modules/.cache/lymphscope-bench/dist', import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('./page', import.meta.url)),
  base: './',
  logLevel: 'warn',
  worker: {
    format: 'es',
    // As the app's vite.config.ts: the threaded wasm backend starts its pthreads from the
    // stringified emscripten factory, which must survive bundling unchanged (whitespace only).
    rolldownOptions: { output: { minify: { compress: false, mangle: false, codegen: { removeWhitespace: true } } } },
  },
  build: {
    outDir: BENCH_OUT_DIR,
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 8192,
    // WebAssembly stays a file, never a data: URL: the CSP and the precache expect served files.
    assetsInlineLimit: (file: string) => (file.endsWith('.wasm') ? false : undefined),
  },
});
