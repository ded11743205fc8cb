/**
 * Cheap checks that an image fits the slot it was put in. Colour Doppler and elastography are
 * colour-coded; a plain grayscale image there is almost always a mix-up (and vice versa for B-mode).
 */

import type { RgbaImage } from './resize';

/** Share of pixels whose channels differ enough to be colour rather than gray, on a sparse grid. */
export function colourFraction(img: RgbaImage, threshold = 40): number {
  const step = Math.max(1, Math.floor(Math.sqrt((img.width * img.height) / 40_000)));
  let coloured = 0;
  let total = 0;
  for (let y = 0; y < img.height; y += step) {
    for (let x = 0; x < img.width; x += step) {
      const p = (y * img.width + x) * 4;
      const r = img.data[p]!,
        g = img.data[p + 1]!,
        b = img.data[p + 2]!;
      if (Math.max(r, g, b) - Math.min(r, g, b) > threshold) coloured++;
      total++;
    }
  }
  return total === 0 ? 0 : coloured / total;
}

export type PlausibilityWarning = 'grayscale-in-colour-slot' | 'colour-in-bmode-slot';

export function checkModalityFit(img: RgbaImage, modality: 'bmode' | 'cdfi' | 'elastography'): PlausibilityWarning | null {
  const f = colourFraction(img);
  if (modality === 'bmode') return f > 0.15 ? 'colour-in-bmode-slot' : null;
  return f < 0.005 ? 'grayscale-in-colour-slot' : null;
}
