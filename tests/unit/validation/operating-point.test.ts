import { describe, expect, it } from 'vitest';
import {
  appliesToPack,
  binaryScore,
  chooseThreshold,
  evaluateThreshold,
  npvAtPrevalence,
  OperatingPointError,
  parseOperatingPoint,
  ppvAtPrevalence,
  questionPositives,
  serializeOperatingPoint,
  type OperatingPoint,
} from '../../../src/validation';

const CLASSES = ['metastatic', 'lymphoma', 'benign'];
// Positives score 0.9, 0.8, 0.6, 0.4; negatives 0.7, 0.3, 0.2, 0.1.
const positive = [true, true, true, true, false, false, false, false];
const score = [0.9, 0.8, 0.6, 0.4, 0.7, 0.3, 0.2, 0.1];

describe('binary questions', () => {
  it('malignant is metastatic plus lymphoma; one class against the rest', () => {
    expect(questionPositives({ kind: 'malignant-vs-benign' }, CLASSES)).toEqual({ ok: true, positives: [0, 1] });
    expect(questionPositives({ kind: 'one-vs-rest', classId: 'benign' }, CLASSES)).toEqual({ ok: true, positives: [2] });
    expect(questionPositives({ kind: 'malignant-vs-benign' }, ['benign', 'lymphoma'])).toEqual({
      ok: false,
      missing: ['metastatic'],
    });
    expect(binaryScore([[0.5, 0.25, 0.25]], [0, 1])).toEqual([0.75]);
  });
});

describe('threshold choice', () => {
  it('at a target sensitivity takes the highest threshold that reaches it', () => {
    expect(chooseThreshold(positive, score, { kind: 'sensitivity', target: 0.75 })).toEqual({
      ok: true,
      threshold: 0.6,
      counts: { tp: 3, fp: 1, fn: 1, tn: 3 },
    });
    expect(chooseThreshold(positive, score, { kind: 'sensitivity', target: 1 })).toMatchObject({ threshold: 0.4 });
  });

  it('at a target specificity takes the lowest threshold that keeps it', () => {
    expect(chooseThreshold(positive, score, { kind: 'specificity', target: 0.75 })).toMatchObject({
      threshold: 0.4,
      counts: { tp: 4, fp: 1, fn: 0, tn: 3 },
    });
    expect(chooseThreshold(positive, score, { kind: 'specificity', target: 1 })).toMatchObject({ threshold: 0.8 });
  });

  it("by Youden's J, the highest threshold among equals", () => {
    // J: 0.9 → 0.25, 0.8 → 0.5, 0.7 → 0.25, 0.6 → 0.5, 0.4 → 0.75, 0.3 → 0.5 …
    expect(chooseThreshold(positive, score, { kind: 'youden' })).toMatchObject({ threshold: 0.4 });
    expect(chooseThreshold([true, false, true, false], [0.9, 0.8, 0.7, 0.1], { kind: 'youden' })).toMatchObject({
      threshold: 0.9,
    });
  });

  it('treats tied scores as one threshold', () => {
    const r = chooseThreshold([true, false, true, false], [0.5, 0.5, 0.9, 0.1], { kind: 'sensitivity', target: 0.9 });
    expect(r).toEqual({ ok: true, threshold: 0.5, counts: { tp: 2, fp: 1, fn: 0, tn: 1 } });
  });

  it('says why there is no threshold', () => {
    expect(chooseThreshold([true, true], [0.2, 0.3], { kind: 'youden' })).toEqual({ ok: false, reason: 'no-negatives' });
    expect(chooseThreshold([false], [0.2], { kind: 'youden' })).toEqual({ ok: false, reason: 'no-positives' });
    expect(chooseThreshold(positive, score, { kind: 'sensitivity', target: 1.5 })).toEqual({
      ok: false,
      reason: 'target-out-of-range',
    });
    // The top score is a negative: no threshold keeps specificity 1.
    expect(chooseThreshold([false, true], [0.9, 0.5], { kind: 'specificity', target: 1 })).toEqual({
      ok: false,
      reason: 'unreachable',
    });
  });
});

