/**
 * Operating points: a clinical yes/no question asked of the pack's probabilities (malignant vs
 * benign, or one class vs the rest), a threshold chosen on this site's set for a target sensitivity,
 * a target specificity or Youden's J, and what that threshold gives here, with patient-resampling
 * intervals. The intervals hold the threshold fixed, so they leave out the optimism of choosing it
 * on the same set; the UI says so. The saved form is a small versioned JSON another workstation
 * imports (`serializeOperatingPoint` / `parseOperatingPoint`).
 */

import { isModalityId, type ClassId, type ModalityId } from '../domain';
import { MANIFEST_LIMITS } from '../model-pack';
import { bootstrap, type BootstrapOptions, type Interval } from './bootstrap';
import { binaryRates, scoreOrder, type BinaryCounts, type BinaryRates, type Value } from './metrics';

export type BinaryQuestion = { kind: 'malignant-vs-benign' } | { kind: 'one-vs-rest'; classId: string };

/** The classes that make "malignant" in the seed study's terms. */
export const MALIGNANT_CLASSES: readonly ClassId[] = ['metastatic', 'lymphoma'];

/** Indices of the pack's classes that answer "yes", or the classes the question needs and the pack lacks. */
export function questionPositives(
  q: BinaryQuestion,
  classes: readonly string[],
): { ok: true; positives: number[] } | { ok: false; missing: string[] } {
  const wanted = q.kind === 'malignant-vs-benign' ? [...MALIGNANT_CLASSES] : [q.classId];
  const missing = wanted.filter((c) => !classes.includes(c));
  if (missing.length > 0) return { ok: false, missing };
  return { ok: true, positives: wanted.map((c) => classes.indexOf(c)) };
}

/** The "yes" score: the summed probability of the positive classes. */
export const binaryScore = (probs: readonly (readonly number[])[], positives: readonly number[]): number[] =>
  probs.map((p) => positives.reduce((s, k) => s + p[k]!, 0));

export type ThresholdRule =
  { kind: 'sensitivity'; target: number } | { kind: 'specificity'; target: number } | { kind: 'youden' };

/** Counts when a case is called positive at score ≥ threshold (optionally weighted rows). */
export function countsAt(
  positive: ArrayLike<boolean>,
  score: ArrayLike<number>,
  threshold: number,
  weight?: ArrayLike<number>,
): BinaryCounts {
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < score.length; i++) {
    const w = weight === undefined ? 1 : weight[i]!;
    const called = score[i]! >= threshold;
    if (positive[i]) {
      if (called) c.tp += w;
      else c.fn += w;
    } else if (called) c.fp += w;
    else c.tn += w;
  }
  return c;
}

export type ThresholdChoice =
  | { ok: true; threshold: number; counts: BinaryCounts }
  | { ok: false; reason: 'no-positives' | 'no-negatives' | 'target-out-of-range' | 'unreachable' };

/**
 * The threshold for `rule`, among the set's distinct scores:
 * - sensitivity ≥ target: the highest such threshold (the most specific one that reaches it);
 * - specificity ≥ target: the lowest such threshold (the most sensitive one);
 * - Youden: the largest sensitivity + specificity − 1, the highest threshold among equals.
 * `unreachable` when only "never positive" would do (a specificity of 1 above every negative score
 * that no case reaches).
 */
export function chooseThreshold(positive: readonly boolean[], score: readonly number[], rule: ThresholdRule): ThresholdChoice {
  if (rule.kind !== 'youden' && !(rule.target >= 0 && rule.target <= 1)) return { ok: false, reason: 'target-out-of-range' };
  const P = positive.filter(Boolean).length;
  const N = positive.length - P;
  if (P === 0) return { ok: false, reason: 'no-positives' };
  if (N === 0) return { ok: false, reason: 'no-negatives' };
  const order = scoreOrder(score);
  let tp = 0;
  let fp = 0;
  let best: { threshold: number; tp: number; fp: number } | null = null;
  let bestJ = -Infinity;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (positive[i]) tp++;
    else fp++;
    const next = order[k + 1];
    if (next !== undefined && score[next] === score[i]) continue;
    // Threshold score[i]: every case scoring at least this much is called positive.
    const sens = tp / P;
    const spec = (N - fp) / N;
    if (rule.kind === 'sensitivity') {
      if (sens >= rule.target) {
        best = { threshold: score[i]!, tp, fp };
        break;
      }
    } else if (rule.kind === 'specificity') {
      if (spec >= rule.target) best = { threshold: score[i]!, tp, fp };
      else break;
    } else if (sens + spec - 1 > bestJ) {
      bestJ = sens + spec - 1;
      best = { threshold: score[i]!, tp, fp };
    }
  }
  if (best === null) return { ok: false, reason: 'unreachable' };
  return { ok: true, threshold: best.threshold, counts: { tp: best.tp, fp: best.fp, fn: P - best.tp, tn: N - best.fp } };
}

