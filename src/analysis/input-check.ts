/**
 * The verdict of the learned input checks (docs/input-checks.md) from a model's pooled features:
 * the gate head says whether the image is ultrasound and which modality it looks like, the
 * Mahalanobis distance to the pack's training images says whether it is like them. The same
 * arithmetic as training/input_gate.py (`GateHead.probabilities`, `mahalanobis`, `verdict`).
 */

import type { InputVerdict, ModalityId, QualityIssue } from '../domain';
import type { GateClass, InputCheckParams, OodParams } from '../model-pack';

export interface InputCheckScores {
  /** Gate probabilities by class. */
  gate: Record<GateClass, number>;
  /** Squared Mahalanobis distance to the training images, and the pack's threshold for it. */
  distance: number;
  threshold: number;
  /** The same of the texture statistics (formatVersion 2 checks). */
  textureDistance?: number;
  textureThreshold?: number;
}

export interface InputCheckOutcome {
  verdict: InputVerdict;
  looksLike?: ModalityId;
  /** False: the pack has no learned check for this modality; only the pixel rules ran. */
  learned: boolean;
  quality?: QualityIssue;
  scores?: InputCheckScores;
}

/** Number of handcrafted statistics (colour, then texture) the gate reads after the pooled features. */
export function handcraftedCount(p: InputCheckParams): number {
  return p.colourFeatures.length + p.textureFeatures.length;
}

/** softmax(W·[f, handcrafted] + b) over the gate classes; `handcrafted`: colour then texture statistics. */
export function gateProbabilities(p: InputCheckParams, features: ArrayLike<number>, handcrafted: ArrayLike<number>): number[] {
  const d = p.featureDim;
  const extra = handcraftedCount(p);
  const width = d + extra;
  const z = p.gateClasses.map((_, c) => {
    let s = p.gateBias[c]!;
    for (let i = 0; i < d; i++) s += p.gateWeights[c * width + i]! * features[i]!;
    for (let i = 0; i < extra; i++) s += p.gateWeights[c * width + d + i]! * handcrafted[i]!;
    return s;
  });
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / total);
}

/** Squared distance: exact along the kept principal components, the rest scaled by their mean variance. */
export function mahalanobis(ood: OodParams, features: ArrayLike<number>): number {
  const d = ood.mean.length;
  const x = new Float64Array(d);
  let norm = 0;
  for (let i = 0; i < d; i++) {
    x[i] = features[i]! - ood.mean[i]!;
    norm += x[i]! * x[i]!;
  }
  let along = 0;
  let projected = 0;
  for (let k = 0; k < ood.variances.length; k++) {
    let p = 0;
    for (let i = 0; i < d; i++) p += ood.components[k * d + i]! * x[i]!;
    along += (p * p) / ood.variances[k]!;
    projected += p * p;
  }
  return along + Math.max(0, norm - projected) / ood.residualVariance;
}

/**
 * The verdict for an image in `slot`: a pixel-rule failure first (it makes the learned scores
 * meaningless), then the gate (not ultrasound; another modality), then the distances (either one
 * above its threshold: out of distribution). `handcrafted`: the colour, then texture statistics.
 */
export function decideInputCheck(
  slot: ModalityId,
  quality: QualityIssue | null,
  params: InputCheckParams | undefined,
  features: ArrayLike<number> | undefined,
  handcrafted: ArrayLike<number> = [],
): InputCheckOutcome {
  const learned = params !== undefined && features !== undefined;
  let scores: InputCheckScores | undefined;
  let top: GateClass | undefined;
  if (learned) {
    if (features.length !== params.featureDim) {
      throw new RangeError(`input check expects ${params.featureDim} features, got ${features.length}`);
    }
    if (handcrafted.length !== handcraftedCount(params)) {
      throw new RangeError(
        `input check expects ${handcraftedCount(params)} colour and texture features, got ${handcrafted.length}`,
      );
    }
    const probs = gateProbabilities(params, features, handcrafted);
    const gate = Object.fromEntries(params.gateClasses.map((c, i) => [c, probs[i]!])) as Record<GateClass, number>;
    scores = { gate, distance: mahalanobis(params.ood, features), threshold: params.ood.threshold };
    if (params.textureOod) {
      const texture = Array.from(handcrafted).slice(params.colourFeatures.length);
      scores.textureDistance = mahalanobis(params.textureOod, texture);
      scores.textureThreshold = params.textureOod.threshold;
    }
    top = params.gateClasses[probs.indexOf(Math.max(...probs))];
    // Another modality only when the gate is sure: a scant-flow Doppler crop is as gray as B-mode.
    if (top !== undefined && top !== 'not-ultrasound' && top !== slot) {
      const claim = params.wrongModalityMinProbabilityBy[top] ?? params.wrongModalityMinProbability;
      if (Math.max(...probs) < claim) top = slot;
    }
  }
  const base = { learned, ...(scores ? { scores } : {}) };
  if (quality) return { verdict: 'low-quality', quality, ...base };
  if (!scores || !top) return { verdict: 'ok', ...base };
  if (top === 'not-ultrasound') return { verdict: 'not-ultrasound', ...base };
  if (top !== slot) return { verdict: 'wrong-modality', looksLike: top, ...base };
  const textureFar = scores.textureDistance !== undefined && scores.textureDistance > scores.textureThreshold!;
  if (scores.distance > scores.threshold || textureFar) return { verdict: 'out-of-distribution', ...base };
  return { verdict: 'ok', ...base };
}
