import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decideInputCheck, gateProbabilities, mahalanobis } from '../../../src/analysis';
import { colourFeatures } from '../../../src/imaging';
import { parseInputCheck } from '../../../src/model-pack';
import type { ModalityId } from '../../../src/domain';

interface Case {
  slot: ModalityId;
  features: number[];
  /** Colour, then texture statistics. */
  handcrafted: number[];
  gate: number[];
  distance: number;
  textureDistance: number;
  verdict: string;
}
// Written by training's numpy code (training/input_gate.py); training/tests/test_input_gate.py
// checks the same file, so the app and the training code compute the same verdicts.
const fixture = JSON.parse(readFileSync('tests/fixtures/input-check-cases.json', 'utf8')) as {
  params: unknown;
  cases: Case[];
  colourCases: { width: number; height: number; rgb: number[]; expected: number[] }[];
};
const params = parseInputCheck(fixture.params, 'fixture');

describe('input-check arithmetic (same as training/input_gate.py)', () => {
  it.each(fixture.cases.map((c, i) => [i, c] as const))('case %i', (_i, c) => {
    const probs = gateProbabilities(params, c.features, c.handcrafted);
    probs.forEach((p, k) => expect(p).toBeCloseTo(c.gate[k]!, 9));
    expect(mahalanobis(params.ood, c.features) / c.distance).toBeCloseTo(1, 9);
    const outcome = decideInputCheck(c.slot, null, params, c.features, c.handcrafted);
    expect(outcome.verdict).toBe(c.verdict);
    expect(outcome.scores!.textureDistance! / c.textureDistance).toBeCloseTo(1, 9);
  });

  it.each(fixture.colourCases.map((c, i) => [i, c] as const))('colour statistics, image %i', (_i, c) => {
    const data = new Uint8ClampedArray(c.width * c.height * 4);
    for (let i = 0; i < c.width * c.height; i++) data.set([...c.rgb.slice(i * 3, i * 3 + 3), 255], i * 4);
    const got = colourFeatures({ width: c.width, height: c.height, data }, params.colourChromaMin);
    got.forEach((v, k) => expect(v).toBeCloseTo(c.expected[k]!, 12));
  });

  it('flags an image out of distribution by its texture statistics alone', () => {
    const c = fixture.cases.find(
      (x) =>
        x.verdict === 'out-of-distribution' &&
        x.distance <= params.ood.threshold &&
        x.textureDistance > params.textureOod!.threshold,
    );
    expect(c).toBeDefined();
    const withoutTexture = { ...params, textureOod: undefined };
    expect(decideInputCheck(c!.slot, null, withoutTexture, c!.features, c!.handcrafted).verdict).toBe('ok');
  });

  it('claims each modality at its own calibrated confidence', () => {
    const c = fixture.cases.find((x) => x.verdict === 'wrong-modality')!;
    const top = params.gateClasses[c.gate.indexOf(Math.max(...c.gate))] as ModalityId;
    const onlyThat = { ...params, wrongModalityMinProbabilityBy: { ...params.wrongModalityMinProbabilityBy, [top]: 1 } };
    expect(decideInputCheck(c.slot, null, onlyThat, c.features, c.handcrafted).verdict).not.toBe('wrong-modality');
    const byDefault = { ...params, wrongModalityMinProbabilityBy: {}, wrongModalityMinProbability: 0 };
    expect(decideInputCheck(c.slot, null, byDefault, c.features, c.handcrafted).verdict).toBe('wrong-modality');
  });

  it('covers every learned verdict', () => {
    expect(new Set(fixture.cases.map((c) => c.verdict))).toEqual(
      new Set(['ok', 'not-ultrasound', 'wrong-modality', 'out-of-distribution']),
    );
  });
});

describe('decideInputCheck', () => {
  const inDist = fixture.cases.find((c) => c.verdict === 'ok')!;
  it('puts a pixel-rule failure first, keeping the learned scores for the record', () => {
    const o = decideInputCheck(inDist.slot, 'blank', params, inDist.features, inDist.handcrafted);
    expect(o).toMatchObject({ verdict: 'low-quality', quality: 'blank', learned: true });
    expect(o.scores?.distance).toBeGreaterThanOrEqual(0);
  });
  it('names the modality a wrong-modality image looks like', () => {
    const c = fixture.cases.find((x) => x.verdict === 'wrong-modality')!;
    const o = decideInputCheck(c.slot, null, params, c.features, c.handcrafted);
    const top = params.gateClasses[c.gate.indexOf(Math.max(...c.gate))];
    expect(o.looksLike).toBe(top);
    expect(o.looksLike).not.toBe(c.slot);
    expect(Math.max(...c.gate)).toBeGreaterThanOrEqual(params.wrongModalityMinProbabilityBy[o.looksLike!]!);
  });
  it('claims another modality only at the calibrated confidence', () => {
    const c = fixture.cases.find((x) => x.verdict === 'wrong-modality')!;
    const sure = { ...params, wrongModalityMinProbabilityBy: { bmode: 1, cdfi: 1, elastography: 1 } };
    expect(decideInputCheck(c.slot, null, sure, c.features, c.handcrafted).verdict).not.toBe('wrong-modality');
  });
  it('without learned checks: ok or low-quality, marked as not learned', () => {
    expect(decideInputCheck('bmode', null, undefined, undefined)).toEqual({ verdict: 'ok', learned: false });
    expect(decideInputCheck('cdfi', 'tiny', undefined, undefined)).toEqual({
      verdict: 'low-quality',
      quality: 'tiny',
      learned: false,
    });
  });
  it('refuses features of the wrong length', () => {
    expect(() => decideInputCheck('bmode', null, params, [1, 2, 3], inDist.handcrafted)).toThrow(/expects 6 features/);
    expect(() => decideInputCheck('bmode', null, params, inDist.features, [1])).toThrow(/colour and texture features/);
  });
});
