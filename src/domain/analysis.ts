/**
 * The result model the UI, the case history and the report share: what one analysis of one
 * modality yields, independent of how it was computed or transported. The inference worker's
 * wire messages are mapped onto it in one place (ui/state/wire.ts); a reopened case is read back
 * into it without pretending to have come from the worker (no message id, no timings).
 */

import type { BackendId, ModalityId } from './ids';
import type { NodeMeasurement } from './measurement';

/** A rectangle in image pixels (the region the model saw, within its source image). */
export interface RoiRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Grad-CAM maps, one per class, each `height × width`, values in [0, 1] (row-major). */
export interface CamMaps {
  width: number;
  height: number;
  maps: Float32Array[];
  /** Per class: true when that map is all zero (no positive evidence), not a failure. */
  empty: boolean[];
}

/** Where the time of one analysis went (ms). Only known for an analysis run in this session. */
export interface AnalysisTimings {
  preprocessMs: number;
  inferenceMs: number;
  gradcamMs: number;
}

/** One modality's result. */
export interface ModalityAnalysis {
  modality: ModalityId;
  /** Pre-softmax logits, class order of the model. */
  logits: number[];
  /** Calibrated probabilities, class order of the model. */
  probabilities: number[];
  /** Null when the heatmaps are not available (e.g. a case saved without them). */
  cams: CamMaps | null;
  /** The backend that computed it. */
  backend: BackendId;
  /** Id of the model (pack) that computed it. */
  modelId: string;
  /** Null for a result read back from the history rather than computed now. */
  timings: AnalysisTimings | null;
  /** The node's axes measured on the image, when the user outlined it (absent otherwise). */
  measurements?: NodeMeasurement;
}