/** PPV at prevalence π (Bayes): sens·π / (sens·π + (1 − spec)(1 − π)). */
export function ppvAtPrevalence(sensitivity: number, specificity: number, prevalence: number): number | null {
  const den = sensitivity * prevalence + (1 - specificity) * (1 - prevalence);
  return den > 0 ? (sensitivity * prevalence) / den : null;
}

/** NPV at prevalence π: spec·(1 − π) / (spec·(1 − π) + (1 − sens)·π). */
export function npvAtPrevalence(sensitivity: number, specificity: number, prevalence: number): number | null {
  const den = specificity * (1 - prevalence) + (1 - sensitivity) * prevalence;
  return den > 0 ? (specificity * (1 - prevalence)) / den : null;
}

export interface OperatingPointResult {
  threshold: number;
  counts: BinaryCounts;
  rates: BinaryRates;
  intervals: Record<'sensitivity' | 'specificity' | 'ppv' | 'npv', Interval>;
  /** At the prevalence the user entered (the set's own prevalence is in `rates`). */
  atPrevalence: { prevalence: number; ppv: Value; npv: Value; ppvInterval: Interval; npvInterval: Interval } | null;
}

/** What `threshold` gives on the set, with intervals; `prevalence` in (0, 1) adds Bayes' PPV/NPV. */
export function evaluateThreshold(
  positive: readonly boolean[],
  score: readonly number[],
  patients: readonly string[],
  threshold: number,
  prevalence: number | null,
  options: BootstrapOptions = {},
): OperatingPointResult {
  if (prevalence !== null && !(prevalence > 0 && prevalence < 1)) throw new RangeError('prevalence must be in (0, 1)');
  const counts = countsAt(positive, score, threshold);
  const rates = binaryRates(counts);
  const cis = bootstrap(
    patients,
    (w) => {
      const r = binaryRates(countsAt(positive, score, threshold, w));
      const sens = r.sensitivity.value;
      const spec = r.specificity.value;
      const both = sens !== null && spec !== null && prevalence !== null;
      return {
        sensitivity: sens,
        specificity: spec,
        ppv: r.ppv.value,
        npv: r.npv.value,
        ppvPrev: both ? ppvAtPrevalence(sens, spec, prevalence) : null,
        npvPrev: both ? npvAtPrevalence(sens, spec, prevalence) : null,
      };
    },
    options,
  );
  let atPrevalence: OperatingPointResult['atPrevalence'] = null;
  if (prevalence !== null) {
    const sens = rates.sensitivity.value;
    const spec = rates.specificity.value;
    const val = (v: number | null): Value => (v === null ? { value: null, reason: 'zero-denominator' } : { value: v });
    atPrevalence = {
      prevalence,
      ppv:
        sens === null || spec === null
          ? { value: null, reason: 'zero-denominator' }
          : val(ppvAtPrevalence(sens, spec, prevalence)),
      npv:
        sens === null || spec === null
          ? { value: null, reason: 'zero-denominator' }
          : val(npvAtPrevalence(sens, spec, prevalence)),
      ppvInterval: cis.ppvPrev,
      npvInterval: cis.npvPrev,
    };
  }
  return {
    threshold,
    counts,
    rates,
    intervals: { sensitivity: cis.sensitivity, specificity: cis.specificity, ppv: cis.ppv, npv: cis.npv },
    atPrevalence,
  };
}

export const OPERATING_POINT_FORMAT = 'lymphscope-operating-point';
export const OPERATING_POINT_VERSION = 1;

/** This site's saved operating point for one pack, as exported and imported. */
export interface OperatingPoint {
  format: typeof OPERATING_POINT_FORMAT;
  version: typeof OPERATING_POINT_VERSION;
  pack: { id: string; sha256: string };
  /** The scores it applies to: one modality's, or the fused case's. */
  modality: ModalityId | 'fused';
  question: BinaryQuestion;
  rule: ThresholdRule;
  threshold: number;
  validation: {
    /** ISO 8601 date-time of the validation run. */
    date: string;
    cases: number;
    patients: number;
    positives: number;
    sensitivity: number | null;
    specificity: number | null;
  };
}

/** The imported file is not an operating point this version reads; `field` names what is wrong. */
export class OperatingPointError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`Operating point: "${field}" ${problem}`);
    this.name = 'OperatingPointError';
  }
}

