import { describe, expect, it } from 'vitest';
import { confidenceOf, CONFIDENCE_SCALE, headlineOf, percentText, rankClasses, wholePercentages } from '../../../src/analysis';

describe('headline', () => {
  it('ranks classes by probability, ties in class order', () => {
    expect(rankClasses([0.2, 0.5, 0.3])).toEqual([1, 2, 0]);
    expect(rankClasses([0.4, 0.2, 0.4])).toEqual([0, 2, 1]);
  });

  it('whole percentages add up to 100 and keep the order of the probabilities', () => {
    expect(wholePercentages([0.404, 0.4, 0.196])).toEqual([40, 40, 20]);
    expect(wholePercentages([1 / 3, 1 / 3, 1 / 3]).reduce((a, b) => a + b)).toBe(100);
    expect(wholePercentages([0.995, 0.003, 0.002])).toEqual([100, 0, 0]);
    // …shown as ">99" and "<1": never a certainty the model does not have.
    expect([0.995, 0.003, 0.002].map((p, i) => percentText(p, [100, 0, 0][i]!))).toEqual(['>99', '<1', '<1']);
    expect(percentText(1, 100)).toBe('100');
    expect(percentText(0, 0)).toBe('0');
    expect(percentText(0.42, 42)).toBe('42');
    for (let seed = 1; seed < 200; seed++) {
      const raw = [Math.sin(seed) ** 2, Math.cos(seed * 1.7) ** 2, (seed % 7) / 7];
      const s = raw.reduce((a, b) => a + b);
      const p = raw.map((v) => v / s);
      const w = wholePercentages(p);
      expect(w.reduce((a, b) => a + b)).toBe(100);
      for (let i = 0; i < 3; i++) {
        expect(Math.abs(w[i]! - p[i]! * 100)).toBeLessThan(1);
        for (let j = 0; j < 3; j++) if (p[i]! > p[j]!) expect(w[i]).toBeGreaterThanOrEqual(w[j]!);
      }
    }
  });

  it('confidence scale: indeterminate within the margin, then high / moderate / low by the top probability', () => {
    expect(CONFIDENCE_SCALE).toEqual({ margin: 0.1, high: 0.8, moderate: 0.6 });
    expect(confidenceOf(0.404, 0.4)).toBe('indeterminate');
    expect(confidenceOf(0.55, 0.46)).toBe('indeterminate');
    expect(confidenceOf(0.85, 0.1)).toBe('high');
    expect(confidenceOf(0.8, 0.15)).toBe('high');
    expect(confidenceOf(0.79, 0.15)).toBe('moderate');
    expect(confidenceOf(0.6, 0.3)).toBe('moderate');
    expect(confidenceOf(0.5, 0.3)).toBe('low');
    expect(confidenceOf(0.34, 0.33)).toBe('indeterminate');
  });

  it('the issue’s examples: 40.4 vs 40.0 is no clear call; 34/34/32 with disagreeing modalities is flagged', () => {
    const close = headlineOf([0.404, 0.4, 0.196])!;
    expect(close.top).toBe(0);
    expect(close.confidence).toBe('indeterminate');
    expect(close.ranked.map((r) => r.percent)).toEqual([40, 40, 20]);

    const h = headlineOf([0.34, 0.345, 0.315], {
      bmode: [0.8, 0.1, 0.1],
      cdfi: [0.1, 0.8, 0.1],
      elastography: [0.12, 0.135, 0.745],
    })!;
    expect(h.top).toBe(1);
    expect(h.confidence).toBe('indeterminate');
    expect(h.disagreement).toEqual({ tops: { bmode: 0, cdfi: 1, elastography: 2 }, against: ['bmode', 'elastography'] });
  });

  it('agreeing modalities raise no flag; one modality whose top differs from the fused one does', () => {
    const agree = headlineOf([0.7, 0.2, 0.1], { bmode: [0.6, 0.3, 0.1], cdfi: [0.8, 0.1, 0.1] })!;
    expect(agree.confidence).toBe('moderate');
    expect(agree.disagreement).toBeNull();
    expect(agree.ranked.map((r) => r.index)).toEqual([0, 1, 2]);
    const one = headlineOf([0.5, 0.3, 0.2], { bmode: [0.9, 0.05, 0.05], cdfi: [0.1, 0.55, 0.35] })!;
    expect(one.confidence).toBe('low');
    expect(one.disagreement?.against).toEqual(['cdfi']);
  });

  it('no classes → no headline', () => {
    expect(headlineOf([])).toBeNull();
  });
});
