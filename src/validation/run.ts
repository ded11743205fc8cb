/**
 * One validation run: what is analysed (the images with their class and patient, the pack, whole
 * image or proposed region) and what came back per image. A run is identified by a digest of all
 * that, so picking the same folder again with the same answers finds the results already stored
 * and continues where it stopped. The per-case table and every figure of the results view are
 * computed from the stored results alone (no pixels), so a partial run can be shown and exported.
 */

import { INPUT_VERDICTS, MODALITY_IDS, type InputVerdict, type ModalityId } from '../domain';
import type { FusionSpec } from '../model-pack';
import { formatCaseTable, parseCaseTable, scoresOf, type CaseRow, type CaseTable, type RowModality } from './csv-export';
import { sha256Hex } from './duplicates';
import { buildCases, fuseCase, type PatientImage } from './grouping';
import { evaluate, type Evaluation } from './metrics';
import type { BootstrapOptions } from './bootstrap';

export interface RunImage {
  path: string;
  modality: ModalityId;
  classIndex: number;
  patientId: string;
}

export interface RunSpec {
  /** Digest of pack, classes, whole-image choice and images (see runKey). */
  key: string;
  pack: { id: string; version: string; sha256: string };
  classes: string[];
  /** Analyse the whole image instead of the proposed region. */
  wholeImage: boolean;
  /** How patients were told apart: per image, CSV column or a file-name pattern (its text). */
  grouping: string;
  images: RunImage[];
  /** ISO date-time the run was first started. */
  created: string;
}

export type ImageResult =
  /** `verdict`: the input check's, in the shared vocabulary (src/domain/provenance.ts). */
  | { path: string; ok: true; probabilities: number[]; verdict: InputVerdict }
  /** `error` is the image error code (unreadable, too small…) the decode or analysis gave. */
  | { path: string; ok: false; error: string };

/** Stable digest of what decides the numbers: the same folder and answers give the same key. */
export async function runKey(spec: Omit<RunSpec, 'key' | 'created'>): Promise<string> {
  const images = [...spec.images].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const canonical = JSON.stringify({
    pack: spec.pack,
    classes: spec.classes,
    wholeImage: spec.wholeImage,
    grouping: spec.grouping,
    images: images.map((i) => [i.path, i.modality, i.classIndex, i.patientId]),
  });
  return sha256Hex(new TextEncoder().encode(canonical));
}

/**
 * The per-case table of a run: one row per analysed image, one fused row per patient with at least
 * one analysed image. Images that failed are not rows (they are counted apart).
 */
export function runTable(spec: RunSpec, results: ReadonlyMap<string, ImageResult>, fusion: FusionSpec): CaseTable {
  const rows: CaseRow[] = [];
  const probs = new Map<string, number[]>();
  for (const img of spec.images) {
    const r = results.get(img.path);
    if (!r?.ok) continue;
    probs.set(img.path, r.probabilities);
    rows.push({
      path: img.path,
      patientId: img.patientId,
      modality: img.modality,
      trueClass: spec.classes[img.classIndex]!,
      probabilities: r.probabilities,
    });
  }
  const patientImages: PatientImage[] = spec.images.map((i) => ({ ...i }));
  for (const c of buildCases(patientImages)) {
    let fused: { fused: number[] } | null;
    try {
      fused = fuseCase(c, (p) => probs.get(p), fusion);
    } catch {
      // A case whose modalities all have no weight in the pack's fusion: no fused row.
      fused = null;
    }
    if (fused === null) continue;
    rows.push({
      path: '',
      patientId: c.patientId,
      modality: 'fused',
      trueClass: spec.classes[c.classIndex]!,
      probabilities: fused.fused,
    });
  }
  return { classes: [...spec.classes], rows };
}

export interface GroupEvaluation {
  modality: RowModality;
  rows: number;
  evaluation: Evaluation;
}

/**
 * Evaluation per modality present and for the fused rows, computed from the table as the CSV
 * writes and reads it back: the figures shown are the ones the exported file reproduces, bit for bit.
 */
export function evaluateTable(table: CaseTable, options: BootstrapOptions = {}): GroupEvaluation[] {
  const exact = parseCaseTable(formatCaseTable(table));
  const groups: RowModality[] = [...MODALITY_IDS.filter((m) => exact.rows.some((r) => r.modality === m)), 'fused'];
  const out: GroupEvaluation[] = [];
  for (const g of groups) {
    const scores = scoresOf(exact, g);
    if (scores.labels.length === 0) continue;
    out.push({ modality: g, rows: scores.labels.length, evaluation: evaluate(scores, options) });
  }
  return out;
}

/** Counts for the results header: analysed, failed and each input-check verdict. */
export function runCounts(spec: RunSpec, results: ReadonlyMap<string, ImageResult>) {
  const verdicts = Object.fromEntries(INPUT_VERDICTS.map((v) => [v, 0])) as Record<InputVerdict, number>;
  const errors = new Map<string, number>();
  let analysed = 0;
  for (const img of spec.images) {
    const r = results.get(img.path);
    if (r === undefined) continue;
    if (r.ok) {
      analysed++;
      verdicts[r.verdict]++;
    } else errors.set(r.error, (errors.get(r.error) ?? 0) + 1);
  }
  return { total: spec.images.length, analysed, failed: [...errors.values()].reduce((a, b) => a + b, 0), errors, verdicts };
}

/** A stable fingerprint of a pack's bytes: the digest of its files' digests. */
export async function packFingerprint(files: readonly { path: string; sha256: string }[]): Promise<string> {
  const list = [...files].sort((a, b) => (a.path < b.path ? -1 : 1)).map((f) => `${f.path}:${f.sha256.toLowerCase()}`);
  return sha256Hex(new TextEncoder().encode(list.join('\n')));
}
