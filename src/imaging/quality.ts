/**
 * Deterministic pixel rules for a region too poor to analyse (docs/input-checks.md): too small to
 * hold a node, blank (one flat colour: nothing was captured, or a black/white frame), or mostly
 * saturated. Cheap, no model needed, so they run for every pack, with or without learned checks.
 */

import type { QualityIssue } from '../domain';
import type { RgbaImage } from './resize';

/** Below this many pixels on the short side the model's 224-px input would be mostly interpolation. */
export const MIN_REGION_SIDE = 32;
/** Luminance standard deviation (0–255) under which a region is one flat colour. */
export const BLANK_STD = 4;
/** Share of the region within 3 grey levels of black or white above which it is blank. */
export const BLANK_EXTREME_SHARE = 0.97;
/** Share of (near-)white pixels above which the region is saturated. */
export const SATURATED_SHARE = 0.5;

/** The first rule `img` breaks, or null. Reads a sparse grid of at most ~40 000 pixels. */
export function checkQuality(img: RgbaImage): QualityIssue | null {
  if (Math.min(img.width, img.height) < MIN_REGION_SIDE) return 'tiny';
  const step = Math.max(1, Math.floor(Math.sqrt((img.width * img.height) / 40_000)));
  let n = 0;
  let sum = 0;
  let sumSq = 0;
  let white = 0;
  let black = 0;
  for (let y = 0; y < img.height; y += step) {
    for (let x = 0; x < img.width; x += step) {
      const p = (y * img.width + x) * 4;
      const l = 0.299 * img.data[p]! + 0.587 * img.data[p + 1]! + 0.114 * img.data[p + 2]!;
      sum += l;
      sumSq += l * l;
      if (l >= 250) white++;
      if (l <= 3) black++;
      n++;
    }
  }
  const mean = sum / n;
  const std = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
  if (std < BLANK_STD || black / n > BLANK_EXTREME_SHARE) return 'blank';
  if (white / n > SATURATED_SHARE) return 'saturated';
  return null;
}
