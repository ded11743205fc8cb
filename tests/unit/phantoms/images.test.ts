import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { cropRgba } from '../../../src/imaging/roi';
import { BMODE_SCREEN, CLASS_NAMES, ELASTO_SCREEN, MASK_NAMES, generateCase } from '../../../src/phantoms';

describe('phantom images', () => {
  for (const cls of CLASS_NAMES) {
    it(`${cls}: screenshots and ROI crops encode, decode and have the declared sizes`, () => {
      for (const seed of [3, 11]) {
        const pc = generateCase({ seed, cls });
        expect(pc.classIndex).toBe(CLASS_NAMES.indexOf(cls));
        const sizes = { bmode: BMODE_SCREEN, cdfi: BMODE_SCREEN, elastography: ELASTO_SCREEN };
        for (const m of ['bmode', 'cdfi', 'elastography'] as const) {
          const img = pc.images[m];
          expect([img.width, img.height]).toEqual([sizes[m].width, sizes[m].height]);
          expect(img.data.length).toBe(img.width * img.height * 4);
          const roi = pc.rois[m];
          expect(roi.x).toBeGreaterThanOrEqual(0);
          expect(roi.y).toBeGreaterThanOrEqual(0);
          expect(roi.x + roi.width).toBeLessThanOrEqual(img.width);
          expect(roi.y + roi.height).toBeLessThanOrEqual(img.height);
          for (const target of [img, cropRgba(img, roi)]) {
            const png = new PNG({ width: target.width, height: target.height });
            png.data = Buffer.from(target.data);
            const decoded = PNG.sync.read(PNG.sync.write(png));
            expect([decoded.width, decoded.height]).toEqual([target.width, target.height]);
            expect(Buffer.compare(decoded.data, Buffer.from(target.data))).toBe(0);
          }
        }
        for (const name of MASK_NAMES) expect(pc.masks[name].length).toBe(pc.maskWidth * pc.maskHeight);
      }
    });
  }
});
