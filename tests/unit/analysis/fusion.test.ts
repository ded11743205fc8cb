import { describe, expect, it } from 'vitest';
import { calibratedSoftmax, fuse, FusionError } from '../../../src/analysis/fusion';

describe('fusion', () => {
  it('mean of the modalities present', () => {
    const f = fuse({ method: 'mean' }, { bmode: [0.6, 0.3, 0.1], elastography: [0.2, 0.2, 0.6] })!;
    expect(f[0]).toBeCloseTo(0.4);
    expect(f[1]).toBeCloseTo(0.25);
    expect(f[2]).toBeCloseTo(0.35);
  });

  it('a single modality fuses to itself', () => {
    expect(fuse({ method: 'mean' }, { cdfi: [0.1, 0.7, 0.2] })).toEqual([0.1, 0.7, 0.2]);
  });

  it('weighted mean renormalises over the modalities present and sums to 1', () => {
    const spec = { method: 'weighted-mean' as const, weights: { bmode: 1, cdfi: 1, elastography: 2 } };
    const f = fuse(spec, { bmode: [1, 0, 0], elastography: [0, 0, 1] })!;
    expect(f[0]).toBeCloseTo(1 / 3);
    expect(f[2]).toBeCloseTo(2 / 3);
    expect(f.reduce((a, b) => a + b)).toBeCloseTo(1);
  });

  it('no modality → null; zero total weight → error; mismatched classes → error', () => {
    expect(fuse({ method: 'mean' }, {})).toBeNull();
    expect(() => fuse({ method: 'weighted-mean', weights: { bmode: 0, cdfi: 1 } }, { bmode: [1, 0] })).toThrow(FusionError);
    expect(() => fuse({ method: 'mean' }, { bmode: [1, 0], cdfi: [0.5, 0.25, 0.25] })).toThrow(FusionError);
  });

  it('temperature softens the softmax and keeps the argmax', () => {
    const sharp = calibratedSoftmax([2, 0, -1], 1);
    const soft = calibratedSoftmax([2, 0, -1], 3);
    expect(sharp.reduce((a, b) => a + b)).toBeCloseTo(1);
    expect(soft.reduce((a, b) => a + b)).toBeCloseTo(1);
    expect(soft[0]!).toBeLessThan(sharp[0]!);
    expect(soft.indexOf(Math.max(...soft))).toBe(0);
    expect(calibratedSoftmax([1000, 0, 0])[0]).toBeCloseTo(1);
  });
});
