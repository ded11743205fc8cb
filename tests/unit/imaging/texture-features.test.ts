import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TEXTURE_FEATURES, textureFeatures } from '../../../src/imaging';

// Written by training/tests/make_input_check_fixture.py from training/input_gate.py
// `texture_features`: the app must compute the statistics the input gate was trained on.
const fixture = JSON.parse(readFileSync('tests/fixtures/input-check-cases.json', 'utf8')) as {
  params: { gate: { textureFeatures: string[]; colourChromaMin: number } };
  textureCases: { name: string; width: number; height: number; rgb: string; expected: number[] }[];
};

function rgba(c: { width: number; height: number; rgb: string }) {
  const rgb = Buffer.from(c.rgb, 'base64');
  const data = new Uint8ClampedArray(c.width * c.height * 4);
  for (let i = 0; i < c.width * c.height; i++) data.set([rgb[i * 3]!, rgb[i * 3 + 1]!, rgb[i * 3 + 2]!, 255], i * 4);
  return { width: c.width, height: c.height, data };
}

describe('texture statistics (same as training/input_gate.py texture_features)', () => {
  it('lists the features in the order the training code writes them', () => {
    expect([...TEXTURE_FEATURES]).toEqual(fixture.params.gate.textureFeatures);
  });

  it.each(fixture.textureCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const got = textureFeatures(rgba(c), fixture.params.gate.colourChromaMin);
    expect(got).toHaveLength(TEXTURE_FEATURES.length);
    got.forEach((v, k) => expect(v, TEXTURE_FEATURES[k]).toBeCloseTo(c.expected[k]!, 10));
  });

  it('tells speckle from a smooth photograph', () => {
    const [speckle, photo] = ['speckle', 'photo'].map((n) => {
      const c = fixture.textureCases.find((t) => t.name === n)!;
      return textureFeatures(rgba(c), 40);
    });
    const at = (name: (typeof TEXTURE_FEATURES)[number]) => TEXTURE_FEATURES.indexOf(name);
    // Speckle: a local standard deviation proportional to the mean, grain in every direction.
    expect(speckle![at('block-cv-median')]!).toBeGreaterThan(5 * photo![at('block-cv-median')]!);
    expect(speckle![at('hf')]!).toBeGreaterThan(5 * photo![at('hf')]!);
    expect(photo![at('tinted-gray')]!).toBeGreaterThan(0.3);
    expect(speckle![at('tinted-gray')]!).toBe(0);
  });
});
