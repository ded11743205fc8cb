/**
 * The export file: one JSON document holding selected cases. Import validates every field of
 * every case before anything is stored, and rejects the whole file with a message naming the first
 * bad field.
 */

import { caseFromJson, caseToJson } from './codec';
import { ImportError, InvalidDataError } from './errors';
import type { CaseRecord } from './types';

export const EXPORT_FORMAT = 'lymphscope-cases';
export const EXPORT_VERSION = 1;
export const MAX_IMPORT_BYTES = 512 * 1024 * 1024;
export const MAX_IMPORT_CASES = 10_000;

export function buildExportFile(cases: CaseRecord[], appVersion: string, now = new Date()): string {
  return JSON.stringify({
    format: EXPORT_FORMAT,
    formatVersion: EXPORT_VERSION,
    exportedAt: now.toISOString(),
    appVersion,
    cases: cases.map(caseToJson),
  });
}

export function parseExportFile(text: string): CaseRecord[] {
  if (text.length > MAX_IMPORT_BYTES) throw new ImportError('too-large', 'The file is too large to be a LymphScope export.');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ImportError('not-json', 'The file is not a LymphScope export (it is not JSON).');
  }
  const o = json as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || Array.isArray(o) || o.format !== EXPORT_FORMAT)
    throw new ImportError('wrong-format', 'The file is not a LymphScope case export.');
  if (o.formatVersion !== EXPORT_VERSION)
    throw new ImportError('unsupported-version', `Export format version ${String(o.formatVersion)} is not supported.`);
  if (!Array.isArray(o.cases) || o.cases.length === 0) throw new ImportError('no-cases', 'The file holds no cases.', 'cases');
  if (o.cases.length > MAX_IMPORT_CASES) throw new ImportError('too-large', 'The file holds too many cases.', 'cases');
  const seen = new Set<string>();
  return o.cases.map((c, i) => {
    try {
      const rec = caseFromJson(c, `cases[${i}]`);
      if (seen.has(rec.id)) throw new InvalidDataError(`cases[${i}].id`, 'appears twice in the file');
      seen.add(rec.id);
      return rec;
    } catch (e) {
      if (e instanceof InvalidDataError) throw new ImportError('invalid-case', `Case ${i + 1}: ${e.message}`, e.path);
      throw new ImportError('invalid-case', `Case ${i + 1} is malformed.`, `cases[${i}]`);
    }
  });
}
