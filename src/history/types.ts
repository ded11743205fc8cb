/** The shape of a saved case. Plain data (typed arrays for pixels and heatmaps), no classes. */

import {
  BACKEND_IDS,
  MODALITY_IDS,
  type BackendId,
  type CamMaps,
  type CaseProvenance,
  type ModalityId,
  type NodeMeasurement,
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
  };
}

/** Case-insensitive match of every word of `query` against label, note, model, date and modalities. */
export function matchesQuery(s: CaseSummary, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const hay = [s.label, s.note, s.modelId, s.modelVersion, s.createdAt, s.backend, ...s.modalities].join(' ').toLowerCase();
  return words.every((w) => hay.includes(w));
}
