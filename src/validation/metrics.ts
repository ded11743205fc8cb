/**
 * Discrimination and calibration of a pack on a labelled set: one-vs-rest ROC curves and AUCs,
 * macro AUC, the argmax confusion matrix with per-class sensitivity, specificity, PPV and NPV, and a
 * reliability diagram with its ECE, each AUC with a patient-resampling bootstrap interval.
 *
 * Conventions, chosen to match scikit-learn (training/tests/test_validation_parity.py recomputes
 * them from the exported table):
 * - ROC: tied scores form one point (roc_curve); collinear points are dropped (drop_intermediate);
 *   the curve starts at (0, 0) with threshold +∞; a case is positive at threshold t when score ≥ t.
 * - AUC: trapezoidal area under that curve, so ties count one half (roc_auc_score).
 * - Argmax: the first largest probability wins (numpy's argmax).
 * - Reliability bins (M equal-width bins of the top-label confidence c): bin b holds c in
 *   (b/M, (b+1)/M], bin 0 also holds 0. In floating point: b = #{ j ∈ 1…M−1 : j/M < c }, with j/M
 *   one correctly rounded division (not c·M, whose rounding would move values on an edge).
 *   ECE = Σ_b n_b/N · |acc_b − conf_b|.
 */

import { bootstrap, type BootstrapOptions, type Interval } from './bootstrap';

/** Why a number cannot be given. */
export type UndefinedReason = 'no-positives' | 'no-negatives' | 'class-absent' | 'zero-denominator' | 'no-cases';

export type Value = { value: number; reason?: undefined } | { value: null; reason: UndefinedReason };

export interface RocCurve {
  fpr: number[];
  tpr: number[];
  /** thresholds[0] is +∞ (sklearn ≥ 1.3 writes inf; older versions max score + 1). */
  thresholds: number[];
}

/** Indices ordered by score, highest first, with the start of each run of tied scores. */
export function scoreOrder(score: ArrayLike<number>): Int32Array {
  const order = Int32Array.from({ length: score.length }, (_, i) => i);
  return order.sort((a, b) => score[b]! - score[a]! || a - b);
}

/**
 * Walks the cases from the highest score down and calls `at` with the weighted cumulative true and
 * false positives at each distinct score (ties collapsed into one step). No allocation: the
 * bootstrap runs it for every class of every resample.
 */
function eachThreshold(
  order: Int32Array,
  positive: ArrayLike<boolean>,
  score: ArrayLike<number>,
  weight: ArrayLike<number> | undefined,
  at: (tp: number, fp: number, threshold: number) => void,
): void {
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    const w = weight === undefined ? 1 : weight[i]!;
    if (positive[i]) tp += w;
    else fp += w;
    const next = order[k + 1];
    if (next === undefined || score[next] !== score[i]) at(tp, fp, score[i]!);
  }
}

/** Cumulative true/false positives at each distinct score, highest first. */
function cumulative(order: Int32Array, positive: ArrayLike<boolean>, score: ArrayLike<number>) {
  const tps: number[] = [];
  const fps: number[] = [];
  const thresholds: number[] = [];
  eachThreshold(order, positive, score, undefined, (tp, fp, threshold) => {
    tps.push(tp);
    fps.push(fp);
    thresholds.push(threshold);
  });
  return { tps, fps, thresholds };
}

/** One-vs-rest ROC curve, as sklearn.metrics.roc_curve (drop_intermediate=True). */
export function rocCurve(positive: ArrayLike<boolean>, score: ArrayLike<number>): RocCurve | { reason: UndefinedReason } {
  let { tps, fps, thresholds } = cumulative(scoreOrder(score), positive, score);
  const p = tps[tps.length - 1] ?? 0;
  const n = fps[fps.length - 1] ?? 0;
  if (score.length === 0) return { reason: 'no-cases' };
  if (p === 0) return { reason: 'no-positives' };
  if (n === 0) return { reason: 'no-negatives' };
  if (tps.length > 2) {
    // Keep a point unless both counts change linearly through it (second differences zero).
    const keep = tps.map(
      (_, i) =>
        i === 0 ||
        i === tps.length - 1 ||
        fps[i + 1]! - 2 * fps[i]! + fps[i - 1]! !== 0 ||
        tps[i + 1]! - 2 * tps[i]! + tps[i - 1]! !== 0,
    );
    tps = tps.filter((_, i) => keep[i]);
    fps = fps.filter((_, i) => keep[i]);
    thresholds = thresholds.filter((_, i) => keep[i]);
  }
  return {
    fpr: [0, ...fps.map((f) => f / n)],
    tpr: [0, ...tps.map((t) => t / p)],
    thresholds: [Infinity, ...thresholds],
  };
}

