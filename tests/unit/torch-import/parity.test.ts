/**
 * Checkpoints written by Debian's torch, imported by src/torch-import: every style maps, the
 * ResNet-18 pack equals the one training/export writes (topology and weight bytes), and the
 * browser-built packs reproduce PyTorch's logits on the reference image with TF.js.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPack, convertCheckpoint, type BuiltPack, MappingError, torchvisionInput } from '../../../src/torch-import';
import { CHECKPOINT_DIR, checkpointBytes, ensureCheckpoints, type CheckpointLogits } from '../../fixtures/torch-checkpoints';

const CLASSES = [
  { id: 'metastatic', label: 'Metastatic' },
  { id: 'lymphoma', label: 'Lymphoma' },
  { id: 'benign', label: 'Benign' },
];

let ref: CheckpointLogits;
let input: Float32Array;

beforeAll(async () => {
  ref = ensureCheckpoints();
  const raw = readFileSync(join(CHECKPOINT_DIR, 'reference-input.bin'));
  input = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  await tf.setBackend('cpu');
});

async function importPack(file: string): Promise<BuiltPack> {
  const c = convertCheckpoint(checkpointBytes(file), { numClasses: 3 });
  return buildPack({ id: 'imported-test', title: 'Imported', version: '1.0.0', classes: CLASSES, provenance: { source: file } }, [
    { modality: 'bmode', graph: c.graph, input: torchvisionInput(c.size) },
  ]);
}

function concatShards(files: { path: string; bytes: Uint8Array }[]): Uint8Array {
  const shards = files
    .filter((f) => f.path.endsWith('.bin'))
    .sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }));
  const out = new Uint8Array(shards.reduce((n, s) => n + s.bytes.byteLength, 0));
  let at = 0;
  for (const s of shards) {
    out.set(s.bytes, at);
    at += s.bytes.byteLength;
  }
  return out;
}

async function logitsOf(pack: BuiltPack): Promise<number[]> {
  const modelJson = JSON.parse(new TextDecoder().decode(pack.files.find((f) => f.path === 'bmode/model.json')!.bytes));
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest[0].weights,
      weightData: concatShards(pack.files).slice().buffer,
    }),
  );
  const size = pack.manifest.modalities.bmode!.input.height;
  const out = tf.tidy(() => model.predict(tf.tensor4d(input, [1, size, size, 3])) as tf.Tensor);
  const values = Array.from(await out.data());
  out.dispose();
  model.dispose();
  return values;
}

function expectClose(got: number[], want: number[]): void {
  expect(got).toHaveLength(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(want[i]!))));
}

describe('PyTorch checkpoints → packs', () => {
  it('builds the very pack training/export builds from the same ResNet-18 (topology and weight bytes)', async () => {
    const pack = await importPack('r18-state-dict.pth');
    const pyDir = join(CHECKPOINT_DIR, 'python-pack');
    const pyModel = JSON.parse(readFileSync(join(pyDir, 'bmode/model.json'), 'utf8'));
    const ours = JSON.parse(new TextDecoder().decode(pack.files.find((f) => f.path === 'bmode/model.json')!.bytes));
    expect(ours.modelTopology).toEqual(pyModel.modelTopology);
    expect(ours.weightsManifest).toEqual(pyModel.weightsManifest);
    const pyManifest = JSON.parse(readFileSync(join(pyDir, 'manifest.json'), 'utf8'));
    const pyShards = pyModel.weightsManifest[0].paths.map((p: string) => ({
      path: p,
      bytes: new Uint8Array(readFileSync(join(pyDir, 'bmode', p))),
    }));
    expect(Buffer.from(concatShards(pack.files)).equals(Buffer.from(concatShards(pyShards)))).toBe(true);
    expect(pack.manifest.modalities.bmode).toMatchObject({
      gradcamLayer: pyManifest.modalities.bmode.gradcamLayer,
      input: pyManifest.modalities.bmode.input,
    });
  });

  it('the ResNet-18 pack reproduces PyTorch logits, and so does a Sequential(Dropout, Linear) head', async () => {
    const pack = await importPack('r18-state-dict.pth');
    expect(pack.manifest.modalities.bmode?.gradcamLayer).toBe('layer4_1_out');
    expectClose(await logitsOf(pack), ref.logits.r18);
    expectClose(await logitsOf(await importPack('r18-seq-head.pth')), ref.logits['r18-seq-head']);
  });

  // The same weights saved in other styles must give byte-identical packs (so the same logits).
  it.each(['r18-whole.pth', 'r18-dataparallel.pth', 'r18-wrapped-state-dict.pth', 'r18-wrapped-model.pth', 'r18-legacy.pth'])(
    '%s gives the same pack as the plain state dict',
    async (file) => {
      const [plain, other] = [await importPack('r18-state-dict.pth'), await importPack(file)];
      expect(other.manifest.files).toEqual(plain.manifest.files);
    },
  );

  it.each(['effb0-state-dict.pth', 'effb0-whole.pth'])('%s (EfficientNet-B0) reproduces PyTorch logits', async (file) => {
    const c = convertCheckpoint(checkpointBytes(file), { numClasses: 3, size: 224 });
    expect(c.graph.architecture).toBe('efficientnet_b0');
    expect(c.graph.gradcamLayer).toBe('features_8_2');
    const pack = await buildPack({ id: 'imported-eff', title: 'E', version: '1.0.0', classes: CLASSES, provenance: {} }, [
      { modality: 'bmode', graph: c.graph, input: torchvisionInput(224) },
    ]);
    expectClose(await logitsOf(pack), ref.logits.effb0);
  });

  it('names a head of the wrong size and missing keys', () => {
    expect(() => convertCheckpoint(checkpointBytes('r18-four-classes.pth'), { numClasses: 3 })).toThrow(
      /head fc has 4 outputs, but 3 classes/,
    );
    let err: unknown;
    try {
      convertCheckpoint(checkpointBytes('r18-missing-key.pth'), { numClasses: 3 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MappingError);
    expect((err as Error).message).toContain('layer3.1.bn2.running_var');
  });

  it('refuses the os.system pickle without running it, naming the global', () => {
    expect(() => convertCheckpoint(checkpointBytes('evil-os-system.pth'), { numClasses: 3 })).toThrow(
      /"(posix|os)\.system".*refused/,
    );
  });
});
