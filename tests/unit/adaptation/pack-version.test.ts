/** The adapted head as a new pack version: checked like any pack, only the head changed, model card written. */

import { describe, expect, it } from 'vitest';
import { adaptedPackVersion, adaptHead, type Head } from '../../../src/adaptation';
import { mulberry32 } from '../../../src/validation';
import { buildPack, checkPackFiles, convertCheckpoint, torchvisionInput } from '../../../src/torch-import';
import { checkpointBytes, ensureCheckpoints } from '../../fixtures/torch-checkpoints';

const CLASSES = ['metastatic', 'lymphoma', 'benign'].map((id) => ({ id, label: id }));

function weights(modelJson: Uint8Array, shards: Uint8Array[]): Map<string, Uint8Array> {
  const spec = JSON.parse(new TextDecoder().decode(modelJson)).weightsManifest[0].weights as { name: string; shape: number[] }[];
  const all = new Uint8Array(shards.reduce((n, s) => n + s.byteLength, 0));
  shards.reduce((o, s) => (all.set(s, o), o + s.byteLength), 0);
  const out = new Map<string, Uint8Array>();
  let at = 0;
  for (const w of spec) {
    const n = w.shape.reduce((a, b) => a * b, 1) * 4;
    out.set(w.name, all.slice(at, at + n));
    at += n;
  }
  return out;
}

describe('adapted pack version', () => {
  it('replaces only the head, re-fits the temperature, and passes every pack check', async () => {
    ensureCheckpoints();
    const c = convertCheckpoint(checkpointBytes('effb0-state-dict.pth'), { numClasses: 3 });
    const base = await buildPack({ id: 'eff-base', title: 'Base', version: '1.0.0', classes: CLASSES, provenance: {} }, [
      { modality: 'bmode', graph: c.graph, input: torchvisionInput(224) },
    ]);
    const w = (n: string) => c.graph.weights.find((x) => x.name === n)!.data;
    const head: Head = { kernel: w('classifier_1/kernel'), bias: w('classifier_1/bias'), inDim: 1280, numClasses: 3 };
    const rand = mulberry32(5);
    const features = Array.from({ length: 50 }, () => Float32Array.from({ length: 1280 }, () => rand()));
    const labels = features.map((_, i) => i % 3);
    const patients = features.map((_, i) => `p${i >> 1}`);
    const result = adaptHead(
      { features, labels, patients, head, temperature: 1 },
      { iterations: 20, bootstrap: { resamples: 50 } },
    );

    const manifestBytes = new TextEncoder().encode(JSON.stringify(base.manifest));
    const v = await adaptedPackVersion({ manifestBytes, files: base.files }, 'bmode', result, {
      id: 'eff-base-site',
      version: '1.1.0',
      date: '2026-11-30',
      casesPerClass: [17, 17, 16],
      patients: 25,
      dataset: 'Synthetic features',
    });
    const entries = new Map([
      ['manifest.json', v.manifestBytes],
      ...v.files.map((f) => [f.path, f.bytes] as [string, Uint8Array]),
    ]);
    const checked = await checkPackFiles(entries);
    expect(checked.manifest.id).toBe('eff-base-site');
    expect(checked.manifest.modalities.bmode?.temperature).toBeCloseTo(result.temperature, 5);
    expect(checked.manifest.metrics.map((m) => m.split)).toEqual(['5-fold CV', '5-fold CV']);
    const card = checked.manifest.training.adaptation as {
      basePack: { id: string; manifestSha256: string };
      folds: number;
      data: { cases: number };
    };
    expect(card.basePack.id).toBe('eff-base');
    expect(card.basePack.manifestSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(card).toMatchObject({ folds: 5, data: { cases: 50 } });

    const shardsOf = (files: { path: string; bytes: Uint8Array }[]) =>
      files
        .filter((f) => f.path.endsWith('.bin'))
        .sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }))
        .map((f) => f.bytes);
    const json = (files: { path: string; bytes: Uint8Array }[]) => files.find((f) => f.path === 'bmode/model.json')!.bytes;
    const before = weights(json(base.files), shardsOf(base.files));
    const after = weights(json(v.files), shardsOf(v.files));
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [name, bytes] of after) {
      if (name.startsWith('classifier_1/')) continue;
      expect(Buffer.from(bytes).equals(Buffer.from(before.get(name)!))).toBe(true);
    }
    expect(new Float32Array(after.get('classifier_1/kernel')!.buffer)).toEqual(result.head.kernel);
    expect(new Float32Array(after.get('classifier_1/bias')!.buffer)).toEqual(result.head.bias);
  });
});
