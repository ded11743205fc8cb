/**
 * The clinician's sonographic descriptors of one lymph node, and the examination that groups
 * nodes. These are findings the user records, never model output: the history stores them, the
 * report prints them in their own section and the exports carry them. The conventional reading of
 * each value and its source are in docs/descriptors.md; the UI shows the reading in both languages.
 */

import type { ModalityAnalysis } from './analysis';

/** Cervical node levels of the imaging-based classification (Som et al. 1999). */
export const NODE_LEVELS = ['I', 'II', 'III', 'IV', 'V', 'VI', 'VII'] as const;
export type NodeLevel = (typeof NODE_LEVELS)[number];

export const NODE_SIDES = ['left', 'right', 'midline'] as const;
export type NodeSide = (typeof NODE_SIDES)[number];

/**
 * Every categorical descriptor with its allowed values, in the order the form shows them. The
 * order of values runs from the usual benign appearance to the suspicious one where such an order
 * exists.
 */
export const DESCRIPTOR_CHOICES = {
  hilum: ['present', 'narrowed', 'absent'],
  cortex: ['thin', 'eccentric', 'concentric'],
  margins: ['sharp', 'unsharp'],
  necrosis: ['none', 'cystic', 'coagulative'],
  calcification: ['none', 'punctate', 'coarse'],
  matting: ['absent', 'present'],
  oedema: ['absent', 'present'],
  vascularPattern: ['hilar', 'absent', 'peripheral', 'mixed'],
} as const;

export type ChoiceDescriptor = keyof typeof DESCRIPTOR_CHOICES;
export type ChoiceValue<K extends ChoiceDescriptor> = (typeof DESCRIPTOR_CHOICES)[K][number];
export const CHOICE_DESCRIPTORS = Object.keys(DESCRIPTOR_CHOICES) as ChoiceDescriptor[];

/** Numeric descriptors and their accepted ranges (millimetres; grade and score are whole numbers). */
export const DESCRIPTOR_RANGES = {
  longAxisMm: { min: 0.1, max: 200, integer: false },
  shortAxisMm: { min: 0.1, max: 200, integer: false },
  vascularGrade: { min: 0, max: 3, integer: true },
  elastoScore: { min: 1, max: 5, integer: true },
  strainRatio: { min: 0.01, max: 100, integer: false },
} as const;
export type NumericDescriptor = keyof typeof DESCRIPTOR_RANGES;
export const NUMERIC_DESCRIPTORS = Object.keys(DESCRIPTOR_RANGES) as NumericDescriptor[];

/** Where the axes came from: typed by the clinician, or taken from a measurement in the app. */
export type AxesSource = 'manual' | 'measured';

export type NodeDescriptors = { [K in ChoiceDescriptor]: ChoiceValue<K> | null } & {
  [K in NumericDescriptor]: number | null;
} & {
  level: NodeLevel | null;
  side: NodeSide | null;
  axesSource: AxesSource;
  /** The clinician's short impression of this node (free text). */
  impression: string;
};

export const DESCRIPTOR_TEXT_MAX = 2000;

export function emptyDescriptors(): NodeDescriptors {
  return {
    level: null,
    side: null,
    longAxisMm: null,
    shortAxisMm: null,
    axesSource: 'manual',
    hilum: null,
    cortex: null,
    margins: null,
    necrosis: null,
    calcification: null,
    matting: null,
    oedema: null,
    vascularPattern: null,
    vascularGrade: null,
    elastoScore: null,
    strainRatio: null,
    impression: '',
  };
}

/** Short-to-long axis ratio (S/L), or null when an axis is missing or the short one is the longer. */
export function axisRatio(d: Pick<NodeDescriptors, 'longAxisMm' | 'shortAxisMm'>): number | null {
  const { longAxisMm: l, shortAxisMm: s } = d;
  if (l === null || s === null || l <= 0 || s > l) return null;
  return s / l;
}

/** True when nothing has been recorded. */
export function descriptorsEmpty(d: NodeDescriptors): boolean {
  const e = emptyDescriptors();
  return (Object.keys(e) as (keyof NodeDescriptors)[]).every((k) => k === 'axesSource' || d[k] === e[k]);
}

/**
 * Axes in millimetres from the measurement an analysis carries (the outlined node's calipers),
 * or null when it has none or no scale was known (pixels are not a clinical size).
 */
export function measuredAxes(
  analysis: Pick<ModalityAnalysis, 'measurements'> | undefined,
): { longMm: number; shortMm: number } | null {
  const m = analysis?.measurements;
  if (!m || m.longAxisMm === null || m.shortAxisMm === null) return null;
  const { longAxisMm: a, shortAxisMm: b } = m;
  if (!Number.isFinite(a) || !Number.isFinite(b) || !(a > 0) || !(b > 0)) return null;
  return a >= b ? { longMm: a, shortMm: b } : { longMm: b, shortMm: a };
}

/** The examination a node belongs to. Identifiers are only ever what the user typed. */
export interface ExamInfo {
  id: string;
  /** Accession number of the examination (RIS), as typed. */
  accession: string;
  /** Examination date, YYYY-MM-DD. */
  date: string;
  reporter: string;
  indication: string;
  /** Patient reference as typed (e.g. the hospital's patient id); used to find earlier examinations. */
  patientRef: string;
  /** The clinician's conclusion for the whole examination. */
  conclusion: string;
  /** When the conclusion was approved (ISO date-time); null: the report is a draft. */
  approvedAt: string | null;
}

export const EXAM_LIMITS = { accession: 64, reporter: 200, indication: 2000, patientRef: 64, conclusion: 5000 } as const;

export function newExam(id: string, now = new Date()): ExamInfo {
  return {
    id,
    accession: '',
    date: localDate(now),
    reporter: '',
    indication: '',
    patientRef: '',
    conclusion: '',
    approvedAt: null,
  };
}

/** YYYY-MM-DD in the user's time zone (an examination date is a calendar day, not an instant). */
export function localDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}
