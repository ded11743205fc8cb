/** A case's provenance in the history: kept through IndexedDB, encryption and export files; validated on the way back; old cases stay readable. */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CaseProvenance } from '../../../src/domain';
import { caseFromJson, caseToJson, HistoryStore, validateCase, validateSummary, type CaseRecord } from '../../../src/history';
import { summarize } from '../../../src/history/types';
import { buildReport, reportJson } from '../../../src/report';
import { makeCase } from './fixtures';

const provenance: CaseProvenance = {
  simulated: { seed: 123456, trueClass: 'lymphoma' },
  images: {
    bmode: {
      source: 'simulated',
      pixelSpacingMm: { x: 0.08, y: 0.08 },
      inputCheck: { verdict: 'out-of-distribution', overridden: true, method: 'gate-v1' },
    },
  },
};

const withProvenance = (p: CaseProvenance = provenance): CaseRecord => ({ ...makeCase('demo', 3), provenance: p });

beforeEach(() => {
  globalThis.indexedDB = new IDBFactory();
});

describe('case provenance in the history', () => {
  it('survives save → read back, with and without a passphrase, and export → import', async () => {
    const store = await HistoryStore.open({ iterations: 1000 });
    const a = withProvenance();
    await store.save(a);
    expect((await store.get(a.id)).provenance).toEqual(provenance);
    expect((await store.list()).cases[0]!.simulated).toBe(true);

    await store.setPassphrase('correct horse battery');
    expect((await store.get(a.id)).provenance).toEqual(provenance);

    const text = await store.exportCases([a.id], '0.1.0');
    const other = await HistoryStore.open({ iterations: 1000, name: 'other-db' });
    await other.importCases(text);
    expect((await other.get(a.id)).provenance).toEqual(provenance);
    expect((await other.list()).cases[0]!.simulated).toBe(true);
  });

  it('JSON round trip keeps it exactly; the report and its JSON show it', () => {
    const a = withProvenance();
    const back = caseFromJson(JSON.parse(JSON.stringify(caseToJson(a))));
    expect(back.provenance).toEqual(provenance);
    expect(buildReport(back).provenance).toEqual(provenance);
    expect(JSON.parse(reportJson(back)).provenance).toEqual(provenance);
  });

  it('a case saved before provenance was kept reads back without it (and says nothing about simulation)', () => {
    const old = makeCase('old', 4);
    expect('provenance' in old).toBe(false);
    const back = validateCase(old);
    expect(back.provenance).toBeUndefined();
    expect(buildReport(back).provenance).toBeNull();
    const summary = summarize(back);
    expect('simulated' in summary).toBe(false);
    expect(validateSummary(summary).simulated).toBeUndefined();
  });

  it('refuses malformed provenance, naming the field', () => {
    const bad = (p: unknown) => () => validateCase({ ...makeCase('x', 5), provenance: p });
    expect(bad({ simulated: null, images: {} })).not.toThrow();
    expect(bad({ simulated: { seed: -1, trueClass: 'lymphoma' }, images: {} })).toThrow(/provenance\.simulated\.seed/);
    expect(bad({ simulated: { seed: 1, trueClass: 'cyst' }, images: {} })).toThrow(/provenance\.simulated\.trueClass/);
    expect(bad({ simulated: null, images: { cdfi: { source: 'png', pixelSpacingMm: null } } })).toThrow(
      /provenance\.images\.cdfi.*no result/,
    );
    expect(bad({ simulated: null, images: { bmode: { source: 'png', pixelSpacingMm: { x: 0, y: 0.1 } } } })).toThrow(
      /pixelSpacingMm\.x/,
    );
    const check = (c: unknown) =>
      bad({ simulated: null, images: { bmode: { source: 'png', pixelSpacingMm: null, inputCheck: c } } });
    expect(check({ verdict: 'fine', overridden: false, method: 'x' })).toThrow(/inputCheck\.verdict/);
    expect(check({ verdict: 'ok', overridden: 'no', method: 'x' })).toThrow(/inputCheck\.overridden/);
    expect(check({ verdict: 'wrong-modality', looksLike: 'ct', overridden: false, method: 'x' })).toThrow(/looksLike/);
    expect(check({ verdict: 'wrong-modality', looksLike: 'cdfi', overridden: false, method: 'x' })).not.toThrow();
    expect(bad('simulated')).toThrow(/provenance/);
  });
});
