/**
 * The CSV layout: one row per image with its path, modality and class, and optionally a patient or
 * case id. The header is recognised by its column names (any order, any case, `_`/space/`-` alike);
 * a file without one is read as `path, modality, class[, patient]` and the user is told so. Paths
 * are taken relative to the CSV's own folder first, then to the picked folder.
 */

import { CsvSyntaxError, parseCsv, type CsvRow } from './csv';
import {
  fileSkipReason,
  folderModality,
  normalisePath,
  summarise,
  type DiscoveredImage,
  type Discovery,
  type FileEntry,
  type LayoutProblem,
  type SkippedFile,
} from './layout';

type Column = 'path' | 'modality' | 'class' | 'patient';

/** Header names each column is known by, after lower-casing and dropping spaces, `_` and `-`. */
const HEADER_NAMES: Record<Column, readonly string[]> = {
  path: ['path', 'file', 'filename', 'filepath', 'image', 'imagepath', 'imagefile', 'relativepath'],
  modality: ['modality', 'mode', 'imagingmode', 'view'],
  class: ['class', 'label', 'diagnosis', 'truth', 'groundtruth', 'trueclass', 'target', 'classid'],
  patient: ['patient', 'patientid', 'case', 'caseid', 'subject', 'subjectid', 'patientnumber', 'mrn'],
};

const key = (s: string) => s.toLowerCase().replace(/[\s_-]+/g, '');

/** Column indices from a header row, or null when the row is not a header (no path column named). */
export function headerColumns(cells: readonly string[]): Partial<Record<Column, number>> | null {
  const found: Partial<Record<Column, number>> = {};
  cells.forEach((cell, i) => {
    const k = key(cell);
    for (const col of Object.keys(HEADER_NAMES) as Column[]) {
      if (found[col] === undefined && HEADER_NAMES[col].includes(k)) found[col] = i;
    }
  });
  return found.path === undefined ? null : found;
}

/**
 * Reads `csvText` (the file at `csvPath` among `entries`) against the picked folder's files. Rows
 * that name a missing file, an unknown modality or an empty cell are told one by one and left out;
 * image files no row names are listed as skipped (`not-in-csv`).
 */
export function discoverCsv(csvText: string, csvPath: string, entries: readonly FileEntry[]): Discovery {
  let rows: CsvRow[];
  try {
    rows = parseCsv(csvText);
  } catch (e) {
    if (!(e instanceof CsvSyntaxError)) throw e;
    return summarise('csv', '', [], [], [{ code: 'csv-syntax', line: e.line, problem: e.problem }]);
  }
  if (rows.length === 0) return summarise('csv', '', [], [], [{ code: 'csv-empty' }]);
  const problems: LayoutProblem[] = [];
  let columns = headerColumns(rows[0]!.cells);
  if (columns === null) {
    columns = { path: 0, modality: 1, class: 2, ...(rows[0]!.cells.length > 3 ? { patient: 3 } : {}) };
    problems.push({ code: 'csv-positional-columns' });
  } else {
    rows = rows.slice(1);
    for (const col of ['modality', 'class'] as const) {
      if (columns[col] === undefined) return summarise('csv', '', [], [], [{ code: 'csv-missing-column', column: col }]);
    }
  }
  const cols = columns as Record<'path' | 'modality' | 'class', number> & { patient?: number };

  const csvNorm = normalisePath(csvPath) ?? csvPath;
  const base = csvNorm.includes('/') ? csvNorm.slice(0, csvNorm.lastIndexOf('/') + 1) : '';
  const byPath = new Map<string, FileEntry>();
  for (const e of entries) {
    const p = normalisePath(e.path);
    if (p !== null) byPath.set(p, e);
  }

  const images: DiscoveredImage[] = [];
  const skipped: SkippedFile[] = [];
  let bySuffix = 0;
  const used = new Set<string>([csvNorm]);
  for (const { line, cells } of rows) {
    const cell = (i: number | undefined) => (i === undefined ? '' : (cells[i] ?? '').trim());
    const raw = cell(cols.path);
    const modalityText = cell(cols.modality);
    const classLabel = cell(cols.class);
    const missing = raw === '' ? 'path' : modalityText === '' ? 'modality' : classLabel === '' ? 'class' : null;
    if (missing !== null) {
      problems.push({ code: 'csv-missing-value', line, column: missing });
      continue;
    }
    const modality = folderModality(modalityText);
    if (modality === null) {
      problems.push({ code: 'csv-unknown-modality', line, value: modalityText });
      continue;
    }
    const found = locate(raw, base, byPath);
    if (found !== null && found.bySuffix) bySuffix++;
    const path = found?.path ?? null;
    const entry = path === null ? undefined : byPath.get(path);
    if (path === null || entry === undefined) {
      problems.push({ code: 'csv-file-missing', line, path: raw });
      continue;
    }
    if (used.has(path)) {
      problems.push({ code: 'csv-repeated-row', line, path });
      continue;
    }
    used.add(path);
    const reason = fileSkipReason(entry);
    if (reason !== null) {
      skipped.push({ path, reason });
      continue;
    }
    const patient = cell(cols.patient);
    images.push({ path, size: entry.size, modality, classLabel, patientId: patient === '' ? null : patient });
  }
  for (const [path, e] of byPath) {
    if (used.has(path)) continue;
    const reason = fileSkipReason(e);
    skipped.push({ path, reason: reason ?? 'not-in-csv' });
  }
  if (bySuffix > 0) problems.push({ code: 'csv-paths-by-suffix', rows: bySuffix });
  return summarise('csv', base.replace(/\/$/, ''), images, skipped, problems);
}

/**
 * The picked file a CSV path names: relative to the CSV's folder, then to the picked folder, then
 * (paths written on another machine: `C:\data\study\2d\0\a.jpg`, `/home/…`) the longest tail of
 * the path that names a picked file.
 */
function locate(raw: string, base: string, byPath: ReadonlyMap<string, FileEntry>): { path: string; bySuffix: boolean } | null {
  const rel = normalisePath(raw);
  if (rel !== null) {
    if (byPath.has(base + rel)) return { path: base + rel, bySuffix: false };
    if (byPath.has(rel)) return { path: rel, bySuffix: false };
  }
  // `..` segments are dropped with the head of the path, never followed.
  const parts = raw.split(/[\\/]+/).filter((x) => x !== '' && x !== '.');
  for (let i = 1; i < parts.length; i++) {
    const tail = parts.slice(i);
    if (tail.includes('..')) continue;
    const t = tail.join('/');
    if (byPath.has(base + t)) return { path: base + t, bySuffix: true };
    if (byPath.has(t)) return { path: t, bySuffix: true };
  }
  return null;
}
