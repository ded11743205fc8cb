/**
 * Every bundled pack with a node finder: its files verified (size, SHA-256) and its golden outputs
 * reproduced by the app's own path (imaging's finderInput, runtime's NodeFinderModel, imaging's
 * geometry) with TF.js on the wasm backend, and again with the app's WASM convolution kernels.
 */

import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkFinderGolden, goldenPassed, loadFinderPack } from '../../../scripts/node-finder-check';
import { initBackend } from '../../../scripts/pack-logits';
import { parsePackIndex } from '../../../src/model-pack/index-file';
import { parseManifest } from '../../../src/model-pack/manifest';
import { WasmConvolution } from '../../../src/runtime/conv/convolution';
import { loadKernelsFromDisk } from '../runtime/helpers';

const MODELS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../public/models');
const index = parsePackIndex(JSON.parse(await readFile(join(MODELS, 'index.json'), 'utf8')));
const withFinder: typeof index.packs = [];
for (const entry of index.packs) {
  const manifest = parseManifest(JSON.parse(await readFile(join(MODELS, entry.path), 'utf8')));
  if (manifest.nodeFinder) withFinder.push(entry);
}

describe('bundled node finders', () => {
  beforeAll(async () => {
    expect(await initBackend()).toBe('wasm');
  });

  it('the default pack has one and declares its crop convention', async () => {
    const def = parseManifest(JSON.parse(await readFile(join(MODELS, index.default, 'manifest.json'), 'utf8')));
    expect(def.nodeFinder).toBeDefined();
    expect(def.crop).toEqual({ kind: 'node-box-margin', margin: 0.235 });
  });

  for (const entry of withFinder) {
    it(`${entry.id}: reproduces the golden outputs with TF.js (wasm)`, async () => {
      const path = join(MODELS, entry.path);
      const before = tf.memory().numTensors;
      const results = await checkFinderGolden(await loadFinderPack(path), path);
      expect(results.length).toBeGreaterThanOrEqual(2);
      for (const r of results) {
        expect(r.excess, r.name).toBeLessThanOrEqual(0);
        expect(r.gotBox, r.name).toEqual(r.wantBox);
      }
      expect(goldenPassed(results)).toBe(true);
      expect(tf.memory().numTensors).toBe(before); // built, run and freed
      console.info(`${entry.id} finder: ${results.map((r) => `${r.name} ${r.ms.toFixed(0)} ms`).join(', ')}`);
    });

    it(`${entry.id}: reproduces them with the app's own wasm convolution kernels`, async () => {
      const path = join(MODELS, entry.path);
      const conv = await WasmConvolution.install({ load: loadKernelsFromDisk, threads: 1 });
      try {
        const before = { ...conv.calls };
        const results = await checkFinderGolden(await loadFinderPack(path), path, {
          built: (model) => conv.prepare(model),
          disposing: (model) => conv.release(model),
        });
        expect(goldenPassed(results), JSON.stringify(results)).toBe(true);
        expect(conv.calls.winograd).toBeGreaterThan(before.winograd); // its 3×3 layers with Cout % 8 = 0
        expect(conv.filterBytes).toBe(0);
      } finally {
        conv.uninstall();
      }
    });
  }
});
