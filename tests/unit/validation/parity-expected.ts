/**
 * What src/validation computes from a per-case table, as plain JSON: the content of
 * tests/fixtures/validation-expected.json, which vitest recomputes and pytest checks with
 * scikit-learn. Infinite ROC thresholds are left out (JSON has no ∞; the first threshold of every
 * curve is +∞ by definition).
 */

import { MODALITY_IDS } from '../../../src/domain';
import {
  binaryScore,
  chooseThreshold,
  evaluate,
  evaluateThreshold,
  parseCaseTable,
  questionPositives,
  scoresOf,
  type Interval,
  type RowModality,
  type ThresholdRule,
  type Value,
} from '../../../src/validation';

/** Few resamples keep the Python recomputation of every interval quick. */
export const PARITY_BOOTSTRAP = { resamples: 200, seed: 7, level: 0.95 } as const;
export const PARITY_PREVALENCE = 0.3;
export const PARITY_RULES: ThresholdRule[] = [
  { kind: 'sensitivity', target: 0.9 },
  { kind: 'specificity', target: 0.9 },
  { kind: 'youden' },
];

const v = (x: Value) => x.value;
const ci = (i: Interval) => ({ lower: i.lower, upper: i.upper, undefinedResamples: i.undefinedResamples });

export function expectedResults(csv: string) {
  const table = parseCaseTable(csv);
  const groups: RowModality[] = [...MODALITY_IDS, 'fused'];
  const results = Object.fromEntries(
    groups.map((m) => {
      const e = evaluate(scoresOf(table, m), PARITY_BOOTSTRAP);
      return [
        m,
        {
          cases: e.cases,
          patients: e.patients,
          classAuc: e.classes.map((c) => v(c.auc)),
          classAucCi: e.classes.map((c) => ci(c.aucCi)),
          macroAuc: v(e.macroAuc),
          macroAucCi: ci(e.macroAucCi),
          roc: e.classes.map((c) => ({ fpr: c.curve!.fpr, tpr: c.curve!.tpr, thresholds: c.curve!.thresholds.slice(1) })),
          confusion: e.confusion,
          rates: e.classes.map((c) => ({
            sensitivity: v(c.rates.sensitivity),
            specificity: v(c.rates.specificity),
            ppv: v(c.rates.ppv),
            npv: v(c.rates.npv),
          })),
          reliability: e.reliability,
          ece: v(e.ece),
        },
      ];
    }),
  );
  const fused = scoresOf(table, 'fused');
  const q = questionPositives({ kind: 'malignant-vs-benign' }, table.classes);
  if (!q.ok) throw new Error('the fixture has the seed study classes');
  const positive = fused.labels.map((l) => q.positives.includes(l));
  const score = binaryScore(fused.probs, q.positives);
  const operatingPoints = PARITY_RULES.map((rule) => {
    const choice = chooseThreshold(positive, score, rule);
    if (!choice.ok) throw new Error(`no threshold for ${rule.kind}`);
    const r = evaluateThreshold(positive, score, fused.patients, choice.threshold, PARITY_PREVALENCE, PARITY_BOOTSTRAP);
    return {
      rule,
      threshold: r.threshold,
      counts: r.counts,
      sensitivity: v(r.rates.sensitivity),
      specificity: v(r.rates.specificity),
      ppv: v(r.rates.ppv),
      npv: v(r.rates.npv),
      intervals: Object.fromEntries(Object.entries(r.intervals).map(([k, i]) => [k, ci(i)])),
      ppvAtPrevalence: v(r.atPrevalence!.ppv),
      npvAtPrevalence: v(r.atPrevalence!.npv),
    };
  });
  return {
    classes: table.classes,
    bootstrap: PARITY_BOOTSTRAP,
    prevalence: PARITY_PREVALENCE,
    results,
    operatingPoints,
  };
}
