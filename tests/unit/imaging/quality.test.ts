import { describe, expect, it } from 'vitest';
import { checkQuality, MIN_REGION_SIDE } from '../../../src/imaging';
import { generateCase } from '../../../src/phantoms';
import { cropRgba } from '../../../src/imaging';

function image(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      data.set([r, g, b, 255], (y * width + x) * 4);
    }
  return { width, height, data };
}
let s = 1;
const noise = () => ((s = (s * 16807) % 2147483647) % 256) as number;

describe('checkQuality (pixel rules for low-quality)', () => {
  it('flags a region smaller than the minimum side', () => {
    expect(checkQuality(image(MIN_REGION_SIDE - 1, 200, () => [noise(), noise(), noise()]))).toBe('tiny');
  });
  it.each([
    ['black', [0, 0, 0]],
    ['white', [255, 255, 255]],
    ['mid grey', [128, 128, 128]],
    ['flat colour', [20, 120, 200]],
  ] as const)('flags a %s region as blank', (_n, c) => {
    expect(checkQuality(image(300, 200, () => [...c]))).toBe('blank');
  });
  it('flags a black frame with a few labels as blank', () => {
    expect(checkQuality(image(300, 200, (x, y) => (y < 4 && x < 40 ? [255, 255, 255] : [0, 0, 0])))).toBe('blank');
  });
  it('flags a mostly white region with texture as saturated', () => {
    expect(checkQuality(image(300, 200, (x) => (x < 200 ? [255, 255, 255] : [noise(), noise(), noise()])))).toBe('saturated');
  });
  it('passes noise (the learned check judges it) and every simulated modality crop', () => {
    expect(checkQuality(image(300, 200, () => [noise(), noise(), noise()]))).toBeNull();
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const c = generateCase({ seed, cls: (['metastatic', 'lymphoma', 'benign'] as const)[seed % 3]! });
      for (const m of ['bmode', 'cdfi', 'elastography'] as const) {
        expect(checkQuality(cropRgba(c.images[m], c.rois[m])), `${m} seed ${seed}`).toBeNull();
      }
    }
  });
});
