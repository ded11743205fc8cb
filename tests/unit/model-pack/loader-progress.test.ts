/** The loader's progress: bytes downloaded and verified, of the total the models take, ending at 100 %. */
import { describe, expect, it } from 'vitest';
import { loadManifest, loadPack, modelBytes } from '../../../src/model-pack';
import { diskFetch, fixtureManifestUrl } from '../runtime/helpers';

describe('pack loader progress', () => {
  it('counts verified bytes up to the models’ total, which it reaches exactly', async () => {
    const url = await fixtureManifestUrl();
    const manifest = await loadManifest(url, diskFetch);
    const seen: [number, number][] = [];
    const pack = await loadPack(url, { fetchFn: diskFetch, onProgress: (l, t) => seen.push([l, t]) });
    const total = modelBytes(manifest, ['bmode', 'cdfi', 'elastography']);
    // Fewer bytes than the whole pack (the model card and golden files are not loaded)…
    expect(total).toBeLessThanOrEqual(manifest.files.reduce((n, f) => n + f.bytes, 0));
    expect(seen.length).toBeGreaterThan(3);
    for (const [i, [l, t]] of seen.entries()) {
      expect(t).toBe(total);
      expect(l).toBeLessThanOrEqual(t);
      if (i > 0) expect(l).toBeGreaterThan(seen[i - 1]![0]);
    }
    // …and exactly what was fetched: the bar ends full.
    const weights = Object.values(pack.models).reduce((n, m) => n + m.weightData.byteLength, 0);
    expect(seen[seen.length - 1]![0]).toBe(total);
    expect(total).toBeGreaterThan(weights);
  });

  it('one modality’s total is its own model’s bytes', async () => {
    const url = await fixtureManifestUrl();
    const manifest = await loadManifest(url, diskFetch);
    const parts = (['bmode', 'cdfi', 'elastography'] as const).map((m) => modelBytes(manifest, [m]));
    expect(parts.every((b) => b > 0)).toBe(true);
    expect(parts.reduce((a, b) => a + b)).toBe(modelBytes(manifest, ['bmode', 'cdfi', 'elastography']));
  });
});
