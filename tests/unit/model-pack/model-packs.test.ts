/**
 * Every pack listed in public/models/index.json, loaded from disk exactly as the app loads it:
 * manifest validation, size and SHA-256 of every file (src/model-pack), Pillow-exact
 * preprocessing (src/imaging), TF.js LayersModel on the wasm backend. Each modality must
 * reproduce its golden logits within the tolerance its golden.json documents:
 * |got − want| ≤ abs + rel·|want|, with want = the exporter's logits for the weights as stored
 * (dequantized when uint8/float16), so quantized packs are held to the same float32 tolerance.
 */

import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parsePackIndex } from '../../../src/model-pack/index-file';
import { packModalities } from '../../../src/model-pack/manifest';
import { checkGolden, initBackend, loadPackFromDisk } from '../../../scripts/pack-logits';
import { WasmConvolution } from '../../../src/runtime/conv/convolution';
import { loadKernelsFromDisk } from '../runtime/helpers';

const MODELS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../public/models');
const SHARD_LIMIT = 2 * 1024 * 1024;

const index = parsePackIndex(JSON.parse(await readFile(join(MODELS, 'index.json'), 'utf8')));

describe('bundled model packs (public/models)', () => {
  beforeAll(async () => {
    expect(await initBackend()).toBe('wasm');
  });

  it('index names a default pack that exists', () => {
    expect(index.packs.map((p) => p.id)).toContain(index.default);
  });

  for (const entry of index.packs) {
    describe(entry.id, () => {
      const manifestPath = join(MODELS, entry.path);

      it('verifies every file and reproduces the golden logits with TF.js', async () => {
        const pack = await loadPackFromDisk(manifestPath);
        expect(pack.manifest.id).toBe(entry.id);
        const modalities = packModalities(pack.manifest);
        expect(modalities.length).toBeGreaterThan(0);
        for (const f of pack.manifest.files) {
          if (f.path.endsWith('.bin')) expect(f.bytes).toBeLessThanOrEqual(SHARD_LIMIT);
          expect((await stat(join(dirname(manifestPath), f.path))).size).toBe(f.bytes);
        }
        const results = await checkGolden(pack, manifestPath);
        for (const m of modalities) {
          if (pack.manifest.modalities[m]!.golden) expect(results.some((r) => r.modality === m)).toBe(true);
        }
        for (const r of results) {
          expect(r.excess, `${r.modality}/${r.name}: got ${r.got.join(', ')}, want ${r.want.join(', ')}`).toBeLessThanOrEqual(0);
        }
      });

      it("reproduces the golden logits with the app's own wasm convolution kernels", async () => {
        const pack = await loadPackFromDisk(manifestPath);
        const conv = await WasmConvolution.install({ load: loadKernelsFromDisk, threads: 1 });
        try {
          const before = { ...conv.calls };
          const results = await checkGolden(pack, manifestPath, {
            built: (model) => conv.prepare(model),
            disposing: (model) => conv.release(model),
          });
          expect(results.length).toBeGreaterThan(0);
          for (const r of results) {
            expect(r.excess, `${r.modality}/${r.name}: got ${r.got.join(', ')}, want ${r.want.join(', ')}`).toBeLessThanOrEqual(
              0,
            );
          }
          // The 3×3 stride-1 layers ran by Winograd, the stem, strided and 1×1 layers by the direct kernel.
          expect(conv.calls.winograd).toBeGreaterThan(before.winograd);
          expect(conv.calls.direct).toBeGreaterThan(before.direct);
          expect(conv.filterBytes).toBe(0);
        } finally {
          conv.uninstall();
        }
      });

      it('is honest about what it is', async () => {
        const pack = await loadPackFromDisk(manifestPath);
        const { manifest } = pack;
        if (!manifest.fixture && /simulated|phantom/i.test(manifest.title)) {
          expect(manifest.disclaimer).toMatch(/simulated/i);
          expect(manifest.disclaimer).toMatch(/not for diagnosis/i);
        }
        for (const metric of manifest.metrics) expect(metric.split).toBe('test');
      });
    });
  }
});
