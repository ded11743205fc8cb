/**
 * Colour statistics of a (resized) crop that the input gate reads beside the model's pooled
 * features (docs/input-checks.md): a network trained on grayscale B-mode barely encodes colour,
 * while Doppler (red/blue patches), strain maps (a continuous colour field) and grayscale differ
 * plainly in it. The same arithmetic as training/input_gate.py `colour_features`, in this order.
 */

import type { RgbaImage } from './resize';

export { COLOUR_FEATURES } from '../model-pack';

/** Shares are square-rooted, so that a few per cent of Doppler pixels weigh in. */
export function colourFeatures(img: RgbaImage, chromaMin: number): number[] {
  const n = img.width * img.height;
  const sextants = [0, 0, 0, 0, 0, 0];
  let coloured = 0;
  let chromaSum = 0;
  let brightGray = 0;
  for (let i = 0; i < n; i++) {
    const r = img.data[i * 4]!;
    const g = img.data[i * 4 + 1]!;
    const b = img.data[i * 4 + 2]!;
    const mx = Math.max(r, g, b);
    const chroma = mx - Math.min(r, g, b);
    chromaSum += chroma;
    if (chroma > chromaMin) {
      coloured++;
      // Hue in sextants: 0 red, 1 yellow, 2 green, 3 cyan, 4 blue, 5 magenta (numpy's % is a modulo).
      const hue = mx === r ? ((((g - b) / chroma) % 6) + 6) % 6 : mx === g ? (b - r) / chroma + 2 : (r - g) / chroma + 4;
      sextants[Math.floor((hue + 0.5) % 6)]!++;
    } else if (0.299 * r + 0.587 * g + 0.114 * b > 30) brightGray++;
  }
  return [Math.sqrt(coloured / n), ...sextants.map((s) => Math.sqrt(s / n)), chromaSum / n / 255, Math.sqrt(brightGray / n)];
}
