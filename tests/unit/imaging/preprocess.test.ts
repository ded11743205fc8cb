import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { preprocess } from '../../../src/imaging/preprocess';
import { resizeBilinearAntialias } from '../../../src/imaging/resize';
import type { InputSpec } from '../../../src/model-pack/manifest';

interface RefCase {
  name: string;
  width: number;
  height: number;
  rgba: string;
  outWidth: number;
  outHeight: number;
  resizedRgb: string;
  normalized: number[];
}
const ref = JSON.parse(readFileSync(new URL('../../fixtures/preprocess-reference.json', import.meta.url), 'utf8')) as {
  mean: [number, number, number];
  std: [number, number, number];
  cases: RefCase[];
};

const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

describe('preprocessing matches Pillow + NumPy reference numbers', () => {
  for (const c of ref.cases) {
    const src = { width: c.width, height: c.height, data: bytes(c.rgba) };

    it(`${c.name}: resize is bit-exact with Pillow BILINEAR`, () => {
      const out = resizeBilinearAntialias(src, c.outWidth, c.outHeight);
      const expected = bytes(c.resizedRgb);
      const rgb = new Uint8Array(c.outWidth * c.outHeight * 3);
      for (let i = 0; i < c.outWidth * c.outHeight; i++) for (let k = 0; k < 3; k++) rgb[i * 3 + k] = out.data[i * 4 + k]!;
      expect(Array.from(rgb)).toEqual(Array.from(expected));
    });

    it(`${c.name}: normalised tensor values within 1e-5`, () => {
      const spec: InputSpec = {
        width: c.outWidth,
        height: c.outHeight,
        channelOrder: 'RGB',
        resize: 'bilinear-antialias',
        scale: 1 / 255,
        mean: ref.mean,
        std: ref.std,
      };
      const out = preprocess(src, spec);
      expect(out.length).toBe(c.normalized.length);
      let worst = 0;
      out.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - c.normalized[i]!))));
      expect(worst).toBeLessThan(1e-5);
    });
  }

  it('BGR order swaps the first and last channel', () => {
    const src = { width: 1, height: 1, data: new Uint8Array([255, 0, 0, 255]) };
    const spec: InputSpec = {
      width: 1,
      height: 1,
      channelOrder: 'BGR',
      resize: 'bilinear-antialias',
      scale: 1,
      mean: [0, 0, 0],
      std: [1, 1, 1],
    };
    expect(Array.from(preprocess(src, spec))).toEqual([0, 0, 255]);
  });
});
