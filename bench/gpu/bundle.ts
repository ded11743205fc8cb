/**
 * Bundles a test or benchmark page (one TypeScript entry importing tfjs and the app's runtime
 * modules) into `outDir/page.js` with Vite's library build, plus an `index.html` that loads it.
 * Used by bench/gpu/layers.ts and tests/browser/webgpu-conv.spec.ts; the app's own pages are built
 * by vite.config.ts and bench/vite.config.ts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';

export async function bundlePage(entry: string, outDir: string): Promise<void> {
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: true,
      // Readable stack traces when a page fails; these pages are never shipped.
      minify: false,
      lib: { entry, formats: ['es'], fileName: () => 'page.js' },
    },
  });
  writeFileSync(
    join(outDir, 'index.html'),
    '<!doctype html><meta charset="utf-8"><script type="module" src="page.js"></script>\n',
  );
}
