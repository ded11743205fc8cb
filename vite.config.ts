import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';

// Relative base so the built app works from any sub-path of a static host.
export default defineConfig({
  base: './',
  plugins: [
    svelte(),
    // Offline app: src/pwa/sw.ts precaches the app shell, the tfjs WASM binaries and every file of the
    // bundled model pack (public/models/**); see docs/privacy.md.
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src/pwa',
      filename: 'sw.ts',
      registerType: 'prompt',
      injectRegister: false, // src/pwa/register.ts registers it (with update prompts)
      includeManifestIcons: false, // the glob below already holds them
      manifest: {
        name: 'LymphScope — cervical lymph node ultrasound',
        short_name: 'LymphScope',
        description: 'Decision support for cervical lymph node ultrasound, computed on this device. Works offline.',
        theme_color: '#0f4c5c',
        background_color: '#f4f1ea',
        display: 'standalone',
        start_url: './',
        scope: './',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: 'favicon.svg', sizes: 'any', type: 'image/svg+xml' },
        ],
      },
      injectManifest: {
        rollupFormat: 'iife',
        globPatterns: ['**/*.{html,js,css,wasm,svg,png,ico}', 'models/**/*'],
        // The tfjs bundle and WASM binaries exceed Workbox's 2 MiB default; model shards are ≤ 2 MiB each.
        maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
      },
    }),
  ],
  worker: {
    format: 'es',
    // Whitespace-only minification for the workers: tfjs's threaded wasm backend starts its pthread
    // workers from the stringified emscripten factory, which renamed identifiers would break
    // (src/runtime/backends/wasm.ts enables wasm threads on cross-origin-isolated pages).
    rolldownOptions: { output: { minify: { compress: false, mangle: false, codegen: { removeWhitespace: true } } } },
  },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    // WebAssembly stays a file, never a data: URL: the CSP and the precache expect served files.
    assetsInlineLimit: (file: string) => (file.endsWith('.wasm') ? false : undefined),
  },
  server: {
    headers: {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    },
  },
});
