/**
 * Maps between a `CaseRecord` and the shared result model (src/domain/analysis): builds a record
 * from what an analysis produced, and reads a record's results back. Plain data in, plain data out.
 */

import {
  emptyDescriptors,
  newExam,
  type CaseProvenance,
  type ExamInfo,
  type ModalityAnalysis,
  type NodeDescriptors,
} from '../domain';
import type { Manifest } from '../model-pack';
import type { CaseBackend, CaseModality, CaseModalityResult, CaseRecord, ModelSummary, RoiRect, StoredImage } from './types';

export interface CaseInput {
  manifest: Manifest;
  backend: CaseBackend;
  appVersion: string;
  label?: string;
  note?: string;
  /** Keep the whole source images too (off by default: only the ROI crops are kept). */
  keepScreenshots?: boolean;
  fused: number[] | null;
  /** Where the images came from; kept with the case (see CaseRecord.provenance). */
  provenance?: CaseProvenance;
  results: Partial<
    Record<
      CaseModality,
      {
        crop: { width: number; height: number; data: Uint8Array | Uint8ClampedArray };
        roi: RoiRect;
        source: { width: number; height: number; data: Uint8Array | Uint8ClampedArray };
        analysis: Pick<ModalityAnalysis, 'logits' | 'probabilities' | 'cams' | 'measurements'>;
      }
    >
  >;
  now?: Date;
  /** The examination this node belongs to (default: a new one holding only this node). */
  exam?: ExamInfo;
  descriptors?: NodeDescriptors;
  /** Keep this id (a node saved again after its descriptors changed); default: a new one. */
  id?: string;
}

export function newCaseId(): string {
  return crypto.randomUUID();
}

const copyImage = (im: { width: number; height: number; data: Uint8Array | Uint8ClampedArray }): StoredImage => ({
  width: im.width,
  height: im.height,
  data: new Uint8Array(im.data),
});

const copyCams = (c: ModalityAnalysis['cams']): CaseModalityResult['cams'] =>
  c && { width: c.width, height: c.height, maps: c.maps.map((m) => new Float32Array(m)), empty: [...c.empty] };

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(text).join(', ');
  return '';
}

export function modelSummaryOf(m: Manifest): ModelSummary {
  return {
    id: m.id,
    version: m.version,
    title: m.title,
    fixture: m.fixture,
    classes: m.classes.map((c) => ({ id: c.id, label: c.label })),
    fusion: m.fusion.method,
    intendedUse: m.intendedUse,
    disclaimer: m.disclaimer,
    license: m.license,
    training: [text(m.training.summary), text(m.training.datasets)].filter(Boolean).join(' — ').slice(0, 20_000),
    metrics: m.metrics.slice(0, 64).map((e) => ({
      modality: e.modality,
      dataset: e.dataset,
      split: e.split,
      n: e.n,
      macroAuc: typeof e.macroAuc === 'number' ? e.macroAuc : null,
      accuracy: typeof e.accuracy === 'number' ? e.accuracy : null,
    })),
  };
}

export function buildCaseRecord(input: CaseInput): CaseRecord {
  const results: Partial<Record<CaseModality, CaseModalityResult>> = {};
  for (const [m, r] of Object.entries(input.results) as [CaseModality, NonNullable<CaseInput['results'][CaseModality]>][]) {
    results[m] = {
      crop: copyImage(r.crop),
      roi: { x: r.roi.x, y: r.roi.y, width: r.roi.width, height: r.roi.height },
      sourceWidth: r.source.width,
      sourceHeight: r.source.height,
      logits: [...r.analysis.logits],
      probabilities: [...r.analysis.probabilities],
      cams: copyCams(r.analysis.cams),
      screenshot: input.keepScreenshots ? copyImage(r.source) : null,
      ...(r.analysis.measurements ? { measurements: { ...r.analysis.measurements } } : {}),
    };
  }
  const now = input.now ?? new Date();
  return {
    id: input.id ?? newCaseId(),
    createdAt: now.toISOString(),
    label: (input.label ?? '').slice(0, 200),
    note: (input.note ?? '').slice(0, 5000),
    appVersion: input.appVersion,
    backend: input.backend,
    model: modelSummaryOf(input.manifest),
    results,
    fused: input.fused ? [...input.fused] : null,
    ...(input.provenance ? { provenance: copyProvenance(input.provenance) } : {}),
    exam: input.exam ? { ...input.exam } : newExam(newCaseId(), now),
    descriptors: input.descriptors ? { ...input.descriptors } : emptyDescriptors(),
  };
}

/** A deep copy: the record must not share objects with the session that built it. */
export function copyProvenance(p: CaseProvenance): CaseProvenance {
  return structuredClone(p);
}

/**
 * A saved case's results in the shared result model, as they were computed: same backend and
 * model, no timings (they were not measured now). Arrays are copied so the record stays untouched.
 */
export function analysesOfCase(r: CaseRecord): Partial<Record<CaseModality, ModalityAnalysis>> {
  const out: Partial<Record<CaseModality, ModalityAnalysis>> = {};
  for (const [m, res] of Object.entries(r.results) as [CaseModality, CaseModalityResult][]) {
    out[m] = {
      modality: m,
      logits: [...res.logits],
      probabilities: [...res.probabilities],
      cams: copyCams(res.cams),
      backend: r.backend,
      modelId: r.model.id,
      timings: null,
      ...(res.measurements ? { measurements: { ...res.measurements } } : {}),
    };
  }
  return out;
}