describe('prevalence and intervals', () => {
  it("applies Bayes' rule", () => {
    expect(ppvAtPrevalence(0.9, 0.8, 0.1)).toBeCloseTo(0.09 / (0.09 + 0.18), 12);
    expect(npvAtPrevalence(0.9, 0.8, 0.1)).toBeCloseTo(0.72 / (0.72 + 0.01), 12);
    expect(ppvAtPrevalence(0, 1, 0.3)).toBeNull();
  });

  it('gives the rates at the threshold with patient intervals around them', () => {
    const patients = score.map((_, i) => `p${i}`);
    const r = evaluateThreshold(positive, score, patients, 0.6, 0.2, { resamples: 300, seed: 4 });
    expect(r.counts).toEqual({ tp: 3, fp: 1, fn: 1, tn: 3 });
    expect(r.rates.sensitivity.value).toBe(0.75);
    for (const name of ['sensitivity', 'specificity', 'ppv', 'npv'] as const) {
      const i = r.intervals[name];
      expect(i.lower!).toBeLessThanOrEqual(r.rates[name].value!);
      expect(i.upper!).toBeGreaterThanOrEqual(r.rates[name].value!);
      expect(i.lower!).toBeLessThan(i.upper!);
    }
    expect(r.atPrevalence!.ppv.value).toBeCloseTo(ppvAtPrevalence(0.75, 0.75, 0.2)!, 12);
    expect(r.atPrevalence!.ppvInterval.lower!).toBeLessThan(r.atPrevalence!.ppv.value!);
    expect(() => evaluateThreshold(positive, score, patients, 0.6, 1)).toThrow(RangeError);
    expect(evaluateThreshold(positive, score, patients, 0.6, null, { resamples: 10 }).atPrevalence).toBeNull();
  });
});

describe('operating point file', () => {
  const op: OperatingPoint = {
    format: 'lymphscope-operating-point',
    version: 1,
    pack: { id: 'seed-resnet18', sha256: 'ab'.repeat(32) },
    modality: 'fused',
    question: { kind: 'malignant-vs-benign' },
    rule: { kind: 'sensitivity', target: 0.9 },
    threshold: 0.6159350575016157,
    validation: {
      date: '2026-11-30T14:00:00.000Z',
      cases: 200,
      patients: 200,
      positives: 112,
      sensitivity: 0.9,
      specificity: 0.875,
    },
  };

  it('round-trips through its JSON text', () => {
    const text = serializeOperatingPoint(op);
    expect(parseOperatingPoint(JSON.parse(text))).toEqual(op);
    expect(appliesToPack(op, { id: 'seed-resnet18', sha256: 'AB'.repeat(32) })).toBe(true);
    expect(appliesToPack(op, { id: 'seed-resnet18', sha256: 'cd'.repeat(32) })).toBe(false);
  });

  const broken: [string, unknown, string][] = [
    ['format', { ...op, format: 'other' }, 'format'],
    ['version', { ...op, version: 2 }, 'version'],
    ['extra field', { ...op, note: 'x' }, 'note'],
    ['pack sha', { ...op, pack: { id: 'p', sha256: 'xyz' } }, 'pack.sha256'],
    ['pack id', { ...op, pack: { id: 'Seed Pack', sha256: 'ab'.repeat(32) } }, 'pack.id'],
    ['long class id', { ...op, question: { kind: 'one-vs-rest', classId: 'a'.repeat(65) } }, 'question.classId'],
    ['modality', { ...op, modality: 'ct' }, 'modality'],
    ['question', { ...op, question: { kind: 'one-vs-rest' } }, 'question.classId'],
    ['rule', { ...op, rule: { kind: 'sensitivity', target: 2 } }, 'rule.target'],
    ['threshold', { ...op, threshold: 'high' }, 'threshold'],
    ['date', { ...op, validation: { ...op.validation, date: '30/11/2026' } }, 'validation.date'],
    ['counts', { ...op, validation: { ...op.validation, positives: 500 } }, 'validation.positives'],
    ['not an object', [op], '(root)'],
  ];
  it.each(broken)('names the bad field: %s', (_name, doc, field) => {
    try {
      parseOperatingPoint(doc);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(OperatingPointError);
      expect((e as OperatingPointError).field).toBe(field);
    }
  });
});
