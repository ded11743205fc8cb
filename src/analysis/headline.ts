/**
 * The one-sentence reading of a result: which class is most likely, how sure the calibrated
 * probabilities allow us to be, and whether the modalities agree. Pure logic; the wording lives in
 * the i18n catalogues and the display in ui/components/Headline.svelte. The scale and why its
 * numbers were chosen: docs/result-presentation.md.
 */

import type { ModalityId } from '../domain';

export const CONFIDENCE_LEVELS = ['high', 'moderate', 'low', 'indeterminate'] as const;
export type Confidence = (typeof CONFIDENCE_LEVELS)[number];

/**
 * The confidence scale, on calibrated (temperature-scaled) fused probabilities.
 * - indeterminate: the top two classes are less than `margin` apart. The bundled pack's expected
 *   calibration error after temperature scaling is 0.08–0.10 per modality on its test split, so two
 *   probabilities closer than 10 points cannot be told apart by this model.
 * - high: top ≥ 0.80 (a calibrated 80 % is wrong about 1 time in 5, and the next class is ≤ 20 %).
 * - moderate: top ≥ 0.60.
 * - low: anything else that is still clear of the runner-up by the margin.
 */
export const CONFIDENCE_SCALE = { margin: 0.1, high: 0.8, moderate: 0.6 } as const;

export interface RankedClass {
  /** Index in the model's class order. */
  index: number;
  probability: number;
  /** Whole percentage shown for it (largest-remainder rounding: the shown numbers add up to 100). */
  percent: number;
}

export interface Disagreement {
  /** Each analysed modality's own top class (index in the model's class order). */
  tops: Partial<Record<ModalityId, number>>;
  /** The modalities whose top class is not the fused one. */
  against: ModalityId[];
}

export interface Headline {
  /** Index of the most likely class. */
  top: number;
  /** Index of the runner-up (null with a single class). */
  second: number | null;
  confidence: Confidence;
  /** top − second probability. */
  margin: number;
  ranked: RankedClass[];
  /** Null when every analysed modality ranks the fused top class first (or only one was analysed). */
  disagreement: Disagreement | null;
}

/** Class indices by decreasing probability; equal probabilities keep the model's class order. */
export function rankClasses(p: readonly number[]): number[] {
  return p.map((_, i) => i).sort((a, b) => p[b]! - p[a]! || a - b);
}

/**
 * Whole percentages that add up to 100 (largest remainder). Order-preserving: a larger probability
 * never shows a smaller number, so the displayed ranking agrees with `rankClasses`.
 */
export function wholePercentages(p: readonly number[]): number[] {
  const total = p.reduce((s, v) => s + v, 0);
  if (p.length === 0 || !(total > 0)) return p.map(() => 0);
  const exact = p.map((v) => (v / total) * 100);
  const out = exact.map(Math.floor);
  let left = 100 - out.reduce((s, v) => s + v, 0);
  const byRemainder = exact
    .map((v, i) => i)
    .sort((a, b) => exact[b]! - out[b]! - (exact[a]! - out[a]!) || exact[b]! - exact[a]! || a - b);
  for (const i of byRemainder) {
    if (left <= 0) break;
    out[i]!++;
    left--;
  }
  return out;
}

/**
 * The text of a whole percentage: a probability that is not exactly 0 or 1 never reads "0 %" or
 * "100 %" (rounded there, it reads "<1" or ">99"): a model is never certain.
 */
export function percentText(probability: number, percent: number): string {
  if (percent >= 100 && probability < 1) return '>99';
  if (percent <= 0 && probability > 0) return '<1';
  return String(percent);
}

export function confidenceOf(top: number, second: number): Confidence {
  const s = CONFIDENCE_SCALE;
  if (top - second < s.margin) return 'indeterminate';
  if (top >= s.high) return 'high';
  if (top >= s.moderate) return 'moderate';
  return 'low';
}

/**
 * The headline of a result. `probabilities` are the fused ones (or a single modality's when nothing
 * could be fused); `modalities` the per-modality ones, to flag disagreement. Null without classes.
 */
export function headlineOf(
  probabilities: readonly number[],
  modalities: Partial<Record<ModalityId, readonly number[]>> = {},
): Headline | null {
  if (probabilities.length === 0) return null;
  const order = rankClasses(probabilities);
  const percent = wholePercentages(probabilities);
  const top = order[0]!;
  const second = order.length > 1 ? order[1]! : null;
  const margin = probabilities[top]! - (second === null ? 0 : probabilities[second]!);
  const tops: Partial<Record<ModalityId, number>> = {};
  for (const [m, p] of Object.entries(modalities) as [ModalityId, readonly number[]][]) {
    if (p.length === probabilities.length) tops[m] = rankClasses(p)[0]!;
  }
  const against = (Object.keys(tops) as ModalityId[]).filter((m) => tops[m] !== top);
  return {
    top,
    second,
    confidence: confidenceOf(probabilities[top]!, second === null ? 0 : probabilities[second]!),
    margin,
    ranked: order.map((index) => ({ index, probability: probabilities[index]!, percent: percent[index]! })),
    disagreement: against.length > 0 ? { tops, against } : null,
  };
}
