/**
 * Validation of the clinical part of a case: its examination and the node's descriptors, and the
 * values a case written before examinations existed reads back with.
 */

import {
  CHOICE_DESCRIPTORS,
  DESCRIPTOR_CHOICES,
  DESCRIPTOR_RANGES,
  DESCRIPTOR_TEXT_MAX,
  emptyDescriptors,
  EXAM_LIMITS,
  NODE_LEVELS,
  NODE_SIDES,
  NUMERIC_DESCRIPTORS,
  type ExamInfo,
  type NodeDescriptors,
} from '../domain';
import { InvalidDataError } from './errors';
import type { CaseSummary } from './types';
import { bool, caseId, isoDate, nullable, num, obj, oneOf, str } from './validate';

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

function day(v: unknown, path: string): string {
  const s = str(v, path, 10);
  if (!DATE_RE.test(s) || Number.isNaN(Date.parse(`${s}T00:00:00Z`)))
    throw new InvalidDataError(path, 'must be a date YYYY-MM-DD');
  return s;
}

/** A legacy case is its own examination: same id, dated the day it was saved (UTC), nothing typed yet. */
export function legacyExam(caseIdValue: string, createdAt: string): ExamInfo {
  return {
    id: caseIdValue,
    accession: '',
    date: createdAt.slice(0, 10),
    reporter: '',
    indication: '',
    patientRef: '',
    conclusion: '',
    approvedAt: null,
  };
}

export const legacyDescriptors = emptyDescriptors;

export function examOf(v: unknown, path: string): ExamInfo {
  const o = obj(v, path);
  return {
    id: caseId(o.id, `${path}.id`),
    accession: str(o.accession, `${path}.accession`, EXAM_LIMITS.accession),
    date: day(o.date, `${path}.date`),
    reporter: str(o.reporter, `${path}.reporter`, EXAM_LIMITS.reporter),
    indication: str(o.indication, `${path}.indication`, EXAM_LIMITS.indication),
    patientRef: str(o.patientRef, `${path}.patientRef`, EXAM_LIMITS.patientRef),
    conclusion: str(o.conclusion, `${path}.conclusion`, EXAM_LIMITS.conclusion),
    approvedAt: nullable(o.approvedAt, (x) => isoDate(x, `${path}.approvedAt`)),
  };
}

export function descriptorsOf(v: unknown, path: string): NodeDescriptors {
  const o = obj(v, path);
  const d = emptyDescriptors();
  d.level = nullable(o.level, (x) => oneOf(x, NODE_LEVELS, `${path}.level`));
  d.side = nullable(o.side, (x) => oneOf(x, NODE_SIDES, `${path}.side`));
  d.axesSource = oneOf(o.axesSource, ['manual', 'measured'] as const, `${path}.axesSource`);
  d.impression = str(o.impression, `${path}.impression`, DESCRIPTOR_TEXT_MAX);
  for (const k of CHOICE_DESCRIPTORS) {
    const allowed: readonly string[] = DESCRIPTOR_CHOICES[k];
    (d as Record<string, unknown>)[k] = nullable(o[k], (x) => oneOf(x, allowed, `${path}.${k}`));
  }
  for (const k of NUMERIC_DESCRIPTORS) {
    const r = DESCRIPTOR_RANGES[k];
    d[k] = nullable(o[k], (x) => {
      const n = num(x, `${path}.${k}`, r.min, r.max);
      if (r.integer && !Number.isInteger(n)) throw new InvalidDataError(`${path}.${k}`, 'must be a whole number');
      return n;
    });
  }
  if (d.longAxisMm !== null && d.shortAxisMm !== null && d.shortAxisMm > d.longAxisMm)
    throw new InvalidDataError(`${path}.shortAxisMm`, 'must not exceed the long axis');
  return d;
}

type ExamFields = Pick<
  CaseSummary,
  'examId' | 'accession' | 'examDate' | 'reporter' | 'patientRef' | 'level' | 'side' | 'approved'
>;

/** The examination fields of a list entry; an entry written before examinations existed has none. */
export function summaryExamFields(o: Record<string, unknown>, path: string, id: string, createdAt: string): ExamFields {
  if (o.examId === undefined) {
    const e = legacyExam(id, createdAt);
    return {
      examId: e.id,
      accession: '',
      examDate: e.date,
      reporter: '',
      patientRef: '',
      level: null,
      side: null,
      approved: false,
    };
  }
  return {
    examId: caseId(o.examId, `${path}.examId`),
    accession: str(o.accession, `${path}.accession`, EXAM_LIMITS.accession),
    examDate: day(o.examDate, `${path}.examDate`),
    reporter: str(o.reporter, `${path}.reporter`, EXAM_LIMITS.reporter),
    patientRef: str(o.patientRef, `${path}.patientRef`, EXAM_LIMITS.patientRef),
    level: nullable(o.level, (x) => oneOf(x, NODE_LEVELS, `${path}.level`)),
    side: nullable(o.side, (x) => oneOf(x, NODE_SIDES, `${path}.side`)),
    approved: bool(o.approved, `${path}.approved`),
  };
}
