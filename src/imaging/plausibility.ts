/**
 * Cheap checks that an image fits the slot it was put in. In a colour-coded modality's slot (Doppler,
 * strain) a plain grayscale image is almost always a mix-up, and vice versa for a grayscale one. The
 * thresholds are the modality registry's (src/domain).
 */

import { modalityDescriptor, type ModalityId } from '../domain';
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

/** Whether `img` fits the slot of `modality`, by the registry's input-check rule for it. */
export function checkModalityFit(img: RgbaImage, modality: ModalityId): PlausibilityWarning | null {
  const f = colourFraction(img);
  const rule = modalityDescriptor(modality).inputCheck;
  if (rule.expect === 'grayscale') return f > rule.maxColourFraction ? 'colour-in-bmode-slot' : null;
  return f < rule.minColourFraction ? 'grayscale-in-colour-slot' : null;
}

/**
 * The check of a slot's input: its region, and for colour-coded modalities also the whole picture
 * before warning (an avascular node still shows its colour box and scale around the region). A
 * grayscale modality looks only inside the region: scanner chrome has coloured bars and markers.
 */
export function checkSlotFit(whole: RgbaImage, region: RgbaImage, modality: ModalityId): PlausibilityWarning | null {
  const inRegion = checkModalityFit(region, modality);
  if (inRegion === null || modalityDescriptor(modality).inputCheck.expect === 'grayscale') return inRegion;
  return checkModalityFit(whole, modality);
}
