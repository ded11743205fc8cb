/**
 * The data of the printable report and its JSON export, derived from a saved case (so a report of
 * an old case always describes the model that produced it, not the one loaded today).
 */

import type { CaseProvenance, ModalityId, NodeMeasurement, RoiRect } from '../domain';
import { CASE_MODALITIES, type CaseRecord } from '../history';

export const RESULT_FORMAT = 'lymphscope-result';
export const RESULT_VERSION = 1;

export interface ClassProbability {
  id: string;
  label: string;
  probability: number;
}

export interface ReportModality {
  modality: ModalityId;
  probabilities: ClassProbability[];
  top: ClassProbability;
  roi: RoiRect;
  sourceSize: { width: number; height: number };
  /** The node's axes, when they were measured. */
  measurements: NodeMeasurement | null;
}

export interface ReportData {
  caseId: string;
  createdAt: string;
  label: string;
  note: string;
  backend: string;
  appVersion: string;
  model: CaseRecord['model'];
  modalities: ReportModality[];
  fused: { probabilities: ClassProbability[]; top: ClassProbability; method: string } | null;
  /** Where the images came from; null for a case saved before provenance was kept (unknown). */
  provenance: CaseProvenance | null;
}

function withLabels(r: CaseRecord, probs: number[]): ClassProbability[] {
  return r.model.classes.map((c, i) => ({ id: c.id, label: c.label, probability: probs[i] ?? 0 }));
}

function top(p: ClassProbability[]): ClassProbability {
  return p.reduce((a, b) => (b.probability > a.probability ? b : a));
}

export function buildReport(r: CaseRecord): ReportData {
  const modalities: ReportModality[] = [];
  for (const m of CASE_MODALITIES) {
    const res = r.results[m];
    if (!res) continue;
    const probabilities = withLabels(r, res.probabilities);
    modalities.push({
      modality: m,
      probabilities,
      top: top(probabilities),
      roi: { ...res.roi },
      sourceSize: { width: res.sourceWidth, height: res.sourceHeight },
      measurements: res.measurements ? { ...res.measurements } : null,
    });
  }
  const fusedProbs = r.fused ? withLabels(r, r.fused) : null;
  return {
    caseId: r.id,
    createdAt: r.createdAt,
    label: r.label,
    note: r.note,
    backend: r.backend,
    appVersion: r.appVersion,
    model: r.model,
    modalities,
    fused: fusedProbs ? { probabilities: fusedProbs, top: top(fusedProbs), method: r.model.fusion } : null,
    provenance: r.provenance ?? null,
  };
}

/** The result as a JSON document (numbers and provenance; no image pixels). */
export function reportJson(r: CaseRecord, exportedAt = new Date()): string {
  const d = buildReport(r);
  const probs = (p: ClassProbability[]) => Object.fromEntries(p.map((c) => [c.id, c.probability]));
  return JSON.stringify(
    {
      format: RESULT_FORMAT,
      formatVersion: RESULT_VERSION,
      exportedAt: exportedAt.toISOString(),
      case: { id: d.caseId, createdAt: d.createdAt, label: d.label, note: d.note },
      software: { name: 'LymphScope', version: d.appVersion, backend: d.backend },
      model: {
        id: d.model.id,
        version: d.model.version,
        title: d.model.title,
        fixture: d.model.fixture,
        classes: d.model.classes,
        fusion: d.model.fusion,
        metrics: d.model.metrics,
        license: d.model.license,
      },
      results: Object.fromEntries(
        d.modalities.map((m) => [
          m.modality,
          {
            probabilities: probs(m.probabilities),
            logits: r.results[m.modality]!.logits,
            topClass: m.top.id,
            roi: m.roi,
            sourceSize: m.sourceSize,
          },
        ]),
      ),
      fused: d.fused ? { method: d.fused.method, probabilities: probs(d.fused.probabilities), topClass: d.fused.top.id } : null,
      provenance: d.provenance,
      intendedUse: d.model.intendedUse,
      disclaimer: d.model.disclaimer,
    },
    null,
    2,
  );
}

/** A file name for exports: date, then the label reduced to safe characters. */
export function exportFileName(r: { createdAt: string; label: string }, suffix: string): string {
  const date = r.createdAt.slice(0, 19).replace(/[:T]/g, '-');
  const label = r.label
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
  return `lymphscope-${date}${label ? `-${label}` : ''}${suffix}`;
}