type Obj = Record<string, unknown>;
const SHA256 = /^[0-9a-f]{64}$/;
// The manifest's rules for pack and class ids (src/model-pack/manifest.ts).
const PACK_ID = /^[a-z0-9][a-z0-9-]*$/;
const CLASS_ID = /^[a-z][a-z0-9-]*$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

function obj(v: unknown, field: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new OperatingPointError(field, 'must be an object');
  return v as Obj;
}
function finite(v: unknown, field: string, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new OperatingPointError(field, `must be a number in [${min}, ${max}]`);
  }
  return v;
}
function count(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw new OperatingPointError(field, 'must be a whole number ≥ 0');
  return v;
}
function text(v: unknown, field: string, pattern: RegExp, maxLength = 100): string {
  if (typeof v !== 'string' || v.length > maxLength || !pattern.test(v)) {
    throw new OperatingPointError(field, `must match ${String(pattern)}, at most ${maxLength} characters`);
  }
  return v;
}
const rate = (v: unknown, field: string) => (v === null ? null : finite(v, field, 0, 1));

function parseQuestion(v: unknown): BinaryQuestion {
  const o = obj(v, 'question');
  if (o.kind === 'malignant-vs-benign') return { kind: 'malignant-vs-benign' };
  if (o.kind === 'one-vs-rest')
    return { kind: 'one-vs-rest', classId: text(o.classId, 'question.classId', CLASS_ID, MANIFEST_LIMITS.classId) };
  throw new OperatingPointError('question.kind', 'must be "malignant-vs-benign" or "one-vs-rest"');
}

function parseRule(v: unknown): ThresholdRule {
  const o = obj(v, 'rule');
  if (o.kind === 'youden') return { kind: 'youden' };
  if (o.kind === 'sensitivity' || o.kind === 'specificity')
    return { kind: o.kind, target: finite(o.target, 'rule.target', 0, 1) };
  throw new OperatingPointError('rule.kind', 'must be "sensitivity", "specificity" or "youden"');
}

/** Checks an imported document field by field; unknown fields are refused, not carried along. */
export function parseOperatingPoint(json: unknown): OperatingPoint {
  const o = obj(json, '(root)');
  if (o.format !== OPERATING_POINT_FORMAT) throw new OperatingPointError('format', `must be "${OPERATING_POINT_FORMAT}"`);
  if (o.version !== OPERATING_POINT_VERSION) throw new OperatingPointError('version', `must be ${OPERATING_POINT_VERSION}`);
  const known = ['format', 'version', 'pack', 'modality', 'question', 'rule', 'threshold', 'validation'];
  const extra = Object.keys(o).find((k) => !known.includes(k));
  if (extra !== undefined) throw new OperatingPointError(extra, 'is not a field of this format');
  const pack = obj(o.pack, 'pack');
  const v = obj(o.validation, 'validation');
  if (o.modality !== 'fused' && !isModalityId(o.modality))
    throw new OperatingPointError('modality', 'must be a modality id or "fused"');
  const validation = {
    date: text(v.date, 'validation.date', ISO_DATE),
    cases: count(v.cases, 'validation.cases'),
    patients: count(v.patients, 'validation.patients'),
    positives: count(v.positives, 'validation.positives'),
    sensitivity: rate(v.sensitivity, 'validation.sensitivity'),
    specificity: rate(v.specificity, 'validation.specificity'),
  };
  if (Number.isNaN(Date.parse(validation.date))) throw new OperatingPointError('validation.date', 'is not a real date');
  if (validation.patients > validation.cases) throw new OperatingPointError('validation.patients', 'exceeds validation.cases');
  if (validation.positives > validation.cases) throw new OperatingPointError('validation.positives', 'exceeds validation.cases');
  return {
    format: OPERATING_POINT_FORMAT,
    version: OPERATING_POINT_VERSION,
    pack: { id: text(pack.id, 'pack.id', PACK_ID, MANIFEST_LIMITS.id), sha256: text(pack.sha256, 'pack.sha256', SHA256) },
    modality: o.modality,
    question: parseQuestion(o.question),
    rule: parseRule(o.rule),
    // A summed probability may exceed 1 by rounding.
    threshold: finite(o.threshold, 'threshold', 0, 1 + 1e-9),
    validation,
  };
}

/** The export file's text (what parseOperatingPoint reads back unchanged). */
export function serializeOperatingPoint(op: OperatingPoint): string {
  return JSON.stringify(parseOperatingPoint(op), null, 2) + '\n';
}

/** Whether an imported point was made for this pack (same id and the same bytes). */
export const appliesToPack = (op: OperatingPoint, pack: { id: string; sha256: string }): boolean =>
  op.pack.id === pack.id && op.pack.sha256 === pack.sha256.toLowerCase();
