import { describe, expect, it } from 'vitest';
import {
  auc,
  binaryRates,
  bootstrap,
  classCounts,
  confusionMatrix,
  evaluate,
  mulberry32,
  percentileSorted,
  reliability,
  rocCurve,
  scoreOrder,
  weightedAuc,
} from '../../../src/validation';

describe('ROC and AUC', () => {
  it('matches the scikit-learn roc_curve documentation example', () => {
    expect(rocCurve([false, false, true, true], [0.1, 0.4, 0.35, 0.8])).toEqual({
      fpr: [0, 0, 0.5, 0.5, 1],
      tpr: [0, 0.5, 0.5, 1, 1],
      thresholds: [Infinity, 0.8, 0.4, 0.35, 0.1],
    });
    expect(auc([false, false, true, true], [0.1, 0.4, 0.35, 0.8]).value).toBe(0.75);
  });

  it('collapses tied scores into one point and counts a tie one half', () => {
    const positive = [true, true, false, false];
    const score = [0.8, 0.5, 0.5, 0.2];
    expect(auc(positive, score).value).toBe(0.875);
    const c = rocCurve(positive, score);
    expect('thresholds' in c && c.thresholds).toEqual([Infinity, 0.8, 0.5, 0.2]);
  });

  it('drops collinear points as drop_intermediate does', () => {
    expect(rocCurve([true, true, true, false], [0.9, 0.8, 0.7, 0.1])).toEqual({
      fpr: [0, 0, 0, 1],
      tpr: [0, 1 / 3, 1, 1],
      thresholds: [Infinity, 0.9, 0.7, 0.1],
    });
  });

  it('is undefined, with the reason, without positives or negatives', () => {
    expect(auc([true, true], [0.1, 0.2])).toEqual({ value: null, reason: 'no-negatives' });
    expect(auc([false, false], [0.1, 0.2])).toEqual({ value: null, reason: 'no-positives' });
    expect(rocCurve([], [])).toEqual({ reason: 'no-cases' });
  });

  it('with integer weights equals the AUC of the set with rows repeated', () => {
    const rand = mulberry32(3);
    const positive = Array.from({ length: 60 }, () => rand() < 0.4);
    const score = Array.from({ length: 60 }, () => Math.round(rand() * 10) / 10);
    const weight = Array.from({ length: 60 }, () => Math.floor(rand() * 3));
    const expandedP: boolean[] = [];
    const expandedS: number[] = [];
    weight.forEach((w, i) => {
      for (let k = 0; k < w; k++) {
        expandedP.push(positive[i]!);
        expandedS.push(score[i]!);
      }
    });
    const weighted = weightedAuc(scoreOrder(score), positive, score, weight).value!;
    expect(weighted).toBeCloseTo(auc(expandedP, expandedS).value!, 12);
  });
});

describe('confusion and rates', () => {
  it('predicts by argmax, the first maximum on ties', () => {
    const m = confusionMatrix(
      [0, 1, 2, 2],
      [
        [0.5, 0.5, 0],
        [0.2, 0.7, 0.1],
        [0.4, 0.4, 0.2],
        [0.1, 0.1, 0.8],
      ],
      3,
    );
    expect(m).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [1, 0, 1],
    ]);
    expect(classCounts(m, 0)).toEqual({ tp: 1, fp: 1, fn: 0, tn: 2 });
  });

  it('gives rates, and says why one is undefined', () => {
    expect(binaryRates({ tp: 8, fn: 2, tn: 45, fp: 5 })).toEqual({
      sensitivity: { value: 0.8 },
      specificity: { value: 0.9 },
      ppv: { value: 8 / 13 },
      npv: { value: 45 / 47 },
    });
    expect(binaryRates({ tp: 0, fn: 0, tn: 3, fp: 0 }).sensitivity).toEqual({ value: null, reason: 'zero-denominator' });
  });
});

describe('reliability and ECE', () => {
  it('bins top-label confidence in (b/M, (b+1)/M] and weighs the gaps by bin size', () => {
    const labels = [0, 1, 0, 1];
    const probs = [
      [0.5, 0.5], // confidence 0.5 → bin 4 (0.4, 0.5], predicted 0: right
      [0.55, 0.45], // 0.55 → bin 5, wrong
      [1, 0], // 1 → bin 9, right
      [0.3, 0.7], // 0.7 → bin 6 (0.6, 0.7], right
    ];
    const r = reliability(labels, probs, 10);
    expect(r.bins.map((b) => b.count)).toEqual([0, 0, 0, 0, 1, 1, 1, 0, 0, 1]);
    expect(r.bins[5]).toEqual({ lower: 0.5, upper: 0.6, count: 1, confidence: 0.55, accuracy: 0 });
    expect(r.bins[0]!.confidence).toBeNull();
    expect(r.ece.value).toBeCloseTo((0.5 + 0.55 + 0 + 0.3) / 4, 12);
    expect(reliability([], [], 10).ece).toEqual({ value: null, reason: 'no-cases' });
  });
});

