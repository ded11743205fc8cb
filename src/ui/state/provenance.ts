/**
 * The provenance of what is analysed, noted when the crops are cut (so a later change to a slot
 * cannot alter what a result says about its own image), and put together into the case's
 * provenance when it is saved or reported.
 */

import {
  MODALITY_DESCRIPTORS,
  type CaseProvenance,
  type ClassId,
  type ImageProvenance,
  type InputCheckNote,
  type ModalityId,
} from '../../domain';
import type { DecodedImage, PlausibilityWarning } from '../../imaging';
import type { AnalysedModality } from './session-types';

/** The demo case the simulator generated (docs/phantoms.md): its seed regenerates it exactly. */
export interface Simulation {
  seed: number;
  trueClass: ClassId;
}

/** The part of a slot the provenance reads. */
export interface SlotView {
  image: DecodedImage | null;
  warning: PlausibilityWarning | null;
}

/**
 * The slot check's verdict in the shared vocabulary. The colour-share heuristic (imaging/
 * plausibility) can only say "this looks like another kind of image"; grayscale in a colour slot
 * looks like B-mode, colour in the B-mode slot like one of the colour modalities (it cannot tell
 * which). It is advisory: nothing is blocked, so nothing is ever overridden here.
 */
export function colourShareCheck(warning: PlausibilityWarning | null): InputCheckNote {
  const method = 'colour-share';
  if (warning === 'grayscale-in-colour-slot') {
    // The registry's one grayscale modality (B-mode) is what a grayscale image looks like.
    const gray = MODALITY_DESCRIPTORS.filter((d) => d.inputCheck.expect === 'grayscale');
    const looksLike = gray.length === 1 ? { looksLike: gray[0]!.id } : {};
    return { verdict: 'wrong-modality', ...looksLike, overridden: false, method };
  }
  if (warning === 'colour-in-bmode-slot') return { verdict: 'wrong-modality', overridden: false, method };
  return { verdict: 'ok', overridden: false, method };
}

export function imageProvenance(slot: SlotView): ImageProvenance {
  const img = slot.image;
  const source = img?.kind ?? 'unknown';
  const spacing = img?.pixelSpacingMm;
  const out: ImageProvenance = { source, pixelSpacingMm: spacing ? { x: spacing.x, y: spacing.y } : null };
  // An image restored from the history was checked (or not) when it was first analysed.
  if (source !== 'history') out.inputCheck = colourShareCheck(slot.warning);
  return out;
}

/**
 * The case's provenance from its results: simulated when any analysed image came from the
 * simulator (then with the demo's seed and class), and each image's own origin.
 */
export function caseProvenance(
  results: Partial<Record<ModalityId, Pick<AnalysedModality, 'origin' | 'simulation'>>>,
): CaseProvenance {
  const images: CaseProvenance['images'] = {};
  let simulated: Simulation | null = null;
  for (const [m, r] of Object.entries(results) as [ModalityId, Pick<AnalysedModality, 'origin' | 'simulation'>][]) {
    images[m] = r.origin;
    simulated ??= r.simulation;
  }
  return { simulated: simulated ? { ...simulated } : null, images };
}
