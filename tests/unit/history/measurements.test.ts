import { describe, expect, it } from 'vitest';
import { analysesOfCase, validateCase } from '../../../src/history';
import { buildReport } from '../../../src/report';
import type { NodeMeasurement } from '../../../src/domain';
import { makeCase } from './fixtures';

const measured: NodeMeasurement = {
  roiSource: 'node',
  longAxisPx: 201.5,
  shortAxisPx: 103.2,
  ratio: 0.512,
  longAxisMm: 20.15,
  shortAxisMm: 10.32,
  scaleSource: 'user',
};

describe('node measurements in a saved case', () => {
  it('are kept, validated on read, given back to the result model and the report', () => {
    const c = makeCase();
    const bmode = c.results.bmode!;
    bmode.measurements = { ...measured };
    const back = validateCase(structuredClone(c));
    expect(back.results.bmode!.measurements).toEqual(measured);
    expect(analysesOfCase(back).bmode!.measurements).toEqual(measured);
    expect(buildReport(back).modalities.find((m) => m.modality === 'bmode')!.measurements).toEqual(measured);
    // A case saved without them reads back without them.
    expect(validateCase(structuredClone(makeCase())).results.bmode!.measurements).toBeUndefined();
  });

  it('refuses a malformed measurement by name', () => {
    const c = makeCase();
    c.results.bmode!.measurements = { ...measured, roiSource: 'guess' as never };
    expect(() => validateCase(structuredClone(c))).toThrow(/measurements\.roiSource/);
    c.results.bmode!.measurements = { ...measured, longAxisMm: -3 };
    expect(() => validateCase(structuredClone(c))).toThrow(/measurements\.longAxisMm/);
  });
});
