import { describe, expect, it } from 'vitest';
import { CaseTableError, evaluate, formatCaseTable, parseCaseTable, scoresOf, type CaseTable } from '../../../src/validation';

const table: CaseTable = {
  classes: ['metastatic', 'lymphoma', 'benign'],
  rows: [
    {
      path: '2d/0/171-1.jpg',
      patientId: '171',
      modality: 'bmode',
      trueClass: 'metastatic',
      probabilities: [0.1 + 0.2, 0.3, 0.4],
    },
    { path: 'cdfi/0/1,71 "b".jpg', patientId: '171', modality: 'cdfi', trueClass: 'metastatic', probabilities: [0.8, 0.1, 0.1] },
    { path: '', patientId: '171', modality: 'fused', trueClass: 'metastatic', probabilities: [1 / 3, 1 / 3, 1 / 3] },
  ],
};
const HEADER = 'path,patient_id,modality,true_class,p_metastatic,p_lymphoma,p_benign,verdict';

describe('per-case table', () => {
  it('writes the columns the issue names, the verdict as argmax, numbers exactly', () => {
    const text = formatCaseTable(table);
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(HEADER);
    expect(lines[1]).toBe('2d/0/171-1.jpg,171,bmode,metastatic,0.30000000000000004,0.3,0.4,benign');
    expect(lines[2]).toBe('"cdfi/0/1,71 ""b"".jpg",171,cdfi,metastatic,0.8,0.1,0.1,metastatic');
    expect(lines[3]).toBe(',171,fused,metastatic,0.3333333333333333,0.3333333333333333,0.3333333333333333,metastatic');
    expect(parseCaseTable(text)).toEqual(table);
  });

  it('gives the same numbers from the file as from the values it was written from', () => {
    const back = parseCaseTable(formatCaseTable(table));
    expect(scoresOf(back, 'bmode')).toEqual({ labels: [0], probs: [[0.1 + 0.2, 0.3, 0.4]], patients: ['171'], classCount: 3 });
    expect(evaluate(scoresOf(back, 'fused'), { resamples: 5 })).toEqual(evaluate(scoresOf(table, 'fused'), { resamples: 5 }));
  });

  const bad: [string, string, RegExp][] = [
    ['empty', '', /empty/],
    ['wrong header', 'file,patient_id,modality,true_class,p_a,p_b,verdict\n', /column 1 must be "path"/],
    ['no verdict', 'path,patient_id,modality,true_class,p_a,p_b\n', /last column/],
    ['one class', 'path,patient_id,modality,true_class,p_a,verdict\n', /two probability/],
    ['bad class column', 'path,patient_id,modality,true_class,p_A,p_b,verdict\n', /p_<class id>/],
    ['short row', `${HEADER}\na.jpg,1,bmode,benign,0.1,0.1\n`, /line 2: 6 fields/],
    ['modality', `${HEADER}\na.jpg,1,ct,benign,0.1,0.1,0.8,benign\n`, /unknown modality "ct"/],
    ['class', `${HEADER}\na.jpg,1,bmode,reactive,0.1,0.1,0.8,benign\n`, /true_class "reactive"/],
    ['number', `${HEADER}\na.jpg,1,bmode,benign,0x1,0.1,0.8,benign\n`, /p_metastatic "0x1"/],
    ['range', `${HEADER}\na.jpg,1,bmode,benign,-0.1,0.3,0.8,benign\n`, /not a probability/],
    ['verdict', `${HEADER}\na.jpg,1,bmode,benign,0.1,0.1,0.8,lymphoma\n`, /verdict "lymphoma"/],
    ['fused path', `${HEADER}\na.jpg,1,fused,benign,0.1,0.1,0.8,benign\n`, /fused row has no path/],
    ['two fused', `${HEADER}\n,1,fused,benign,0.1,0.1,0.8,benign\n,1,fused,benign,0.1,0.1,0.8,benign\n`, /line 3: patient "1"/],
    [
      'repeated path',
      `${HEADER}\na.jpg,1,bmode,benign,0.1,0.1,0.8,benign\na.jpg,2,bmode,benign,0.1,0.1,0.8,benign\n`,
      /listed twice/,
    ],
    ['no patient', `${HEADER}\na.jpg,,bmode,benign,0.1,0.1,0.8,benign\n`, /patient_id is empty/],
    ['syntax', `${HEADER}\n"a.jpg,1\n`, /line 2/],
  ];
  it.each(bad)('refuses a bad table: %s', (_name, text, message) => {
    expect(() => parseCaseTable(text)).toThrow(CaseTableError);
    expect(() => parseCaseTable(text)).toThrow(message);
  });
});
