/** The shape of a saved case. Plain data (typed arrays for pixels and heatmaps), no classes. */

import {
  BACKEND_IDS,
  MODALITY_IDS,
  type BackendId,
  type CamMaps,
  type CaseProvenance,
  type ModalityId,
  type NodeMeasurement,
  type ExamInfo,
  type NodeDescriptors,
  type NodeLevel,
  type NodeSide,
  type RoiRect,
} from '../domain';

/** A case may hold a result for any modality the registry knows, in registry order. */
export const CASE_MODALITIES = MODALITY_IDS;
export type CaseModality = ModalityId;

export const CASE_BACKENDS = BACKEND_IDS;
export type CaseBackend = BackendId;

/** 8-bit RGBA pixels, row-major. */
export interface StoredImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Raw Grad-CAM maps (one per class, values in [0, 1]); rendered into heatmaps on demand. */
export type StoredCams = CamMaps;
export type { RoiRect };

export interface CaseModalityResult {
  /** The exact ROI pixels the model saw. */
  crop: StoredImage;
  /** Where the crop lies in the (possibly downscaled) source image. */
  roi: RoiRect;
  sourceWidth: number;
  sourceHeight: number;
  logits: number[];
  probabilities: number[];
  cams: StoredCams | null;
  /** The whole source image, only when the user asked to keep it. */
  screenshot: StoredImage | null;
  /** The node's axes, when they were measured (absent in cases saved before or without them). */
  measurements?: NodeMeasurement;
}

export interface ModelMetricSummary {
  modality: string;
  dataset: string;
  split: string;
  n: number;
  macroAuc: number | null;
  accuracy: number | null;
}

/** What the report needs to know about the model that produced a result (its "model card"). */
export interface ModelSummary {
  id: string;
  version: string;
  title: string;
  fixture: boolean;
  classes: { id: string; label: string }[];
  fusion: string;
  intendedUse: string;
  disclaimer: string;
  license: string;
  training: string;
  metrics: ModelMetricSummary[];
}

/**
 * One node of an examination: its images, analysis and the clinician's descriptors. Every node
 * carries its examination's data (kept the same on all nodes of an examination by the store), so
 * a single record is always complete on its own: in an export, a report or a DICOM file.
 * Records written before examinations existed read back as a one-node examination whose id is the
 * case id (see validate.ts).
 */
export interface CaseRecord {
  id: string;
  /** ISO 8601. */
  createdAt: string;
  label: string;
  note: string;
  appVersion: string;
  backend: CaseBackend;
  model: ModelSummary;
  results: Partial<Record<CaseModality, CaseModalityResult>>;
  /** Fused probabilities (class order of `model.classes`), null when nothing could be fused. */
  fused: number[] | null;
  /**
   * Where the images came from (simulated or not, seed, true class, pixel spacing, input checks).
   * Absent in cases saved before it was kept: they still read back, as of unknown provenance.
   */
  provenance?: CaseProvenance;
  exam: ExamInfo;
  descriptors: NodeDescriptors;
}

/** The small part of a case shown in the history list. */
export interface CaseSummary {
  id: string;
  createdAt: string;
  label: string;
  note: string;
  modelId: string;
  modelVersion: string;
  backend: CaseBackend;
  modalities: CaseModality[];
  classLabels: string[];
  fused: number[] | null;
  /** The case is a simulated one (absent in summaries written before provenance was kept). */
  simulated?: boolean;
  examId: string;
  accession: string;
  examDate: string;
  reporter: string;
  patientRef: string;
  level: NodeLevel | null;
  side: NodeSide | null;
  approved: boolean;
}

export const LIMITS = {
  label: 200,
  note: 5000,
  text: 20_000,
  classes: 16,
  imageSide: 8192,
  camSide: 512,
  metrics: 64,
} as const;

export function summarize(r: CaseRecord): CaseSummary {
  return {
    id: r.id,
    createdAt: r.createdAt,
    label: r.label,
    note: r.note,
    modelId: r.model.id,
    modelVersion: r.model.version,
    backend: r.backend,
    modalities: CASE_MODALITIES.filter((m) => r.results[m] !== undefined),
    classLabels: r.model.classes.map((c) => c.label),
    fused: r.fused ? [...r.fused] : null,
    ...(r.provenance ? { simulated: r.provenance.simulated !== null } : {}),
    examId: r.exam.id,
    accession: r.exam.accession,
    examDate: r.exam.date,
    reporter: r.exam.reporter,
    patientRef: r.exam.patientRef,
    level: r.descriptors.level,
    side: r.descriptors.side,
    approved: r.exam.approvedAt !== null,
  };
}

/** Case-insensitive match of every word of `query` against label, note, model, date, modalities and examination data. */
export function matchesQuery(s: CaseSummary, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const hay = [
    s.label,
    s.note,
    s.modelId,
    s.modelVersion,
    s.createdAt,
    s.backend,
    ...s.modalities,
    s.accession,
    s.examDate,
    s.reporter,
    s.patientRef,
    s.level ? `level ${s.level}` : '',
    s.side ?? '',
  ]
    .join(' ')
    .toLowerCase();
  return words.every((w) => hay.includes(w));
}

/** One examination as the history lists it: its nodes' summaries, newest node first. */
export interface ExamSummary {
  examId: string;
  accession: string;
  examDate: string;
  reporter: string;
  patientRef: string;
  approved: boolean;
  nodes: CaseSummary[];
}

/**
 * Groups node summaries into examinations, newest examination first (by date, then by its newest
 * node). The examination's data shown is its newest node's (the store keeps them equal).
 */
export function groupExams(cases: CaseSummary[]): ExamSummary[] {
  const byId = new Map<string, CaseSummary[]>();
  for (const c of cases) {
    const list = byId.get(c.examId);
    if (list) list.push(c);
    else byId.set(c.examId, [c]);
  }
  const exams = [...byId.values()].map((nodes): ExamSummary => {
    nodes.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
    const n = nodes[0]!;
    return {
      examId: n.examId,
      accession: n.accession,
      examDate: n.examDate,
      reporter: n.reporter,
      patientRef: n.patientRef,
      approved: n.approved,
      nodes,
    };
  });
  const key = (e: ExamSummary) => `${e.examDate}|${e.nodes[0]!.createdAt}`;
  return exams.sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0));
}
