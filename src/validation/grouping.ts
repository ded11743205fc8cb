/**
 * Who each image belongs to, and the cases that follow. The patient id comes from the CSV's column
 * or from a file-name pattern the user confirms after seeing it applied to examples; a set with
 * neither is validated per image (each image its own patient), which the UI must say, since the
 * bootstrap then treats images of one patient as independent.
 *
 * Pattern language (matched against the file name, case-insensitively, whole name):
 *   `{patient}` the patient id: one or more characters, as few as the rest allows;
 *   `*`         any characters (also none);
 *   `#`         one or more digits;
 *   anything else is literal. `{patient}-*` reads `171-3.jpg` as patient 171.
 * A pattern without `{patient}` is a regular expression with exactly one capture group.
 */

import { fuse } from '../analysis';
import type { ModalityId } from '../domain';
import type { FusionSpec } from '../model-pack';
import type { LabelledImage } from './class-map';

export type PatternError = 'empty' | 'invalid-regex' | 'no-capture-group' | 'several-capture-groups' | 'several-patient-fields';

export type CompiledPattern = { ok: true; regex: RegExp } | { ok: false; error: PatternError };

export function compileFileNamePattern(pattern: string): CompiledPattern {
  const text = pattern.trim();
  if (text === '') return { ok: false, error: 'empty' };
  if (text.includes('{patient}')) {
    if (text.split('{patient}').length > 2) return { ok: false, error: 'several-patient-fields' };
    let src = '';
    for (let i = 0; i < text.length; i++) {
      if (text.startsWith('{patient}', i)) {
        src += '(.+?)';
        i += '{patient}'.length - 1;
      } else if (text[i] === '*') src += '.*?';
      else if (text[i] === '#') src += '\\d+';
      else src += text[i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
    return { ok: true, regex: new RegExp(`^${src}$`, 'iu') };
  }
  let regex: RegExp;
  try {
    regex = new RegExp(text, 'u');
  } catch {
    return { ok: false, error: 'invalid-regex' };
  }
  // The number of capture groups: an alternative that matches the empty string reveals them all.
  const groups = new RegExp(`${text}|`, 'u').exec('')!.length - 1;
  if (groups === 0) return { ok: false, error: 'no-capture-group' };
  if (groups > 1) return { ok: false, error: 'several-capture-groups' };
  return { ok: true, regex };
}

export const fileName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** The patient id the pattern reads from the file name, or null when it does not match. */
export function patientFromName(regex: RegExp, path: string): string | null {
  const m = regex.exec(fileName(path));
  const id = m?.[1]?.trim();
  return id === undefined || id === '' ? null : id;
}

export interface PatternPreview {
  /** Up to `n` file names with the id read from each, spread over the set (first, last, between). */
  examples: { fileName: string; patientId: string }[];
  /** Up to `n` file names the pattern does not match, and how many there are in all. */
  unmatched: string[];
  unmatchedCount: number;
  patients: number;
}

export function previewPattern(regex: RegExp, paths: readonly string[], n = 5): PatternPreview {
  const matched: { fileName: string; patientId: string }[] = [];
  const unmatched: string[] = [];
  for (const p of paths) {
    const id = patientFromName(regex, p);
    if (id === null) unmatched.push(fileName(p));
    else matched.push({ fileName: fileName(p), patientId: id });
  }
  const step = (matched.length - 1) / Math.max(1, n - 1);
  const examples = matched.length <= n ? matched : Array.from({ length: n }, (_, i) => matched[Math.round(i * step)]!);
  return {
    examples,
    unmatched: unmatched.slice(0, n),
    unmatchedCount: unmatched.length,
    patients: new Set(matched.map((m) => m.patientId)).size,
  };
}

export type PatientSource = { kind: 'csv-column' } | { kind: 'file-name'; regex: RegExp } | { kind: 'per-image' };

export interface PatientImage extends LabelledImage {
  patientId: string;
}

export type GroupingResult =
  | { ok: true; images: PatientImage[] }
  | { ok: false; error: 'no-patient-id'; paths: string[] }
  | { ok: false; error: 'patient-class-conflict'; patients: string[] };

/**
 * Gives every image its patient id. Images without one (an empty CSV cell, a name the pattern does
 * not match) are named, not guessed; nor is a patient whose images carry different classes resolved.
 */
export function assignPatients(images: readonly LabelledImage[], source: PatientSource): GroupingResult {
  const out: PatientImage[] = [];
  const missing: string[] = [];
  for (const img of images) {
    const id =
      source.kind === 'csv-column'
        ? img.patientId
        : source.kind === 'file-name'
          ? patientFromName(source.regex, img.path)
          : img.path;
    if (id === null) missing.push(img.path);
    else out.push({ ...img, patientId: id });
  }
  if (missing.length > 0) return { ok: false, error: 'no-patient-id', paths: missing };
  const classOf = new Map<string, number>();
  const conflicts = new Set<string>();
  for (const img of out) {
    const c = classOf.get(img.patientId);
    if (c === undefined) classOf.set(img.patientId, img.classIndex);
    else if (c !== img.classIndex) conflicts.add(img.patientId);
  }
  if (conflicts.size > 0) return { ok: false, error: 'patient-class-conflict', patients: [...conflicts].sort() };
  return { ok: true, images: out };
}

/** One patient: its class and its images per modality (several images of one modality are allowed). */
export interface Case {
  patientId: string;
  classIndex: number;
  images: Partial<Record<ModalityId, string[]>>;
}

/** Cases in first-seen order; the images of one patient in different modalities make one case. */
export function buildCases(images: readonly PatientImage[]): Case[] {
  const cases = new Map<string, Case>();
  for (const img of images) {
    let c = cases.get(img.patientId);
    if (c === undefined) {
      c = { patientId: img.patientId, classIndex: img.classIndex, images: {} };
      cases.set(img.patientId, c);
    }
    (c.images[img.modality] ??= []).push(img.path);
  }
  return [...cases.values()];
}

/**
 * The case's probabilities: per modality the mean of its images' vectors (several views of one node
 * weigh as one modality), then the pack's fusion rule across modalities. null when none of its
 * images has a prediction (all unreadable).
 */
export function fuseCase(
  c: Case,
  probabilitiesOf: (path: string) => readonly number[] | undefined,
  spec: FusionSpec,
): { perModality: Partial<Record<ModalityId, number[]>>; fused: number[] } | null {
  const perModality: Partial<Record<ModalityId, number[]>> = {};
  for (const [modality, paths] of Object.entries(c.images) as [ModalityId, string[]][]) {
    const vectors = paths.map(probabilitiesOf).filter((p): p is readonly number[] => p !== undefined);
    if (vectors.length === 0) continue;
    const mean = new Array<number>(vectors[0]!.length).fill(0);
    for (const v of vectors) v.forEach((x, k) => (mean[k]! += x / vectors.length));
    perModality[modality] = mean;
  }
  const fused = fuse(spec, perModality);
  return fused === null ? null : { perModality, fused };
}
