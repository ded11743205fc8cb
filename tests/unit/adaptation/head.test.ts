/** Head adaptation on synthetic pooled features with a known site shift, and its honesty checks. */

import { describe, expect, it } from 'vitest';
import { adaptHead, fitTemperature, groupKFold, softmax, type Head } from '../../../src/adaptation';
import { mulberry32 } from '../../../src/validation';

const D = 16;
const K = 3;

/** Gaussian-ish features around per-class means; `shift` moves the site's means. */
function site(seed: number, patients: number, perPatient: number, means: number[][]) {
  const rand = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const features: Float32Array[] = [];
  const labels: number[] = [];
  const ids: string[] = [];
  for (let p = 0; p < patients; p++) {
    const y = p % K;
    for (let j = 0; j < perPatient; j++) {
      features.push(Float32Array.from(means[y]!, (m) => Math.max(0, m + 0.8 * normal())));
      labels.push(y);
      ids.push(`p${p}`);
    }
  }
  return { features, labels, patients: ids };
}

const sourceMeans = [0, 1, 2].map((c) => Array.from({ length: D }, (_, i) => (i % K === c ? 2 : 0.5)));
// The new site: classes 1 and 2 swapped their look on half the features, class 0 moved.
const siteMeans = [0, 1, 2].map((c) =>
  Array.from({ length: D }, (_, i) => (i < D / 2 ? (i % K === [1, 2, 0][c] ? 2 : 0.5) : i % K === c ? 2 : 0.5)),
);

/** The pack's head: mean-difference weights for the source site. */
function sourceHead(): Head {
  const kernel = new Float32Array(D * K);
  for (let i = 0; i < D; i++) for (let c = 0; c < K; c++) kernel[i * K + c] = sourceMeans[c]![i]! - 1;
  return { kernel, bias: new Float32Array(K), inDim: D, numClasses: K };
}

describe('head adaptation', () => {
  it('GroupKFold never splits a patient and balances images', () => {
    const patients = Array.from({ length: 103 }, (_, i) => `p${i % 29}`);
    const folds = groupKFold(patients, 5);
    const foldOf = new Map<string, number>();
    patients.forEach((p, i) => {
      expect(foldOf.get(p) ?? folds[i]).toBe(folds[i]);
      foldOf.set(p, folds[i]!);
    });
    const sizes = [0, 1, 2, 3, 4].map((f) => folds.filter((x) => x === f).length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(4);
    expect(() => groupKFold(['a', 'a', 'b'], 5)).toThrow(/at least 5 patients/);
  });

  it('improves held-out macro AUC on a shifted site and reports both with CIs (300 images in seconds)', () => {
    const data = site(7, 60, 5, siteMeans);
    const start = performance.now();
    const r = adaptHead({ ...data, head: sourceHead(), temperature: 1 }, { bootstrap: { resamples: 200 } });
    const ms = performance.now() - start;
    expect(r.before.macroAuc.value!).toBeLessThan(0.75);
    expect(r.after.macroAuc.value!).toBeGreaterThan(r.before.macroAuc.value! + 0.15);
    for (const e of [r.before, r.after]) {
      expect(e.macroAucCi.lower!).toBeLessThanOrEqual(e.macroAuc.value!);
      expect(e.macroAucCi.upper!).toBeGreaterThanOrEqual(e.macroAuc.value!);
    }
    expect(r.folds).toBe(5);
    expect(r.temperature).toBeGreaterThan(0);
    expect(ms).toBeLessThan(20_000);
  });

  it('is not fooled by features that identify the patient when labels carry no signal', () => {
    // Each patient has its own feature signature and a random label: only a leak across folds
    // (images of one patient on both sides) could make this look predictable.
    const rand = mulberry32(3);
    const features: Float32Array[] = [];
    const labels: number[] = [];
    const patients: string[] = [];
    for (let p = 0; p < 60; p++) {
      const signature = Float32Array.from({ length: D }, () => 3 * rand());
      const y = Math.floor(rand() * K);
      for (let j = 0; j < 5; j++) {
        features.push(signature.map((v) => v + 0.05 * rand()));
        labels.push(y);
        patients.push(`p${p}`);
      }
    }
    const r = adaptHead({ features, labels, patients, head: sourceHead(), temperature: 1 }, { bootstrap: { resamples: 100 } });
    expect(r.after.macroAuc.value!).toBeLessThan(0.6);
    // The same data folded by image (each image its own "patient") leaks, and looks predictable:
    // the check above is able to fail.
    const leaky = adaptHead(
      { features, labels, patients: patients.map((_, i) => `image${i}`), head: sourceHead(), temperature: 1 },
      { bootstrap: { resamples: 100 } },
    );
    expect(leaky.after.macroAuc.value!).toBeGreaterThan(0.7);
  });

  it('fits the temperature that calibrates over-confident logits', () => {
    const rand = mulberry32(11);
    const logits: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 600; i++) {
      const y = Math.floor(rand() * K);
      // True model: softmax(z) with z[y] = 1; presented ×4 (over-confident).
      const z = [0, 0, 0];
      z[y] = 1;
      const p = softmax(z);
      const u = rand();
      const drawn = u < p[0]! ? 0 : u < p[0]! + p[1]! ? 1 : 2;
      logits.push(z.map((v) => 4 * v));
      labels.push(drawn);
    }
    expect(fitTemperature(logits, labels)).toBeGreaterThan(2.5);
    expect(fitTemperature(logits, labels)).toBeLessThan(6);
  });
});
