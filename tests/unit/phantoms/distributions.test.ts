import { describe, expect, it } from 'vitest';
import {
  CLASS_DISTRIBUTIONS,
  CLASS_NAMES,
  STIFF_FRACTION_RANGES,
  VASCULAR_PATTERNS,
  sampleParams,
  type NodeClass,
  type PhantomParams,
} from '../../../src/phantoms';

const N = 300;
const sample = (cls: NodeClass): PhantomParams[] => Array.from({ length: N }, (_, k) => sampleParams(1000 + k, cls));
const byClass = Object.fromEntries(CLASS_NAMES.map((c) => [c, sample(c)])) as Record<NodeClass, PhantomParams[]>;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const share = (ps: PhantomParams[], f: (p: PhantomParams) => boolean): number => ps.filter(f).length / ps.length;
/** Four binomial standard errors: a wrong distribution fails, sampling noise does not. */
const tol = (p: number): number => 4 * Math.sqrt((p * (1 - p)) / N) + 0.01;

describe('sampled signs follow the declared per-class distributions', () => {
  for (const cls of CLASS_NAMES) {
    const d = CLASS_DISTRIBUTIONS[cls];
    const ps = byClass[cls];
    it(`${cls}: short/long ratio, size, hilum, necrosis, calcification`, () => {
      // The sampler resamples outside [min, max], which shifts the mean a little for the wide benign spread.
      expect(Math.abs(mean(ps.map((p) => p.shortLongRatio)) - d.shortLongRatio.mean)).toBeLessThan(0.035);
      expect(Math.abs(mean(ps.map((p) => p.shortAxisMm)) - d.shortAxisMm.mean)).toBeLessThan(1.2);
      expect(Math.abs(share(ps, (p) => p.hilumPresent) - d.hilumProbability)).toBeLessThan(tol(d.hilumProbability));
      expect(Math.abs(share(ps, (p) => p.necrosisPresent) - d.necrosisProbability)).toBeLessThan(tol(d.necrosisProbability));
      expect(Math.abs(share(ps, (p) => p.calcificationCount > 0) - d.calcificationProbability)).toBeLessThan(
        tol(d.calcificationProbability),
      );
      for (const p of ps) {
        expect(p.shortLongRatio).toBeGreaterThanOrEqual(d.shortLongRatio.min - 0.01);
        expect(p.shortLongRatio).toBeLessThanOrEqual(1);
        expect(p.hilumPresent || p.hilumWidthFrac === 0).toBe(true);
      }
    });

    it(`${cls}: vascular pattern and elasticity score frequencies`, () => {
      const total = VASCULAR_PATTERNS.reduce((a, k) => a + d.vascularWeights[k], 0);
      for (const k of VASCULAR_PATTERNS) {
        const expected = d.vascularWeights[k] / total;
        expect(Math.abs(share(ps, (p) => p.vascularPattern === k) - expected)).toBeLessThan(tol(expected));
      }
      const eTotal = d.elasticityWeights.reduce((a, b) => a + b, 0);
      for (let s = 1; s <= 4; s++) {
        const expected = d.elasticityWeights[s - 1]! / eTotal;
        expect(Math.abs(share(ps, (p) => p.elasticityScore === s) - expected)).toBeLessThan(tol(expected));
      }
      for (const p of ps) {
        const [lo, hi] = STIFF_FRACTION_RANGES[p.elasticityScore];
        expect(p.stiffFraction).toBeGreaterThanOrEqual(lo);
        expect(p.stiffFraction).toBeLessThanOrEqual(hi);
      }
    });
  }

  it('orders the classes as the literature does', () => {
    const ratio = (c: NodeClass): number => mean(byClass[c].map((p) => p.shortLongRatio));
    const echo = (c: NodeClass): number => mean(byClass[c].map((p) => Math.log(p.echogenicity)));
    expect(ratio('benign')).toBeLessThan(ratio('metastatic') - 0.1);
    expect(echo('lymphoma')).toBeLessThan(echo('benign') - 0.5);
    expect(share(byClass.benign, (p) => p.hilumPresent)).toBeGreaterThan(share(byClass.metastatic, (p) => p.hilumPresent) + 0.3);
    expect(share(byClass.metastatic, (p) => p.necrosisPresent)).toBeGreaterThan(0.2);
  });

  it('keeps the classes overlapping: no single sign separates them', () => {
    // Round reactive nodes, metastases that keep a hilum, soft lymphomas, hilar flow in malignancy.
    expect(share(byClass.benign, (p) => p.shortLongRatio >= 0.5)).toBeGreaterThan(0.3);
    expect(share(byClass.metastatic, (p) => p.hilumPresent)).toBeGreaterThan(0.15);
    expect(share(byClass.lymphoma, (p) => p.elasticityScore <= 2)).toBeGreaterThan(0.3);
    expect(share(byClass.metastatic, (p) => p.vascularPattern === 'hilar')).toBeGreaterThan(0.05);
    // Best single threshold on any numeric sign, metastatic vs benign, stays well below perfect accuracy.
    for (const key of ['shortLongRatio', 'shortAxisMm', 'echogenicity', 'borderSharpness', 'stiffFraction'] as const) {
      const values = [
        ...byClass.metastatic.map((p) => ({ v: p[key], y: 1 })),
        ...byClass.benign.map((p) => ({ v: p[key], y: 0 })),
      ];
      values.sort((a, b) => a.v - b.v);
      let best = 0;
      let below1 = 0;
      for (let i = 0; i < values.length; i++) {
        below1 += values[i]!.y;
        const below0 = i + 1 - below1;
        const acc = Math.max(below0 + (N - below1), below1 + (N - below0)) / (2 * N);
        best = Math.max(best, acc);
      }
      expect(best, key).toBeLessThan(0.9);
    }
  });
});
