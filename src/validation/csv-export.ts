/**
 * The per-case table: every number of the results view can be recomputed from it. One row per
 * image (its modality) and one per patient for the fused case (modality `fused`, no path):
 *
 *   path, patient_id, modality, true_class, p_<class> for each pack class, verdict
 *
 * Probabilities are written in JavaScript's shortest round-trip form, so a reader that parses
 * IEEE doubles (Python's float, numpy) gets the very values the app computed with. The verdict is
 * the argmax class; the parser checks it against the probabilities.
 */

import { isModalityId, type ModalityId } from '../domain';
import { CsvSyntaxError, formatCsv, parseCsv } from './csv';
import { argmax, type LabelledScores } from './metrics';

export type RowModality = ModalityId | 'fused';

export interface CaseRow {
  /** '' on a fused row. */
  path: string;
  patientId: string;
  modality: RowModality;
  trueClass: string;
  probabilities: number[];
}

export interface CaseTable {
  classes: string[];
  rows: CaseRow[];
}

const FIXED = ['path', 'patient_id', 'modality', 'true_class'] as const;
const CLASS_ID = /^[a-z][a-z0-9-]*$/;
const NUMBER = /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

export class CaseTableError extends Error {
  constructor(
    readonly line: number,
    readonly problem: string,
  ) {
    super(`Per-case table, line ${line}: ${problem}`);
    this.name = 'CaseTableError';
  }
}

export function formatCaseTable(table: CaseTable): string {
  const { classes } = table;
  const header = [...FIXED, ...classes.map((c) => `p_${c}`), 'verdict'];
  const body = table.rows.map((r) => {
    if (r.probabilities.length !== classes.length) throw new RangeError(`${r.path || r.patientId}: one probability per class`);
    return [
      r.path,
      r.patientId,
      r.modality,
      r.trueClass,
      ...r.probabilities.map((p) => String(p)),
      classes[argmax(r.probabilities)]!,
    ];
  });
  return formatCsv([header, ...body]);
}

/** Reads a table written by formatCaseTable (or edited by hand), refusing anything inconsistent. */
export function parseCaseTable(text: string): CaseTable {
  let rows;
  try {
    rows = parseCsv(text);
  } catch (e) {
    if (e instanceof CsvSyntaxError) throw new CaseTableError(e.line, e.message);
    throw e;
  }
  const head = rows[0];
  if (head === undefined) throw new CaseTableError(1, 'the table is empty');
  const h = head.cells;
  FIXED.forEach((name, i) => {
    if (h[i] !== name) throw new CaseTableError(head.line, `column ${i + 1} must be "${name}"`);
  });
  if (h[h.length - 1] !== 'verdict') throw new CaseTableError(head.line, 'the last column must be "verdict"');
  const classes = h.slice(FIXED.length, -1).map((c, i) => {
    const id = c.startsWith('p_') ? c.slice(2) : '';
    if (!CLASS_ID.test(id)) throw new CaseTableError(head.line, `column ${FIXED.length + i + 1} must be "p_<class id>"`);
    return id;
  });
  if (classes.length < 2) throw new CaseTableError(head.line, 'at least two probability columns are needed');
  if (new Set(classes).size !== classes.length) throw new CaseTableError(head.line, 'a class repeats');
  const seenFused = new Set<string>();
  const seenPath = new Set<string>();
  const out = rows.slice(1).map(({ line, cells }): CaseRow => {
    if (cells.length !== h.length) throw new CaseTableError(line, `${cells.length} fields, the header has ${h.length}`);
    const [path, patientId, modality, trueClass] = cells as [string, string, string, string];
    if (patientId === '') throw new CaseTableError(line, 'patient_id is empty');
    if (modality !== 'fused' && !isModalityId(modality)) throw new CaseTableError(line, `unknown modality "${modality}"`);
    if (!classes.includes(trueClass)) throw new CaseTableError(line, `true_class "${trueClass}" is not a column's class`);
    if (modality === 'fused') {
      if (path !== '') throw new CaseTableError(line, 'a fused row has no path');
      if (seenFused.has(patientId)) throw new CaseTableError(line, `patient "${patientId}" has two fused rows`);
      seenFused.add(patientId);
    } else {
      if (path === '') throw new CaseTableError(line, 'path is empty');
      if (seenPath.has(path)) throw new CaseTableError(line, `"${path}" is listed twice`);
      seenPath.add(path);
    }
    const probabilities = cells.slice(FIXED.length, -1).map((v, k) => {
      const x = NUMBER.test(v) ? Number(v) : NaN;
      // A fused probability may exceed 1 by rounding.
      if (!(x >= 0 && x <= 1 + 1e-9)) throw new CaseTableError(line, `p_${classes[k]} "${v}" is not a probability`);
      return x;
    });
    if (cells[cells.length - 1] !== classes[argmax(probabilities)]) {
      throw new CaseTableError(line, `verdict "${cells[cells.length - 1]}" is not the most probable class`);
    }
    return { path, patientId, modality, trueClass, probabilities };
  });
  return { classes, rows: out };
}

/** The rows of one modality (or the fused rows) in the form metrics.evaluate takes. */
export function scoresOf(table: CaseTable, modality: RowModality): LabelledScores {
  const rows = table.rows.filter((r) => r.modality === modality);
  return {
    labels: rows.map((r) => table.classes.indexOf(r.trueClass)),
    probs: rows.map((r) => r.probabilities),
    patients: rows.map((r) => r.patientId),
    classCount: table.classes.length,
  };
}