/**
 * Binary ROC AUC with optional integer weights per case (a bootstrap resample), over the ordering
 * `order` = scoreOrder(score) computed once. Equals sklearn.metrics.roc_auc_score on the resampled
 * multiset: ties collapse to one trapezoid step, so they count one half.
 */
export function weightedAuc(
  order: Int32Array,
  positive: ArrayLike<boolean>,
  score: ArrayLike<number>,
  weight?: ArrayLike<number>,
): Value {
  // The area in counts (false positives × true positives), scaled to the unit square at the end.
  let area = 0;
  let tp = 0;
  let fp = 0;
  eachThreshold(order, positive, score, weight, (t, f) => {
    area += ((f - fp) * (t + tp)) / 2;
    tp = t;
    fp = f;
  });
  if (tp === 0 && fp === 0) return { value: null, reason: 'no-cases' };
  if (tp === 0) return { value: null, reason: 'no-positives' };
  if (fp === 0) return { value: null, reason: 'no-negatives' };
  area /= tp * fp;
  return { value: area };
}

export const auc = (positive: ArrayLike<boolean>, score: ArrayLike<number>): Value =>
  weightedAuc(scoreOrder(score), positive, score);

/** Index of the first largest value. */
export function argmax(v: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

export interface LabelledScores {
  /** True class index per row. */
  labels: readonly number[];
  /** Probability vector per row, one entry per class. */
  probs: readonly (readonly number[])[];
  /** Patient id per row: the bootstrap's resampling unit. */
  patients: readonly string[];
  classCount: number;
}

export function checkScores(s: LabelledScores): void {
  const n = s.labels.length;
  if (s.probs.length !== n || s.patients.length !== n)
    throw new RangeError('labels, probabilities and patients differ in length');
  s.labels.forEach((l, i) => {
    if (!Number.isInteger(l) || l < 0 || l >= s.classCount) throw new RangeError(`row ${i}: class index ${l} out of range`);
    const p = s.probs[i]!;
    if (p.length !== s.classCount || p.some((x) => !Number.isFinite(x))) throw new RangeError(`row ${i}: bad probabilities`);
  });
}

/** Confusion counts: matrix[true][predicted], prediction by argmax. */
export function confusionMatrix(
  labels: readonly number[],
  probs: readonly (readonly number[])[],
  classCount: number,
): number[][] {
  const m = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  labels.forEach((l, i) => m[l]![argmax(probs[i]!)]!++);
  return m;
}

export interface BinaryCounts {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface BinaryRates {
  sensitivity: Value;
  specificity: Value;
  ppv: Value;
  npv: Value;
}

const ratio = (num: number, den: number): Value => (den > 0 ? { value: num / den } : { value: null, reason: 'zero-denominator' });

export function binaryRates(c: BinaryCounts): BinaryRates {
  return {
    sensitivity: ratio(c.tp, c.tp + c.fn),
    specificity: ratio(c.tn, c.tn + c.fp),
    ppv: ratio(c.tp, c.tp + c.fp),
    npv: ratio(c.tn, c.tn + c.fn),
  };
}

/** Class k against the rest, from the confusion matrix. */
export function classCounts(matrix: readonly (readonly number[])[], k: number): BinaryCounts {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let total = 0;
  matrix.forEach((row, t) =>
    row.forEach((count, p) => {
      total += count;
      if (t === k && p === k) tp += count;
      else if (p === k) fp += count;
      else if (t === k) fn += count;
    }),
  );
  return { tp, fp, fn, tn: total - tp - fp - fn };
}

export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  /** Mean top-label confidence and accuracy of the bin; null when it is empty. */
  confidence: number | null;
  accuracy: number | null;
}

export function reliability(
  labels: readonly number[],
  probs: readonly (readonly number[])[],
  binCount = 10,
): { bins: ReliabilityBin[]; ece: Value } {
  const count = new Array<number>(binCount).fill(0);
  const confSum = new Array<number>(binCount).fill(0);
  const correct = new Array<number>(binCount).fill(0);
  labels.forEach((l, i) => {
    const p = probs[i]!;
    const top = argmax(p);
    const c = p[top]!;
    let b = 0;
    while (b < binCount - 1 && (b + 1) / binCount < c) b++;
    count[b]!++;
    confSum[b]! += c;
    if (top === l) correct[b]!++;
  });
  const n = labels.length;
  const bins = count.map((k, b) => ({
    lower: b / binCount,
    upper: (b + 1) / binCount,
    count: k,
    confidence: k > 0 ? confSum[b]! / k : null,
    accuracy: k > 0 ? correct[b]! / k : null,
  }));
  if (n === 0) return { bins, ece: { value: null, reason: 'no-cases' } };
  const ece = bins.reduce((s, bin) => (bin.count > 0 ? s + (bin.count / n) * Math.abs(bin.accuracy! - bin.confidence!) : s), 0);
  return { bins, ece: { value: ece } };
}

export interface ClassReport {
  auc: Value;
  aucCi: Interval;
  curve: RocCurve | null;
  positives: number;
  rates: BinaryRates;
  counts: BinaryCounts;
}

export interface Evaluation {
  cases: number;
  patients: number;
  classes: ClassReport[];
  macroAuc: Value;
  /** Classes with no case (macro AUC is then undefined), by index. */
  absentClasses: number[];
  macroAucCi: Interval;
  confusion: number[][];
  accuracy: Value;
  reliability: ReliabilityBin[];
  ece: Value;
}

/** Everything the results view shows for one modality (or the fused cases). */
export function evaluate(s: LabelledScores, options: BootstrapOptions & { bins?: number } = {}): Evaluation {
  checkScores(s);
  const K = s.classCount;
  const positives = Array.from({ length: K }, (_, k) => s.labels.map((l) => l === k));
  const scores = Array.from({ length: K }, (_, k) => Float64Array.from(s.probs, (p) => p[k]!));
  const orders = scores.map(scoreOrder);
  const aucAt = (k: number, w?: Float64Array) => weightedAuc(orders[k]!, positives[k]!, scores[k]!, w);
  const macroOf = (w?: Float64Array): Value => {
    const per = Array.from({ length: K }, (_, k) => aucAt(k, w));
    if (per.some((v) => v.value === null)) return { value: null, reason: 'class-absent' };
    return { value: per.reduce((a, v) => a + v.value!, 0) / K };
  };
  const cis = bootstrap(
    s.patients,
    (w) => {
      const out: Record<string, number | null> = { macro: macroOf(w).value };
      for (let k = 0; k < K; k++) out[`c${k}`] = aucAt(k, w).value;
      return out;
    },
    options,
  );
  const confusion = confusionMatrix(s.labels, s.probs, K);
  const rel = reliability(s.labels, s.probs, options.bins);
  const classes = Array.from({ length: K }, (_, k): ClassReport => {
    const curve = rocCurve(positives[k]!, scores[k]!);
    const counts = classCounts(confusion, k);
    return {
      auc: aucAt(k),
      aucCi: cis[`c${k}`]!,
      curve: 'reason' in curve ? null : curve,
      positives: positives[k]!.filter(Boolean).length,
      counts,
      rates: binaryRates(counts),
    };
  });
  const correct = confusion.reduce((a, row, k) => a + row[k]!, 0);
  return {
    cases: s.labels.length,
    patients: new Set(s.patients).size,
    classes,
    macroAuc: macroOf(),
    absentClasses: classes.flatMap((c, k) => (c.positives === 0 ? [k] : [])),
    macroAucCi: cis.macro!,
    confusion,
    accuracy: ratio(correct, s.labels.length),
    reliability: rel.bins,
    ece: rel.ece,
  };
}
