/**
 * The app's fusion (src/analysis/fusion.ts) on the fixture shared with the training code
 * (tests/fixtures/fusion-cases.json; training/tests/test_fusion.py runs the same cases), so the
 * fused metrics a pack reports describe the rule the app applies.
 */

import { describe, expect, it } from 'vitest';
import { FusionError, fuse, type ModalityProbabilities } from '../../../src/analysis/fusion';
import { parseManifest, type FusionSpec } from '../../../src/model-pack/manifest';
import { buildManifest, manifestCases, readJson } from './manifest-cases';

interface FusionCase {
  name: string;
  spec: unknown;
  probabilities: ModalityProbabilities;
  fused?: number[] | null;
  error?: 'no-positive-weight' | 'class-count';
}

const { cases } = readJson('tests/fixtures/fusion-cases.json') as { cases: FusionCase[] };

/** The spec as the app reads it: through manifest validation, in a pack that has every modality. */
function specOf(fusion: unknown): FusionSpec {
  const json = buildManifest(manifestCases.cases[0]!) as { modalities: Record<string, unknown>; fusion: unknown };
  json.modalities.elastography = json.modalities.cdfi;
  json.fusion = fusion;
  return parseManifest(json).fusion;
}

describe('fusion on the shared fixture', () => {
  it('covers both rules, missing modalities and both refusals', () => {
    const methods = new Set(cases.map((c) => (c.spec as { method: string }).method));
    expect(methods).toEqual(new Set(['mean', 'weighted-mean']));
    expect(cases.some((c) => Object.keys(c.probabilities).length === 2)).toBe(true);
    expect(new Set(cases.map((c) => c.error).filter(Boolean))).toEqual(new Set(['no-positive-weight', 'class-count']));
  });

  for (const c of cases) {
    it(c.name, () => {
      const spec = specOf(c.spec);
      if (c.error) {
        expect(() => fuse(spec, c.probabilities)).toThrow(FusionError);
        return;
      }
      const got = fuse(spec, c.probabilities);
      if (c.fused === null) {
        expect(got).toBeNull();
        return;
      }
      expect(got).toHaveLength(c.fused!.length);
      got!.forEach((v, i) => expect(Math.abs(v - c.fused![i]!)).toBeLessThanOrEqual(1e-12));
    });
  }
});
