import { describe, expect, it } from 'vitest';
import { contourMask, heatmapDisplaySize, upsampleBilinear } from '../../../src/explain';

describe('heatmap display size', () => {
  it('scales a small region up to at least 256 px wide, keeping its aspect ratio', () => {
    expect(heatmapDisplaySize(87, 60)).toEqual({ width: 256, height: 177, scale: 256 / 87 });
    expect(heatmapDisplaySize(300, 200).width).toBe(300);
    const big = heatmapDisplaySize(1200, 800);
    expect(big.width).toBe(384);
    expect(big.height).toBe(256);
  });

  it('caps an extreme height (then the width follows)', () => {
    const tall = heatmapDisplaySize(40, 1000);
    expect(tall.height).toBe(768);
    expect(tall.width).toBe(31);
  });
});

describe('contour mask', () => {
  it('outlines each level once, at the boundary, inner levels inside outer ones', () => {
    // A radial bump on 9×9 upsampled to 90×90: concentric rings, one per level.
    const w = 9;
    const cam = new Float32Array(w * w);
    for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) cam[y * w + x] = Math.max(0, 1 - Math.hypot(x - 4, y - 4) / 4);
    const up = upsampleBilinear(cam, w, w, 90, 90);
    const mask = contourMask(up, 90, 90);
    const counts = [0, 0, 0, 0];
    for (const v of mask) counts[v]!++;
    // Every level has a line; longer rings for lower levels (they lie further out).
    expect(counts[1]).toBeGreaterThan(counts[2]!);
    expect(counts[2]).toBeGreaterThan(counts[3]!);
    expect(counts[3]).toBeGreaterThan(0);
    // The centre (max) is inside every ring, not on one; a far corner is outside all.
    expect(mask[45 * 90 + 45]).toBe(0);
    expect(mask[0]).toBe(0);
    // Along the middle row, from the centre outwards, the lines met are 3, then 2, then 1.
    const met: number[] = [];
    for (let x = 45; x < 90; x++) {
      const v = mask[45 * 90 + x]!;
      if (v && met[met.length - 1] !== v) met.push(v);
    }
    expect(met).toEqual([3, 2, 1]);
  });

  it('a flat map has no contour', () => {
    expect(contourMask(new Float32Array(100).fill(0.6), 10, 10).every((v) => v === 0)).toBe(true);
  });
});
