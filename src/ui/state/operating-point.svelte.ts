/**
 * Operating points in the validation view and on the single-node result: the clinical question,
 * the rule that picks the threshold on this site's set, what it gives (with intervals, and PPV/NPV
 * at a prevalence the user enters), and this site's saved point for the loaded pack, which the
 * result of every later analysis is also read against. Export and import as a small JSON file.
 */

/* eslint-disable svelte/prefer-svelte-reactivity -- the sets here are local counting helpers, never state. */

import {
  appliesToPack,
  binaryScore,
  chooseThreshold,
  evaluateThreshold,
  parseOperatingPoint,
  questionPositives,
  scoresOf,
  serializeOperatingPoint,
  OPERATING_POINT_FORMAT,
  OPERATING_POINT_VERSION,
  type BinaryQuestion,
  type CaseTable,
  type OperatingPoint,
  type OperatingPointResult,
  type RowModality,
  type RunSpec,
  type ThresholdChoice,
  type ThresholdRule,
  type ValidationStore,
} from '../../validation';

export type RuleKind = ThresholdRule['kind'];
/** 'malignant' or a class id (one vs the rest). */
export type QuestionChoice = string;

export interface PointOnSet {
  choice: ThresholdChoice;
  result: OperatingPointResult | null;
  cases: number;
  patients: number;
  positives: number;
}

export type ImportProblem =
  { kind: 'syntax' } | { kind: 'field'; field: string; problem: string } | { kind: 'other-pack'; id: string };

export class OperatingPointState {
  group = $state<RowModality>('fused');
  question = $state<QuestionChoice>('malignant');
  ruleKind = $state<RuleKind>('sensitivity');
  /** Target sensitivity or specificity, in percent as typed. */
  targetPercent = $state(90);
  /** Prevalence at the site, percent as typed; empty for none. */
  prevalencePercent = $state<number | null>(null);
  saved = $state.raw<OperatingPoint | null>(null);
  importProblem = $state.raw<ImportProblem | null>(null);
  /** Resamples of the intervals (tests may use fewer). */
  resamples = 1000;

  constructor(private readonly store: Pick<ValidationStore, 'saveOperatingPoint' | 'operatingPoint' | 'deleteOperatingPoint'>) {}

  get binaryQuestion(): BinaryQuestion {
    return this.question === 'malignant' ? { kind: 'malignant-vs-benign' } : { kind: 'one-vs-rest', classId: this.question };
  }

  get rule(): ThresholdRule {
    return this.ruleKind === 'youden' ? { kind: 'youden' } : { kind: this.ruleKind, target: this.targetPercent / 100 };
  }

  /** The threshold the rule picks on the table's rows of `group`, and what it gives there. */
  evaluate(table: CaseTable): PointOnSet | { missing: string[] } {
    const q = questionPositives(this.binaryQuestion, table.classes);
    if (!q.ok) return { missing: q.missing };
    const s = scoresOf(table, this.group);
    const positive = s.labels.map((l) => q.positives.includes(l));
    const score = binaryScore(s.probs, q.positives);
    const choice = chooseThreshold(positive, score, this.rule);
    const p = this.prevalencePercent;
    const prevalence = p !== null && p > 0 && p < 100 ? p / 100 : null;
    const result = choice.ok
      ? evaluateThreshold(positive, score, s.patients, choice.threshold, prevalence, { resamples: this.resamples })
      : null;
    return {
      choice,
      result,
      cases: s.labels.length,
      patients: new Set(s.patients).size,
      positives: positive.filter(Boolean).length,
    };
  }

  /** Saves the point chosen on `run`'s table as this site's point for the run's pack. */
  async save(run: RunSpec, table: CaseTable): Promise<boolean> {
    const e = this.evaluate(table);
    if ('missing' in e || !e.choice.ok || !e.result) return false;
    const op: OperatingPoint = {
      format: OPERATING_POINT_FORMAT,
      version: OPERATING_POINT_VERSION,
      pack: { id: run.pack.id, sha256: run.pack.sha256 },
      modality: this.group,
      question: this.binaryQuestion,
      rule: this.rule,
      threshold: e.choice.threshold,
      validation: {
        date: run.created,
        cases: e.cases,
        patients: e.patients,
        positives: e.positives,
        sensitivity: e.result.rates.sensitivity.value,
        specificity: e.result.rates.specificity.value,
      },
    };
    await this.store.saveOperatingPoint(op);
    this.saved = op;
    return true;
  }

  /** Reads the saved point of the loaded pack (null when none, or made for other bytes). */
  async load(pack: { id: string; sha256: string }): Promise<void> {
    const op = await this.store.operatingPoint(pack.id).catch(() => null);
    this.saved = op && appliesToPack(op, pack) ? op : null;
  }

  async remove(packId: string): Promise<void> {
    await this.store.deleteOperatingPoint(packId);
    this.saved = null;
  }

  exportText(): string | null {
    return this.saved ? serializeOperatingPoint(this.saved) : null;
  }

  /** Imports a file from another workstation; it must be for the loaded pack's very bytes. */
  async importText(text: string, pack: { id: string; sha256: string }): Promise<boolean> {
    this.importProblem = null;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.importProblem = { kind: 'syntax' };
      return false;
    }
    let op: OperatingPoint;
    try {
      op = parseOperatingPoint(json);
    } catch (e) {
      const f = e as { field?: string; problem?: string };
      this.importProblem = { kind: 'field', field: f.field ?? '', problem: f.problem ?? String(e) };
      return false;
    }
    if (!appliesToPack(op, pack)) {
      this.importProblem = { kind: 'other-pack', id: op.pack.id };
      return false;
    }
    await this.store.saveOperatingPoint(op);
    this.saved = op;
    return true;
  }
}

/**
 * A single analysis read against the saved point: whether its score (the question's summed
 * probability, of the modality the point was made for or the fused result) reaches the threshold.
 */
export function categoryAt(
  op: OperatingPoint,
  classes: readonly string[],
  probabilities: readonly number[] | null,
): { positive: boolean; score: number } | null {
  if (probabilities === null) return null;
  const q = questionPositives(op.question, classes);
  if (!q.ok) return null;
  const score = binaryScore([probabilities], q.positives)[0]!;
  return { positive: score >= op.threshold, score };
}
