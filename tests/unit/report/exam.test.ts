import { describe, expect, it } from 'vitest';
import { CHOICE_DESCRIPTORS, DESCRIPTOR_CHOICES, emptyDescriptors, measuredAxes, axisRatio, newExam } from '../../../src/domain';
import type { CaseRecord } from '../../../src/history';
import { en } from '../../../src/i18n/en';
import { zh } from '../../../src/i18n/zh';
import { compareExams, isDemonstration, topResult } from '../../../src/report';
import { DESCRIPTOR_ROWS, reading, valueText } from '../../../src/ui/components/exam/readings';
import { makeCase } from '../history/fixtures';

function node(
  level: 'II' | 'III' | null,
  side: 'left' | 'right' | null,
  long: number | null,
  short: number | null,
  seed = 1,
): CaseRecord {
  const c = makeCase(`n${seed}`, seed);
  return {
    ...c,
    exam: newExam('exam-000009'),
    descriptors: { ...emptyDescriptors(), level, side, longAxisMm: long, shortAxisMm: short },
  };
}

describe('descriptors', () => {
  it('computes the S/L ratio only from a consistent pair of axes', () => {
    expect(axisRatio({ longAxisMm: 20, shortAxisMm: 5 })).toBe(0.25);
    expect(axisRatio({ longAxisMm: 5, shortAxisMm: 20 })).toBeNull();
    expect(axisRatio({ longAxisMm: null, shortAxisMm: 5 })).toBeNull();
  });

  it('takes the axes in mm from the analysis measurement, never pixels alone', () => {
    const m = { roiSource: 'node' as const, longAxisPx: 80, shortAxisPx: 120, ratio: 0.67, scaleSource: 'user' as const };
    expect(measuredAxes({ measurements: { ...m, longAxisMm: 8, shortAxisMm: 12 } })).toEqual({ longMm: 12, shortMm: 8 });
    expect(measuredAxes({ measurements: { ...m, longAxisMm: null, shortAxisMm: null, scaleSource: null } })).toBeNull();
    expect(measuredAxes({ measurements: { ...m, longAxisMm: Infinity, shortAxisMm: 3 } })).toBeNull();
    expect(measuredAxes({})).toBeNull();
    expect(measuredAxes(undefined)).toBeNull();
  });

  it('every value has its name, and a reading with a source, in both languages', () => {
    for (const m of [en, zh]) {
      const d = emptyDescriptors();
      for (const k of CHOICE_DESCRIPTORS)
        for (const v of DESCRIPTOR_CHOICES[k]) {
          (d as Record<string, unknown>)[k] = v;
          expect(valueText(k, d, m), `${k}=${v}`).toBeTruthy();
          const r = reading(k, d, m);
          expect(r?.text, `${k}=${v}`).toBeTruthy();
          expect(r?.source).toMatch(/\b(19|20)\d\d\b/);
        }
      for (const row of DESCRIPTOR_ROWS) expect(m.clinical.descriptors.names[row]).toBeTruthy();
      const round = { ...emptyDescriptors(), longAxisMm: 10, shortAxisMm: 6 };
      expect(reading('ratio', round, m)!.text).toBe(m.clinical.descriptors.ratioReading(false));
      expect(reading('ratio', { ...round, shortAxisMm: 4 }, m)!.text).toBe(m.clinical.descriptors.ratioReading(true));
      expect(reading('hilum', emptyDescriptors(), m)).toBeNull();
    }
    expect(zh.clinical.descriptors.readings.hilum.absent).not.toBe(en.clinical.descriptors.readings.hilum.absent);
  });
});

describe('follow-up comparison', () => {
  it('pairs nodes by level and side, reports size, findings and result changes', () => {
    const a1 = node('II', 'left', 12, 5, 1);
    const a2 = node('III', 'right', 8, 4, 2);
    const b1 = { ...node('II', 'left', 15.5, 9, 3) };
    b1.descriptors = { ...b1.descriptors, hilum: 'absent' };
    b1.fused = [0.1, 0.2, 0.7];
    const b3 = node(null, null, 6, 3, 4);
    const rows = compareExams([a1, a2], [b1, b3]);
    expect(rows.map((r) => r.key)).toEqual(['II left', 'III right', '#1']);
    expect(rows[0]).toMatchObject({
      longDeltaMm: 3.5,
      shortDeltaMm: 4,
      changed: [{ name: 'hilum', before: null, after: 'absent' }],
    });
    expect(rows[0]!.ratioAfter).toBeCloseTo(9 / 15.5, 6);
    expect(topResult(rows[0]!.before!)!.id).toBe('metastatic');
    expect(topResult(rows[0]!.after!)!.id).toBe('benign');
    expect(rows[1]).toMatchObject({ after: null, longDeltaMm: null, changed: [] });
    expect(rows[2]).toMatchObject({ before: null });
  });

  it('calls a fixture or a pack trained on simulated data a demonstration', () => {
    const m = makeCase().model;
    expect(isDemonstration(m)).toBe(true); // the fixture manifest
    const real = { ...m, fixture: false, training: 'Retrospective cohort, 3 hospitals', metrics: [] };
    expect(isDemonstration(real)).toBe(false);
    expect(
      isDemonstration({
        ...real,
        metrics: [{ ...m.metrics[0]!, dataset: 'Simulated cervical lymph nodes (LymphScope phantoms)' }],
      }),
    ).toBe(true);
  });
});
