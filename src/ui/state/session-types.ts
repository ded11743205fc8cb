/** The shapes the session controller hands to the components and takes from the history. */

import type { ClassId, ExamInfo, ImageProvenance, ModalityId, ModalityAnalysis } from '../../domain';
import type { CaseRecord } from '../../history';
import type { Rect, RgbaImage } from '../../imaging';

export interface AnalysedModality {
  analysis: ModalityAnalysis;
  /** The exact ROI pixels the model saw, for the heatmap view and the report. */
  crop: RgbaImage;
  /** The region and the whole (decoded) image it was cut from, as analysed; kept for the case history. */
  roi: Rect;
  source: RgbaImage;
  /** Slot revision at the moment the crop was cut. */
  revision: number;
  /** Where the image came from and what its input check said, as it stood when the crop was cut. */
  origin: ImageProvenance;
  /** The demo case a simulated image belongs to (null for any other image). */
  simulation: { seed: number; trueClass: ClassId } | null;
}

/** One modality's place in an analysis that runs (they run one after the other). */
export type AnalysisStep = 'queued' | 'running' | 'done';

/** Where cases are kept (the history panel's state implements it). */
export interface CaseStore {
  save(record: CaseRecord): Promise<boolean>;
  get(id: string): Promise<CaseRecord | null>;
  delete(id: string): Promise<boolean>;
  deleteAll(): Promise<boolean>;
  /** Every saved node of an examination, oldest first ([] when none or unreadable). */
  getExam(examId: string): Promise<CaseRecord[]>;
  /** Changes an examination's data on all its saved nodes; null when that failed. */
  updateExam(examId: string, patch: Partial<Omit<ExamInfo, 'id'>>): Promise<CaseRecord[] | null>;
}

export interface SaveOptions {
  label?: string;
  note?: string;
  keepScreenshots?: boolean;
}

/**
 * An examination to show as a report: its nodes, oldest first (each carries the examination's
 * data); `saved` when every node is the history's copy.
 */
export interface CaseReport {
  nodes: CaseRecord[];
  saved: boolean;
}

/** Each slot's revision (bumped on every change of image or region). */
export type Revisions = Record<ModalityId, number>;
