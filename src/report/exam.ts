/**
 * The examination as the report and the follow-up comparison see it: which model is only a
 * demonstration, and what changed per node between two examinations of one patient.
 */

import { axisRatio, CHOICE_DESCRIPTORS, type NodeDescriptors } from '../domain';
import type { CaseRecord, ModelSummary } from '../history';

/**
 * A model trained on simulated data (or a test fixture) is a demonstration: the report then says
 * so in the reader's language. The pack declares no flag for it; its training summary and its
 * metrics' data sets name the simulated data (the bundled demo pack: "Simulated cervical lymph
 * nodes (LymphScope phantoms …)").
 */
export function isDemonstration(m: ModelSummary): boolean {
  if (m.fixture) return true;
  const text = [m.training, ...m.metrics.map((x) => x.dataset)].join(' ');
  return /\b(simulated|phantoms?)\b/i.test(text);
}

/** The class the fused result (else the first modality) ranks highest, with its probability. */
export function topResult(r: CaseRecord): { id: string; label: string; probability: number } | null {
  const probs = r.fused ?? Object.values(r.results)[0]?.probabilities ?? null;
  if (!probs || probs.length === 0) return null;
  let k = 0;
  for (let i = 1; i < probs.length; i++) if (probs[i]! > probs[k]!) k = i;
  const c = r.model.classes[k];
  return c ? { id: c.id, label: c.label, probability: probs[k]! } : null;
}

export interface NodeComparison {
  /** Where the node lies ("II left"), or its position when level and side are not recorded. */
  key: string;
  before: CaseRecord | null;
  after: CaseRecord | null;
  /** Long and short axis change in mm (after − before); null when either is missing. */
  longDeltaMm: number | null;
  shortDeltaMm: number | null;
  ratioBefore: number | null;
  ratioAfter: number | null;
  /** Descriptors whose recorded value differs (both recorded, or one recorded and one not). */
  changed: { name: keyof NodeDescriptors; before: unknown; after: unknown }[];
}

const where = (r: CaseRecord) =>
  r.descriptors.level || r.descriptors.side ? `${r.descriptors.level ?? '?'} ${r.descriptors.side ?? '?'}` : null;

const delta = (a: number | null | undefined, b: number | null | undefined) =>
  a === null || a === undefined || b === null || b === undefined ? null : Math.round((b - a) * 10) / 10;

/**
 * Pairs the nodes of two examinations by level and side (the way a follow-up is read); nodes
 * without either are paired by their order among such nodes. Unpaired nodes stand alone.
 */
export function compareExams(before: CaseRecord[], after: CaseRecord[]): NodeComparison[] {
  const keyed = (list: CaseRecord[]) => {
    let n = 0;
    return list.map((r) => ({ key: where(r) ?? `#${++n}`, r }));
  };
  const a = keyed(before);
  const b = keyed(after);
  const keys = [...new Set([...a.map((x) => x.key), ...b.map((x) => x.key)])];
  return keys.map((key) => {
    const x = a.find((e) => e.key === key)?.r ?? null;
    const y = b.find((e) => e.key === key)?.r ?? null;
    const changed: NodeComparison['changed'] = [];
    if (x && y)
      for (const name of [...CHOICE_DESCRIPTORS, 'vascularGrade', 'elastoScore', 'strainRatio'] as const)
        if (x.descriptors[name] !== y.descriptors[name])
          changed.push({ name, before: x.descriptors[name], after: y.descriptors[name] });
    return {
      key,
      before: x,
      after: y,
      longDeltaMm: delta(x?.descriptors.longAxisMm, y?.descriptors.longAxisMm),
      shortDeltaMm: delta(x?.descriptors.shortAxisMm, y?.descriptors.shortAxisMm),
      ratioBefore: x ? axisRatio(x.descriptors) : null,
      ratioAfter: y ? axisRatio(y.descriptors) : null,
      changed,
    };
  });
}
