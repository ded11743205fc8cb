import { describe, expect, it } from 'vitest';
import { CLASS_NAMES, sampleParams, type PhantomParams } from '../../../src/phantoms';

/** The signs a B-mode image shows, as numbers (exact values: an upper bound on what a CNN can read). */
function bmodeSigns(p: PhantomParams): number[] {
  return [
    p.shortLongRatio,
    p.shortAxisMm / 10,
    Number(p.hilumPresent),
    p.hilumWidthFrac,
    Math.log(p.echogenicity),
    Number(p.texture === 'reticulated'),
    Number(p.texture === 'heterogeneous'),
    Number(p.necrosisPresent),
    Number(p.calcificationCount > 0),
    p.borderSharpness,
    p.cortexEccentricity,
  ];
}

/** One-vs-rest logistic regression by plain gradient descent; returns a scoring function. */
function fitLogistic(x: number[][], y: number[]): (v: number[]) => number {
  const d = x[0]!.length;
  const w = new Array<number>(d + 1).fill(0);
  for (let it = 0; it < 300; it++) {
    const g = new Array<number>(d + 1).fill(0);
    x.forEach((row, i) => {
      let z = w[d]!;
      for (let j = 0; j < d; j++) z += w[j]! * row[j]!;
      const e = 1 / (1 + Math.exp(-z)) - y[i]!;
      for (let j = 0; j < d; j++) g[j] = g[j]! + e * row[j]!;
      g[d] = g[d]! + e;
    });
    for (let j = 0; j <= d; j++) w[j] = w[j]! - (0.5 * g[j]!) / x.length;
  }
  return (v) => v.reduce((z, vj, j) => z + w[j]! * vj, w[d]!);
}

function auc(scores: number[], labels: number[]): number {
  const order = scores.map((s, i) => [s, labels[i]!] as const).sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  let pos = 0;
  order.forEach(([, l], i) => {
    if (l) {
      rankSum += i + 1;
      pos++;
    }
  });
  const neg = order.length - pos;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

describe('proxy for task difficulty', () => {
  it('exact B-mode signs separate the classes well but not perfectly (macro AUC in [0.85, 0.985])', () => {
    const train = CLASS_NAMES.flatMap((cls, c) =>
      Array.from({ length: 500 }, (_, k) => ({ x: bmodeSigns(sampleParams(k, cls)), c })),
    );
    const test = CLASS_NAMES.flatMap((cls, c) =>
      Array.from({ length: 300 }, (_, k) => ({ x: bmodeSigns(sampleParams(50_000 + k, cls)), c })),
    );
    const aucs = CLASS_NAMES.map((_, c) => {
      const score = fitLogistic(
        train.map((t) => t.x),
        train.map((t) => Number(t.c === c)),
      );
      return auc(
        test.map((t) => score(t.x)),
        test.map((t) => Number(t.c === c)),
      );
    });
    const macro = aucs.reduce((a, b) => a + b, 0) / aucs.length;
    expect(macro).toBeGreaterThan(0.85);
    expect(macro).toBeLessThan(0.985);
  });
});
