import { describe, expect, it } from 'vitest';
import {
  CLASS_DISTRIBUTIONS,
  CLASS_DISTRIBUTIONS_V2,
  CLASS_NAMES,
  STIFF_FRACTION_RANGES,
  VASCULAR_PATTERNS,
  sampleParams,
  sampleParamsV2,
  type NodeClass,
  type PhantomParamsV2,
} from '../../../src/phantoms';
import { HILUM_STATES, NECK_LEVELS, PROBES, STRAIN_SCALES, VENDOR_LAYOUTS } from '../../../src/phantoms/v2/params';

const N = 3000;
const cache = new Map<NodeClass, PhantomParamsV2[]>();
function samples(cls: NodeClass): PhantomParamsV2[] {
  let s = cache.get(cls);
  if (!s) {
    s = Array.from({ length: N }, (_, k) => sampleParamsV2(1000 + k, cls));
    cache.set(cls, s);
  }
  return s;
}
const rate = (xs: PhantomParamsV2[], f: (p: PhantomParamsV2) => boolean): number => xs.filter(f).length / xs.length;
// Binomial standard error at N = 3000 is at most 0.009: 0.035 is about four of them.
const TOL = 0.035;

describe('generator v2: class signs keep version 1 frequencies (docs/phantoms.md)', () => {
  for (const cls of CLASS_NAMES) {
    it(`${cls}: hilum, necrosis, calcification, vascular pattern and elasticity score`, () => {
      const d = CLASS_DISTRIBUTIONS[cls];
      const xs = samples(cls);
      expect(Math.abs(rate(xs, (p) => p.hilumPresent) - d.hilumProbability)).toBeLessThan(TOL);
      expect(Math.abs(rate(xs, (p) => p.necrosisPresent) - d.necrosisProbability)).toBeLessThan(TOL);
      expect(Math.abs(rate(xs, (p) => p.calcificationCount > 0) - d.calcificationProbability)).toBeLessThan(TOL);
      const vw = VASCULAR_PATTERNS.reduce((a, k) => a + d.vascularWeights[k], 0);
      for (const v of VASCULAR_PATTERNS) {
        expect(Math.abs(rate(xs, (p) => p.vascularPattern === v) - d.vascularWeights[v] / vw), v).toBeLessThan(TOL);
      }
      const ew = d.elasticityWeights.reduce((a, b) => a + b, 0);
      for (const score of [1, 2, 3, 4] as const) {
        expect(Math.abs(rate(xs, (p) => p.elasticityScore === score) - d.elasticityWeights[score - 1]! / ew)).toBeLessThan(TOL);
      }
      for (const p of xs) {
        const [lo, hi] = STIFF_FRACTION_RANGES[p.elasticityScore];
        expect(p.stiffFraction).toBeGreaterThanOrEqual(lo);
        expect(p.stiffFraction).toBeLessThanOrEqual(hi);
      }
    });

    it(`${cls}: version 2's morphology signs at their class frequencies`, () => {
      const d2 = CLASS_DISTRIBUTIONS_V2[cls];
      const xs = samples(cls);
      expect(Math.abs(rate(xs, (p) => p.lobulated) - d2.lobulatedProbability)).toBeLessThan(TOL);
      expect(Math.abs(rate(xs, (p) => p.mattedCount > 0) - d2.mattedProbability)).toBeLessThan(TOL);
      expect(Math.abs(rate(xs, (p) => p.coagulativeNecrosis) - d2.coagulativeNecrosisProbability)).toBeLessThan(TOL);
      expect(Math.abs(rate(xs, (p) => p.coarseCalcifications > 0) - d2.coarseCalcificationProbability)).toBeLessThan(TOL);
      const withHilum = xs.filter((p) => p.hilumPresent);
      expect(Math.abs(rate(withHilum, (p) => p.hilumState === 'narrowed') - d2.narrowedHilumShare)).toBeLessThan(2 * TOL);
      const lw = NECK_LEVELS.reduce((a, k) => a + d2.levelWeights[k], 0);
      for (const level of NECK_LEVELS) {
        expect(Math.abs(rate(xs, (p) => p.level === level) - d2.levelWeights[level] / lw), level).toBeLessThan(TOL);
      }
      // The hilum state and the version 1 fields agree.
      for (const p of xs) {
        expect(p.hilumPresent).toBe(p.hilumState !== 'absent');
        expect(HILUM_STATES).toContain(p.hilumState);
        if (p.hilumState === 'narrowed') expect(p.hilumWidthFrac).toBeLessThan(0.17);
        if (p.hilumState === 'wide') expect(p.hilumWidthFrac).toBeGreaterThanOrEqual(0.2);
      }
    });
  }

  it('orders the classes as the literature does', () => {
    const r = (cls: NodeClass, f: (p: PhantomParamsV2) => boolean): number => rate(samples(cls), f);
    expect(r('metastatic', (p) => p.hilumState === 'absent')).toBeGreaterThan(
      r('benign', (p) => p.hilumState === 'absent') + 0.4,
    );
    expect(r('metastatic', (p) => p.hilumState === 'narrowed')).toBeGreaterThan(r('benign', (p) => p.hilumState === 'narrowed'));
    expect(r('metastatic', (p) => p.coagulativeNecrosis)).toBeGreaterThan(r('lymphoma', (p) => p.coagulativeNecrosis));
    expect(r('lymphoma', (p) => p.mattedCount > 0)).toBeGreaterThan(r('benign', (p) => p.mattedCount > 0));
    expect(r('metastatic', (p) => p.lobulated)).toBeGreaterThan(r('benign', (p) => p.lobulated));
    expect(r('metastatic', (p) => p.level === 'VI')).toBeGreaterThan(r('benign', (p) => p.level === 'VI'));
  });

  it('draws the scanner independently of the class: probes, vendors, colour scales, JPEG', () => {
    for (const cls of CLASS_NAMES) {
      const xs = samples(cls);
      expect(Math.abs(rate(xs, (p) => p.probe === 'curvilinear') - 0.3)).toBeLessThan(TOL);
      expect(Math.abs(rate(xs, (p) => p.jpegQuality > 0) - 0.65)).toBeLessThan(TOL);
      for (const v of VENDOR_LAYOUTS) expect(rate(xs, (p) => p.layout === v)).toBeGreaterThan(0.2);
      for (const s of STRAIN_SCALES) expect(rate(xs, (p) => p.strainScale === s)).toBeGreaterThan(0.2);
      for (const p of xs) {
        expect(PROBES).toContain(p.probe);
        if (p.jpegQuality > 0) expect(p.jpegQuality).toBeGreaterThanOrEqual(45);
        // The node fits the field with tissue around it.
        expect(p.centerDepthMm + p.shortAxisMm / 2).toBeLessThan(p.depthMm);
      }
    }
  });

  it('keeps every version 1 parameter (labels.csv columns) and is plain JSON', () => {
    const v1 = Object.keys(sampleParams(5, 'benign'));
    const v2 = sampleParamsV2(5, 'benign');
    for (const k of v1) expect(v2).toHaveProperty(k);
    expect(JSON.parse(JSON.stringify(v2))).toEqual(v2);
    expect(sampleParamsV2(5, 'benign')).toEqual(v2);
    expect(sampleParamsV2(6, 'benign')).not.toEqual(v2);
  });
});
