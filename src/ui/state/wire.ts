/**
 * The one place where the inference worker's wire result becomes the shared result model
 * (src/domain/analysis). Nothing past this point sees message ids or the flat CAM fields.
 */

import type { ModalityAnalysis } from '../../domain';
import type { ResultMessage } from '../../runtime';

export function analysisFromWire(msg: ResultMessage, modelId: string): ModalityAnalysis {
  return {
    modality: msg.modality,
    logits: [...msg.logits],
    probabilities: [...msg.probabilities],
    cams: { width: msg.camWidth, height: msg.camHeight, maps: msg.cams, empty: [...msg.camEmpty] },
    backend: msg.backend,
    modelId,
    timings: { ...msg.timings },
  };
}
