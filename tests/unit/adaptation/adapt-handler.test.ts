/**
 * The adaptation worker's work on a real pack: features computed by the runtime's `features`
 * request, the pack's own head read back from its (quantised or float) shards, cross-validated
 * re-fitting, and a new pack version that passes every pack check. No stand-ins.
 */

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAdaptHandler, logitsOf, readHead, type AdaptResponse } from '../../../src/adaptation';
import { pathToFileURL } from 'node:url';
import { loadManifest, loadPack, loadPackFile } from '../../../src/model-pack';
import { InferenceEngine } from '../../../src/runtime/engine';
import { checkPackFiles } from '../../../src/torch-import';
import { diskFetch, fixtureManifestUrl, loadFixturePack, randomPixels } from '../runtime/helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('adaptation handler', () => {
  it("reads the pack's head so that it reproduces the model's logits from the pooled features", async () => {
    const url = await fixtureManifestUrl();
    const manifest = await loadManifest(url, diskFetch);
    const files = new Map<string, Uint8Array>();
    for (const f of manifest.files) files.set(f.path, new Uint8Array(await loadPackFile(url, manifest, f.path, diskFetch)));
    const engine = new InferenceEngine();
    await engine.init(await loadFixturePack(), 'cpu');
    for (const modality of ['bmode', 'cdfi'] as const) {
      const head = readHead(files, manifest.modalities[modality]!.model);
      const { features, logits } = await engine.features(modality, randomPixels(64, 48, 3));
      expect(features.length).toBe(head.inDim);
      logitsOf(head, features).forEach((v, i) => expect(v).toBeCloseTo(logits[i]!, 3));
    }
    await engine.dispose();
  });

  it("reads the demonstration pack's uint8-quantised head as the runtime dequantises it", async () => {
    const url = pathToFileURL('public/models/lymphscope-demo-r18/manifest.json').href;
    const manifest = await loadManifest(url, diskFetch);
    const spec = manifest.modalities.bmode!;
    const files = new Map<string, Uint8Array>();
    for (const f of manifest.files.filter((x) => x.path.startsWith('bmode/') && !x.path.includes('golden')))
      files.set(f.path, new Uint8Array(await loadPackFile(url, manifest, f.path, diskFetch)));
    const head = readHead(files, spec.model);
    expect([head.inDim, head.numClasses]).toEqual([512, 3]);
    const engine = new InferenceEngine();
    await engine.init(await loadPack(url, { fetchFn: diskFetch, modalities: ['bmode'] }), 'cpu');
    const { features, logits } = await engine.features('bmode', randomPixels(64, 64, 11));
    logitsOf(head, features).forEach((v, i) => expect(v).toBeCloseTo(logits[i]!, 3));
    await engine.dispose();
  }, 120_000);

  it('re-fits with grouped folds and returns a checked new pack version; refuses malformed requests', async () => {
    const url = await fixtureManifestUrl();
    const engine = new InferenceEngine();
    await engine.init(await loadFixturePack(), 'cpu');
    const features: Float32Array[] = [];
    const labels: number[] = [];
    const patients: string[] = [];
    for (let i = 0; i < 30; i++) {
      // Class-dependent brightness: a signal the re-fitted head can use.
      const px = randomPixels(40, 40, i + 1);
      const k = i % 3;
      for (let j = 0; j < px.data.length; j += 4) px.data[j] = Math.min(255, px.data[j]! * 0.3 + 80 * k);
      features.push((await engine.features('bmode', px)).features);
      labels.push(k);
      patients.push(`p${i >> 1}`);
    }
    await engine.dispose();
    const replies: AdaptResponse[] = [];
    const handle = createAdaptHandler(
      (r) => replies.push(r),
      diskFetch,
      () => new Date('2026-11-30T17:00:00Z'),
    );
    await handle({
      type: 'adapt',
      id: 1,
      manifestUrl: url,
      modality: 'bmode',
      features,
      labels,
      patients,
      dataset: 'test',
      resamples: 50,
    });
    const r = replies[0]!;
    if (r.type !== 'adapted') throw new Error(r.message);
    for (const m of [r.before, r.after]) {
      expect(m.auc).toBeGreaterThanOrEqual(0);
      expect(m.auc).toBeLessThanOrEqual(1);
      expect(m.low!).toBeLessThanOrEqual(m.auc!);
      expect(m.high!).toBeGreaterThanOrEqual(m.auc!);
    }
    expect(r.folds).toBe(5);
    expect(r.packId).toMatch(/-site-202611301700$/);
    const checked = await checkPackFiles(new Map(r.files.map((f) => [f.path, f.bytes])));
    expect(checked.manifest.id).toBe(r.packId);
    expect(checked.manifest.training.adaptation).toMatchObject({ folds: 5, data: { cases: 30, patients: 15 } });
    const card = new TextDecoder().decode(r.files.find((f) => f.path === 'MODEL_CARD.md')!.bytes);
    expect(card).toContain(`# ${r.packId} `);
    expect(card).toContain(`| Before (base pack) | ${r.before.auc!.toFixed(4)} |`);
    expect(card).toContain(`| After (adapted head, held-out folds) | ${r.after.auc!.toFixed(4)} |`);

    await handle({ type: 'adapt', id: 2, manifestUrl: url, modality: 'bmode', features, labels: [0], patients, dataset: 'x' });
    expect(replies[1]).toMatchObject({ type: 'error', id: 2, message: expect.stringMatching(/labels/) });
    await handle({
      type: 'adapt',
      id: 3,
      manifestUrl: url,
      modality: 'bmode',
      features: [],
      labels: [],
      patients: [],
      dataset: 'x',
    });
    expect(replies[2]).toMatchObject({ type: 'error', id: 3, message: expect.stringMatching(/patients/) });
  });
});
