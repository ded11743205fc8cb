/**
 * The conventional reading of a recorded descriptor and its source (docs/descriptors.md), in the
 * current language: the form shows it beside the control and the report beside the value.
 */

import { axisRatio, CHOICE_DESCRIPTORS, type ChoiceDescriptor, type NodeDescriptors } from '../../../domain';
import type { Messages } from '../../../i18n/index.svelte';

export type DescriptorRow =
  | ChoiceDescriptor
  | 'level'
  | 'side'
  | 'longAxisMm'
  | 'shortAxisMm'
  | 'ratio'
  | 'vascularGrade'
  | 'elastoScore'
  | 'strainRatio'
  | 'impression';

/** The rows of the findings, in the order the form and the report show them. */
export const DESCRIPTOR_ROWS: DescriptorRow[] = [
  'level',
  'side',
  'longAxisMm',
  'shortAxisMm',
  'ratio',
  'hilum',
  'cortex',
  'margins',
  'necrosis',
  'calcification',
  'matting',
  'oedema',
  'vascularPattern',
  'vascularGrade',
  'elastoScore',
  'strainRatio',
  'impression',
];

const isChoice = (r: DescriptorRow): r is ChoiceDescriptor => (CHOICE_DESCRIPTORS as string[]).includes(r);

/**
 * The sources of the readings (docs/descriptors.md has the full references). Citations are the
 * same in every language.
 */
export const SOURCES = {
  level: 'Som et al., Arch Otolaryngol Head Neck Surg 1999',
  axes: 'Ying & Ahuja, Clin Radiol 2003; Vassallo et al., Radiology 1992',
  hilum: 'Ying & Ahuja, Clin Radiol 2003; Ahuja & Ying, AJR 2005',
  general: 'Ahuja & Ying, AJR 2005',
  vascularGrade: 'Adler et al., Ultrasound Med Biol 1990',
  elastoScore: 'Alam et al., AJR 2008; Bhatia et al., Ultrasound Med Biol 2010',
  strainRatio: 'Lyshchik et al., Radiology 2007',
} as const;

export const fmtNumber = (v: number, digits = 1) => (Number.isInteger(v) && digits <= 1 ? String(v) : v.toFixed(digits));

/** The recorded value as text; null when nothing is recorded. */
export function valueText(row: DescriptorRow, d: NodeDescriptors, m: Messages): string | null {
  const t = m.clinical.descriptors;
  if (row === 'ratio') {
    const r = axisRatio(d);
    return r === null ? null : r.toFixed(2);
  }
  if (row === 'level') return d.level;
  if (row === 'side') return d.side && t.sides[d.side];
  if (row === 'impression') return d.impression.trim() || null;
  if (isChoice(row)) {
    const v = d[row];
    return v === null ? null : ((t.values[row] as Record<string, string>)[v] ?? v);
  }
  const v = d[row];
  if (v === null) return null;
  const text = row === 'strainRatio' ? fmtNumber(v, 2) : fmtNumber(v);
  return (row === 'longAxisMm' || row === 'shortAxisMm') && d.axesSource === 'measured' ? `${text} (${t.measured})` : text;
}

/** The conventional reading of the recorded value and its source; null when there is none to show. */
export function reading(row: DescriptorRow, d: NodeDescriptors, m: Messages): { text: string; source: string } | null {
  const t = m.clinical.descriptors;
  const s = SOURCES;
  if (row === 'level') return d.level ? { text: t.levelReading, source: s.level } : null;
  if (row === 'ratio') {
    const r = axisRatio(d);
    return r === null ? null : { text: t.ratioReading(r < 0.5), source: s.axes };
  }
  if (row === 'vascularGrade') return d.vascularGrade === null ? null : { text: t.gradeReading, source: s.vascularGrade };
  if (row === 'elastoScore') return d.elastoScore === null ? null : { text: t.elastoReading, source: s.elastoScore };
  if (row === 'strainRatio') return d.strainRatio === null ? null : { text: t.strainReading, source: s.strainRatio };
  if (isChoice(row)) {
    const v = d[row];
    if (v === null) return null;
    const text = (t.readings[row] as Record<string, string>)[v];
    return text ? { text, source: row === 'hilum' ? s.hilum : s.general } : null;
  }
  return null;
}
