import type { HistoryError } from '../../../src/history';
import type { Manifest } from '../../../src/model-pack/manifest';
import { buildCaseRecord, type CaseRecord } from '../../../src/history';
import { emptyDescriptors } from '../../../src/domain';

export const manifest = {
  format: 'lymphscope-model-pack',
  formatVersion: 1,
  id: 'test-pack',
  version: '1.2.3',
  title: 'Test pack',
  fixture: true,
  classes: [
    { id: 'metastatic', label: 'Metastatic' },
    { id: 'lymphoma', label: 'Lymphoma' },
    { id: 'benign', label: 'Benign' },
  ],
  modalities: {},
  fusion: { method: 'mean' },
  files: [],
  metrics: [{ modality: 'fused', dataset: 'phantoms', split: 'test', n: 10, macroAuc: 0.9, accuracy: 0.8 }],
  training: { summary: 'random weights', datasets: ['none'] },
  intendedUse: 'Testing only.',
  disclaimer: 'Not a diagnosis.',
  license: 'Apache-2.0',
} as unknown as Manifest;

function image(w: number, h: number, seed: number) {
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + seed * 7) & 255;
  return { width: w, height: h, data };
}

export function makeCase(
  label = 'Node A',
  seed = 1,
  date = new Date(Date.UTC(2026, 0, seed)),
  keepScreenshots = false,
): CaseRecord {
  const cam = (k: number) => Float32Array.from({ length: 49 }, (_, i) => ((i + k) % 7) / 7);
  return buildCaseRecord({
    manifest,
    backend: 'wasm',
    appVersion: '0.1.0',
    label,
    keepScreenshots,
    note: `note ${seed}`,
    fused: [0.5, 0.3, 0.2],
    now: date,
    results: {
      bmode: {
        crop: image(20, 10, seed),
        roi: { x: 5, y: 5, width: 20, height: 10 },
        source: image(40, 30, seed),
        analysis: {
          logits: [1, 0.5, 0.1],
          probabilities: [0.5, 0.3, 0.2],
          cams: { width: 7, height: 7, maps: [cam(0), cam(1), cam(2)], empty: [false, false, false] },
        },
      },
    },
  });
}

/** The history error code a promise rejects with, or 'no error'. */
export async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as HistoryError).code;
  }
  return 'no error';
}

/** The fields a case had before examinations existed (app versions up to history schema 2). */
export const LEGACY_CASE_KEYS = ['id', 'createdAt', 'label', 'note', 'appVersion', 'backend', 'model', 'results', 'fused'];

/** A case exactly as the app wrote it before examinations existed: no `exam`, no `descriptors`. */
export function legacyCase(label = 'Old node', seed = 1): Record<string, unknown> & { id: string; createdAt: string } {
  const { exam: _exam, descriptors: _descriptors, ...old } = makeCase(label, seed);
  return old;
}

/** A legacy case's list entry as history schema 2 wrote it. */
export function legacySummary(c: ReturnType<typeof legacyCase>): Record<string, unknown> {
  const r = c as unknown as CaseRecord;
  return {
    id: r.id,
    createdAt: r.createdAt,
    label: r.label,
    note: r.note,
    modelId: r.model.id,
    modelVersion: r.model.version,
    backend: r.backend,
    modalities: Object.keys(r.results),
    classLabels: r.model.classes.map((c) => c.label),
    fused: r.fused,
  };
}

/** What a legacy case reads back as: its own one-node examination, dated the day it was saved, nothing recorded. */
export function upgraded(c: ReturnType<typeof legacyCase>): CaseRecord {
  return {
    ...(c as unknown as CaseRecord),
    exam: {
      id: c.id,
      accession: '',
      date: c.createdAt.slice(0, 10),
      reporter: '',
      indication: '',
      patientRef: '',
      conclusion: '',
      approvedAt: null,
    },
    descriptors: emptyDescriptors(),
  };
}
