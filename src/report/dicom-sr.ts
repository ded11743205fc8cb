/**
 * The examination's findings as a DICOM Comprehensive SR, written by dcmjs: per node its level,
 * side, axes, descriptors and impression, the AI result as a separate, labelled item, and the
 * clinician's conclusion. No standard template covers cervical node descriptors, so concepts are
 * coded in a private scheme (99LYMPHSCOPE, as the standard allows for local codes); units are UCUM.
 * Identifiers, as for every export, only from what the user typed (see dicom.ts).
 */

import { axisRatio, CHOICE_DESCRIPTORS, type NodeDescriptors } from '../domain';
import type { CaseRecord } from '../history';
import { commonElements, writeDataset, SOP_CLASS, type DicomContext } from './dicom';
import { topResult } from './exam';

type Item = Record<string, unknown>;

const SCHEME = '99LYMPHSCOPE';
const code = (value: string, meaning: string) => [{ CodeValue: value, CodingSchemeDesignator: SCHEME, CodeMeaning: meaning }];
const UNITS = {
  mm: [{ CodeValue: 'mm', CodingSchemeDesignator: 'UCUM', CodeMeaning: 'millimeter' }],
  none: [{ CodeValue: '1', CodingSchemeDesignator: 'UCUM', CodeMeaning: 'no units' }],
};

const text = (value: string, meaning: string, t: string): Item => ({
  RelationshipType: 'CONTAINS',
  ValueType: 'TEXT',
  ConceptNameCodeSequence: code(value, meaning),
  TextValue: t.slice(0, 10_000),
});

const num = (value: string, meaning: string, n: number, unit: keyof typeof UNITS): Item => ({
  RelationshipType: 'CONTAINS',
  ValueType: 'NUM',
  ConceptNameCodeSequence: code(value, meaning),
  // DS holds at most 16 characters.
  MeasuredValueSequence: [{ NumericValue: String(Number(n.toPrecision(10))), MeasurementUnitsCodeSequence: UNITS[unit] }],
});

const container = (value: string, meaning: string, items: Item[]): Item => ({
  RelationshipType: 'CONTAINS',
  ValueType: 'CONTAINER',
  ConceptNameCodeSequence: code(value, meaning),
  ContinuityOfContent: 'SEPARATE',
  ContentSequence: items,
});

/** English names of the descriptors for the SR's code meanings (the record's own values are English ids). */
const MEANING: Record<string, string> = {
  hilum: 'Echogenic hilum',
  cortex: 'Cortex',
  margins: 'Margins',
  necrosis: 'Necrosis',
  calcification: 'Calcification',
  matting: 'Matting',
  oedema: 'Adjacent soft-tissue oedema',
  vascularPattern: 'Vascular pattern',
};

function findings(d: NodeDescriptors): Item[] {
  const out: Item[] = [];
  if (d.level) out.push(text('LS-LEVEL', 'Nodal level', d.level));
  if (d.side) out.push(text('LS-SIDE', 'Side', d.side));
  if (d.longAxisMm !== null) out.push(num('LS-LONG', 'Long axis', d.longAxisMm, 'mm'));
  if (d.shortAxisMm !== null) out.push(num('LS-SHORT', 'Short axis', d.shortAxisMm, 'mm'));
  const ratio = axisRatio(d);
  if (ratio !== null) out.push(num('LS-SL', 'Short-to-long axis ratio', ratio, 'none'));
  if (d.longAxisMm !== null || d.shortAxisMm !== null) out.push(text('LS-AXES-SRC', 'Axes source', d.axesSource));
  for (const k of CHOICE_DESCRIPTORS) {
    const v = d[k];
    if (v !== null) out.push(text(`LS-${k.toUpperCase()}`, MEANING[k] ?? k, v));
  }
  if (d.vascularGrade !== null) out.push(num('LS-VGRADE', 'Vascular grade (Adler)', d.vascularGrade, 'none'));
  if (d.elastoScore !== null) out.push(num('LS-ELASTO', 'Elastography score', d.elastoScore, 'none'));
  if (d.strainRatio !== null) out.push(num('LS-STRAIN', 'Strain ratio', d.strainRatio, 'none'));
  if (d.impression.trim()) out.push(text('LS-IMPRESSION', 'Node impression', d.impression));
  return out;
}

function aiResult(r: CaseRecord): Item[] {
  const top = topResult(r);
  if (!top) return [];
  const what = r.fused ? 'fused' : 'single modality';
  return [
    text(
      'LS-AI',
      'AI assessment (decision support, not a diagnosis)',
      `${top.label} ${(top.probability * 100).toFixed(1)}% (${what}; model ${r.model.id} ${r.model.version})`,
    ),
  ];
}

/** The examination's findings as one Comprehensive SR. */
export function structuredReport(nodes: CaseRecord[], ctx: DicomContext, instanceNumber: number): Uint8Array {
  const e = ctx.exam;
  const content: Item[] = [];
  if (e.indication.trim()) content.push(text('LS-INDICATION', 'Indication', e.indication));
  nodes.forEach((n, i) => content.push(container(`LS-NODE`, `Node ${i + 1}`, [...findings(n.descriptors), ...aiResult(n)])));
  if (e.conclusion.trim()) content.push(text('LS-CONCLUSION', 'Conclusion', e.conclusion));
  return writeDataset({
    ...commonElements(ctx, SOP_CLASS.comprehensiveSr, instanceNumber),
    Modality: 'SR',
    // An approved conclusion completes the report; who approved it is the reporter as typed.
    CompletionFlag: e.approvedAt ? 'COMPLETE' : 'PARTIAL',
    VerificationFlag: 'UNVERIFIED',
    PerformedProcedureCodeSequence: [],
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: code('LS-REPORT', 'Cervical lymph node ultrasound findings'),
    ContinuityOfContent: 'SEPARATE',
    ContentSequence: content,
  });
}
