/** Combines per-modality probabilities into one assessment, as the model pack's manifest says. */

import type { FusionSpec, Modality } from '../model-pack';

export type ModalityProbabilities = Partial<Record<Modality, number[]>>;

export class FusionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FusionError';
  }
}

/**
 * Weighted mean of the available modalities' probability vectors; `mean` weighs them equally.
 * Weights are renormalised over the modalities present, so the result always sums to 1.
 * Returns null when no modality was analysed.
 */
export function fuse(spec: FusionSpec, probs: ModalityProbabilities): number[] | null {
  const entries = Object.entries(probs) as [Modality, number[]][];
  if (entries.length === 0) return null;
  const k = entries[0]![1].length;
  if (entries.some(([, p]) => p.length !== k)) throw new FusionError('Modalities disagree on the number of classes.');
  const weightOf = (m: Modality) => (spec.method === 'mean' ? 1 : (spec.weights[m] ?? 0));
  const total = entries.reduce((s, [m]) => s + weightOf(m), 0);
  if (total <= 0) throw new FusionError('None of the analysed modalities has a positive fusion weight.');
  const out = new Array<number>(k).fill(0);
  for (const [m, p] of entries) {
    const w = weightOf(m) / total;
    p.forEach((v, i) => (out[i]! += w * v));
  }
  return out;
}

/** softmax(logits / temperature), numerically stable. */
export function calibratedSoftmax(logits: ArrayLike<number>, temperature = 1): number[] {
  const z = Array.from(logits, (v) => v / temperature);
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
