/**
 * An exported graph → the files of a model pack (format v1, docs/model-pack.md), written as
 * training/export/pack.py writes them: `<modality>/model.json`, float32 weights cut into shards of
 * at most 2 MiB, and a manifest listing every file with its size and SHA-256. The manifest is run
 * through `parseManifest`, the same validation every bundled pack passes.
 */

import type { ModalityId } from '../domain';
import { parseManifest, sha256Hex, type ClassInfo, type InputSpec, type Manifest } from '../model-pack';
import { functionalModel } from './keras';
import type { ExportGraph } from './graph';

export const SHARD_BYTES = 2 * 1024 * 1024;

export interface PackFileData {
  path: string;
  bytes: Uint8Array;
}

export interface BuiltPack {
  manifest: Manifest;
  /** Every file but manifest.json. */
  files: PackFileData[];
}

export interface PackMeta {
  id: string;
  title: string;
  version: string;
  classes: ClassInfo[];
  /** Free text saved under `training` (provenance: source file name, checkpoint style). */
  provenance: Record<string, unknown>;
}

export interface ModalityBuild {
  modality: ModalityId;
  graph: ExportGraph;
  input: InputSpec;
}

/** torchvision's normalisation (ImageNet mean/std on 0…1 pixels), the importer's default. */
export function torchvisionInput(size: number): InputSpec {
  return {
    height: size,
    width: size,
    channelOrder: 'RGB',
    resize: 'bilinear-antialias',
    scale: 1 / 255,
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
  };
}

/** model.json + shards of one modality, as the Python exporter writes them. */
export function modelFiles(m: ModalityBuild): PackFileData[] {
  const total = m.graph.weights.reduce((n, w) => n + w.data.byteLength, 0);
  const blob = new Uint8Array(total);
  let at = 0;
  for (const w of m.graph.weights) {
    blob.set(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength), at);
    at += w.data.byteLength;
  }
  const count = Math.max(1, Math.ceil(total / SHARD_BYTES));
  const paths = Array.from({ length: count }, (_, i) => `group1-shard${i + 1}of${count}.bin`);
  const modelJson = {
    format: 'layers-model',
    generatedBy: `lymphscope browser import (PyTorch torchvision ${m.graph.architecture})`,
    convertedBy: 'lymphscope src/torch-import',
    modelTopology: functionalModel(
      m.graph.architecture.startsWith('resnet') ? 'lymphscope_resnet' : 'lymphscope_efficientnet',
      m.graph.layers,
      [m.graph.inputName],
      [m.graph.outputName],
    ),
    weightsManifest: [{ paths, weights: m.graph.weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })) }],
  };
  const files: PackFileData[] = [
    { path: `${m.modality}/model.json`, bytes: new TextEncoder().encode(JSON.stringify(modelJson)) },
  ];
  paths.forEach((p, i) =>
    files.push({ path: `${m.modality}/${p}`, bytes: blob.subarray(i * SHARD_BYTES, Math.min(total, (i + 1) * SHARD_BYTES)) }),
  );
  return files;
}

export async function buildPack(meta: PackMeta, models: ModalityBuild[]): Promise<BuiltPack> {
  const files = models.flatMap(modelFiles).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const listed = await Promise.all(
    files.map(async (f) => ({ path: f.path, bytes: f.bytes.byteLength, sha256: await sha256Hex(f.bytes) })),
  );
  const modalities = Object.fromEntries(
    models.map((m) => [
      m.modality,
      {
        model: `${m.modality}/model.json`,
        architecture: m.graph.architecture,
        input: m.input,
        gradcamLayer: m.graph.gradcamLayer,
        temperature: 1,
        weightsDtype: 'float32',
      },
    ]),
  );
  const manifest = parseManifest({
    format: 'lymphscope-model-pack',
    formatVersion: 1,
    id: meta.id,
    version: meta.version,
    title: meta.title,
    fixture: false,
    classes: meta.classes,
    modalities,
    fusion: { method: 'mean' },
    files: listed,
    metrics: [],
    training: { summary: 'Imported in the browser from a PyTorch checkpoint; not validated on this site.', ...meta.provenance },
    intendedUse:
      'Imported model: its performance is unknown until it has been validated on labelled cases from this site. For research and evaluation only.',
    disclaimer: 'Imported, not validated. Decision support only; not a diagnosis. The clinician decides.',
    license: 'As licensed by the checkpoint’s owner.',
  });
  return { manifest, files };
}