describe('patient bootstrap', () => {
  it('percentiles interpolate linearly, as numpy does', () => {
    expect(percentileSorted([1, 2, 3, 4], 0.25)).toBe(1.75);
    expect(percentileSorted([5], 0.975)).toBe(5);
  });

  it('resamples whole patients: the rows of one patient always share a weight', () => {
    const patients = ['a', 'a', 'b', 'c', 'c', 'c'];
    const seen: number[][] = [];
    bootstrap(patients, (w) => (seen.push([...w]), { x: 0 }), { resamples: 50, seed: 1 });
    for (const w of seen) {
      expect(w[0]).toBe(w[1]);
      expect(w[3]).toBe(w[4]);
      expect(w[4]).toBe(w[5]);
      expect(w[0]! + w[2]! + w[3]!).toBe(3);
    }
    expect(new Set(seen.map((w) => w.join())).size).toBeGreaterThan(5);
  });

  it('is reproducible from the seed and independent of row order', () => {
    const patients = Array.from({ length: 40 }, (_, i) => `p${i % 20}`);
    const values = patients.map((_, i) => (i * 7) % 11);
    const mean = (order: number[]) => (w: Float64Array) => {
      let s = 0;
      let n = 0;
      order.forEach((row, i) => ((s += w[i]! * values[row]!), (n += w[i]!)));
      return { mean: s / n };
    };
    const forward = patients.map((_, i) => i);
    const backward = [...forward].reverse();
    const a = bootstrap(patients, mean(forward), { seed: 5, resamples: 300 });
    expect(bootstrap(patients, mean(forward), { seed: 5, resamples: 300 })).toEqual(a);
    const b = bootstrap(
      backward.map((i) => patients[i]!),
      mean(backward),
      { seed: 5, resamples: 300 },
    );
    expect(b.mean.lower).toBeCloseTo(a.mean.lower!, 12);
    expect(bootstrap(patients, mean(forward), { seed: 6, resamples: 300 }).mean).not.toEqual(a.mean);
  });

  it('counts resamples that miss a class instead of dropping them silently', () => {
    // Ten patients, one of them the only lymphoma: about (9/10)^10 ≈ 35 % of resamples lack it.
    const labels = [0, 0, 0, 0, 0, 2, 2, 2, 2, 1];
    const probs = labels.map((l, i) => [0, 1, 2].map((k) => (k === l ? 0.5 + i / 100 : 0.25 - i / 200)));
    const e = evaluate({ labels, probs, patients: labels.map((_, i) => `p${i}`), classCount: 3 }, { resamples: 400, seed: 2 });
    const missLymphoma = e.classes[1]!.aucCi.undefinedResamples;
    expect(missLymphoma).toBeGreaterThan(80);
    expect(missLymphoma).toBeLessThan(200);
    // Macro AUC is undefined whenever any class is missing (benign, rarely, too).
    const missAny = e.macroAucCi.undefinedResamples;
    expect(missAny).toBeGreaterThanOrEqual(missLymphoma);
    expect(missAny).toBeLessThanOrEqual(missLymphoma + e.classes[2]!.aucCi.undefinedResamples);
    expect(e.classes[0]!.aucCi.undefinedResamples).toBe(0);
  });
});

describe('evaluate', () => {
  it('leaves macro AUC undefined when a class is absent, naming it', () => {
    const labels = [0, 0, 1, 1];
    const probs = [
      [0.7, 0.2, 0.1],
      [0.4, 0.5, 0.1],
      [0.3, 0.6, 0.1],
      [0.2, 0.7, 0.1],
    ];
    const e = evaluate({ labels, probs, patients: ['a', 'b', 'c', 'd'], classCount: 3 }, { resamples: 50 });
    expect(e.macroAuc).toEqual({ value: null, reason: 'class-absent' });
    expect(e.absentClasses).toEqual([2]);
    expect(e.classes[2]!.auc).toEqual({ value: null, reason: 'no-positives' });
    expect(e.classes[2]!.curve).toBeNull();
    expect(e.classes[0]!.auc.value).toBe(1);
    expect(e.macroAucCi).toMatchObject({ lower: null, upper: null, undefinedResamples: 50 });
    expect(e.accuracy.value).toBe(0.75);
  });

  it('refuses inconsistent input', () => {
    expect(() =>
      evaluate({
        labels: [0, 3],
        probs: [
          [1, 0],
          [0, 1],
        ],
        patients: ['a', 'b'],
        classCount: 2,
      }),
    ).toThrow(/out of range/);
    expect(() => evaluate({ labels: [0], probs: [[NaN, 1]], patients: ['a'], classCount: 2 })).toThrow(/bad probabilities/);
    expect(() => evaluate({ labels: [0], probs: [[1, 0]], patients: [], classCount: 2 })).toThrow(/differ in length/);
  });
});
