/**
 * The user's answer to "which class does each folder (or CSV value) mean". Nothing is inferred from
 * the names: a label without an answer stops the run and is named, so `0`, `1`, `2` never silently
 * become metastatic, lymphoma, benign in some order the user did not confirm.
 */

import type { ModalityId } from '../domain';
import type { DiscoveredImage } from './layout';

/** Label → the pack's class id it means, or null to leave its images out of the validation. */
export type ClassMapping = Readonly<Record<string, string | null>>;

export interface LabelledImage {
  path: string;
  modality: ModalityId;
  /** Index into the pack's class list. */
  classIndex: number;
  patientId: string | null;
}

export type ClassMapResult =
  | { ok: true; images: LabelledImage[]; excluded: number }
  | {
      ok: false;
      /** Labels the mapping says nothing about. */
      unmapped: string[];
      /** Answers that are not a class of the pack. */
      unknownClasses: string[];
      /** The single-modality set's modality has not been chosen yet. */
      modalityUnset: boolean;
    };

export function applyClassMapping(
  images: readonly DiscoveredImage[],
  mapping: ClassMapping,
  classes: readonly string[],
): ClassMapResult {
  const labels = [...new Set(images.map((i) => i.classLabel))];
  const unmapped = labels.filter((l) => !Object.prototype.hasOwnProperty.call(mapping, l));
  const unknownClasses = [
    ...new Set(
      labels
        .filter((l) => Object.prototype.hasOwnProperty.call(mapping, l))
        .map((l) => mapping[l])
        .filter((c): c is string => c !== null && c !== undefined && !classes.includes(c)),
    ),
  ];
  const modalityUnset = images.some((i) => i.modality === null);
  if (unmapped.length > 0 || unknownClasses.length > 0 || modalityUnset)
    return { ok: false, unmapped, unknownClasses, modalityUnset };
  const out: LabelledImage[] = [];
  let excluded = 0;
  for (const img of images) {
    const target = mapping[img.classLabel];
    if (target === null || target === undefined) {
      excluded++;
      continue;
    }
    out.push({ path: img.path, modality: img.modality!, classIndex: classes.indexOf(target), patientId: img.patientId });
  }
  return { ok: true, images: out, excluded };
}
