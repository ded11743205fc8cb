import { describe, expect, it } from 'vitest';
import { CLASS_NAMES, MASK_NAMES, generateCase, sampleParams } from '../../../src/phantoms';

function digest(data: ArrayLike<number>): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i]!, 0x01000193);
  return h >>> 0;
}

describe('phantom determinism', () => {
  it('gives identical images, masks, ROIs and params for the same seed and class', () => {
    for (const cls of CLASS_NAMES) {
      const a = generateCase({ seed: 42, cls });
      const b = generateCase({ seed: 42, cls });
      expect(b.params).toEqual(a.params);
      expect(b.rois).toEqual(a.rois);
      for (const m of ['bmode', 'cdfi', 'elastography'] as const) expect(digest(b.images[m].data)).toBe(digest(a.images[m].data));
      for (const name of MASK_NAMES) expect(digest(b.masks[name])).toBe(digest(a.masks[name]));
    }
  });

  it('does not depend on the cases rendered before (reused working buffers start clean)', () => {
    const first = generateCase({ seed: 9, cls: 'metastatic' });
    generateCase({ seed: 10, cls: 'lymphoma' });
    const again = generateCase({ seed: 9, cls: 'metastatic' });
    for (const m of ['bmode', 'cdfi', 'elastography'] as const)
      expect(digest(again.images[m].data)).toBe(digest(first.images[m].data));
    for (const name of MASK_NAMES) expect(digest(again.masks[name])).toBe(digest(first.masks[name]));
  });

  it('gives different cases for different seeds or classes', () => {
    const a = generateCase({ seed: 1, cls: 'benign' });
    const b = generateCase({ seed: 2, cls: 'benign' });
    const c = generateCase({ seed: 1, cls: 'lymphoma' });
    expect(digest(a.images.bmode.data)).not.toBe(digest(b.images.bmode.data));
    expect(digest(a.images.bmode.data)).not.toBe(digest(c.images.bmode.data));
  });

  it('samples parameters independently of rendering, as plain JSON', () => {
    const p = sampleParams(7, 'metastatic');
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
    expect(generateCase({ seed: 7, cls: 'metastatic' }).params).toEqual(p);
  });
});
