import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCaseTable } from '../../../src/validation';
import { expectedResults } from './parity-expected';

// The same table and numbers are recomputed with scikit-learn in training/tests/test_validation_parity.py.
const csv = readFileSync('tests/fixtures/validation-cases.csv', 'utf8');
const expected: unknown = JSON.parse(readFileSync('tests/fixtures/validation-expected.json', 'utf8'));

describe('validation parity fixture', () => {
  it('recomputes the committed numbers from the committed per-case table', () => {
    expect(JSON.parse(JSON.stringify(expectedResults(csv)))).toEqual(expected);
  });

  it('covers ties, several images per patient and missing modalities', () => {
    const table = parseCaseTable(csv);
    const bmode = table.rows.filter((r) => r.modality === 'bmode');
    expect(new Set(bmode.map((r) => r.patientId)).size).toBeLessThan(bmode.length);
    const fused = table.rows.filter((r) => r.modality === 'fused');
    expect(fused).toHaveLength(200);
    expect(table.rows.filter((r) => r.modality === 'elastography').length).toBeLessThan(200);
    const scores = bmode.map((r) => r.probabilities[0]);
    expect(scores.length - new Set(scores).size).toBeGreaterThan(50);
  });
});
