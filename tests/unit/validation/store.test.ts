/**
 * The validation store on an in-memory IndexedDB, and the run's table: results survive a new store
 * instance (a reload), rows that do not check out are dropped, the run key follows what decides the
 * numbers, and the figures come from the table as the CSV writes it.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { openDB } from 'idb';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  evaluate,
  evaluateTable,
  formatCaseTable,
  OPERATING_POINT_FORMAT,
  OPERATING_POINT_VERSION,
  parseCaseTable,
  runCounts,
  runKey,
  runTable,
  scoresOf,
  VALIDATION_DB,
  ValidationStore,
  type ImageResult,
  type OperatingPoint,
  type RunSpec,
} from '../../../src/validation';

const CLASSES = ['metastatic', 'lymphoma', 'benign'];
const PACK = { id: 'fixture-tiny', version: '1', sha256: 'a'.repeat(64) };

function spec(key: string): RunSpec {
  const images = [];
  for (let p = 0; p < 6; p++) {
    for (const modality of ['bmode', 'cdfi'] as const) {
      images.push({ path: `${modality}/${p % 3}/${p}-1.png`, modality, classIndex: p % 3, patientId: String(p) });
    }
  }
  return {
    key,
    pack: PACK,
    classes: CLASSES,
    wholeImage: false,
    grouping: 'file-name:{patient}-*',
    images,
    created: '2026-11-30T10:00:00.000Z',
  };
}

/** A probability vector leaning to class `k` by `lean`. */
const probs = (k: number, lean: number) => CLASSES.map((_, i) => (i === k ? (1 + lean) / 3 : (1 - lean / 2) / 3));

beforeEach(() => {
  globalThis.indexedDB = new IDBFactory();
});

describe('validation store', () => {
  it('keeps each result as written, across store instances, and continues the same run', async () => {
    const s = spec('k1');
    const a = new ValidationStore();
    await a.startRun(s);
    await a.putResult('k1', { path: s.images[0]!.path, ok: true, probabilities: probs(0, 0.5), verdict: 'ok' });
    await a.putResult('k1', { path: s.images[1]!.path, ok: false, error: 'decode-failed' });
    a.close();

    const b = new ValidationStore(); // a reload
    const again = await b.startRun({ ...s, created: '2026-12-01T00:00:00.000Z' });
    expect(again.created).toBe(s.created);
    const results = await b.results(again);
    expect(results.size).toBe(2);
    expect(results.get(s.images[1]!.path)).toEqual({ path: s.images[1]!.path, ok: false, error: 'decode-failed' });
    const [summary] = await b.runs();
    expect(summary).toMatchObject({ key: 'k1', done: 2, total: 12, finished: false });
    await b.markRun('k1', true);
    expect((await b.runs())[0]!.finished).toBe(true);
    await b.deleteRun('k1');
    expect(await b.runs()).toEqual([]);
    expect(await b.getRun('k1')).toBeNull();
  });

  it('drops rows that do not check out (wrong length, out of range, unknown verdict) instead of using them', async () => {
    const s = spec('k2');
    const store = new ValidationStore();
    await store.startRun(s);
    const db = await openDB(VALIDATION_DB);
    await db.put('results', { key: 'k2', path: s.images[0]!.path, ok: true, probabilities: [0.5, 0.5], verdict: 'ok' });
    await db.put('results', { key: 'k2', path: s.images[1]!.path, ok: true, probabilities: [2, 0, 0], verdict: 'ok' });
    await db.put('results', { key: 'k2', path: s.images[2]!.path, ok: true, probabilities: probs(1, 0), verdict: 'maybe' });
    await db.put('results', { key: 'k2', path: 'not/in/the/run.png', ok: true, probabilities: probs(1, 0), verdict: 'ok' });
    await db.put('runs', { key: 'broken', pack: PACK, classes: ['x'], images: [] });
    db.close();
    expect((await store.results(s)).size).toBe(0);
    expect((await store.runs()).map((r) => r.key)).toEqual(['k2']);
  });

  it('saves, reads back and removes the operating point of a pack; a corrupted row reads as none', async () => {
    const store = new ValidationStore();
    const op: OperatingPoint = {
      format: OPERATING_POINT_FORMAT,
      version: OPERATING_POINT_VERSION,
      pack: { id: PACK.id, sha256: PACK.sha256 },
      modality: 'fused',
      question: { kind: 'malignant-vs-benign' },
      rule: { kind: 'youden' },
      threshold: 0.42,
      validation: { date: '2026-11-30T10:00:00.000Z', cases: 6, patients: 6, positives: 4, sensitivity: 1, specificity: 0.5 },
    };
    await store.saveOperatingPoint(op);
    expect(await store.operatingPoint(PACK.id)).toEqual(op);
    const db = await openDB(VALIDATION_DB);
    await db.put('operating-points', { ...op, threshold: 'high' });
    db.close();
    expect(await store.operatingPoint(PACK.id)).toBeNull();
    await store.deleteOperatingPoint(PACK.id);
    expect(await store.operatingPoint('other')).toBeNull();
  });
});

describe('run table', () => {
  it('the run key follows images, answers and pack, not the order the files came in', async () => {
    const s = spec('');
    const { key: _k, created: _c, ...base } = s;
    const k = await runKey(base);
    expect(await runKey({ ...base, images: [...base.images].reverse() })).toBe(k);
    expect(await runKey({ ...base, wholeImage: true })).not.toBe(k);
    expect(await runKey({ ...base, images: base.images.map((i, n) => (n === 0 ? { ...i, classIndex: 2 } : i)) })).not.toBe(k);
    expect(await runKey({ ...base, pack: { ...PACK, sha256: 'b'.repeat(64) } })).not.toBe(k);
  });

  it('has a row per analysed image and a fused row per patient; failed images are counted, not rows', () => {
    const s = spec('k');
    const results = new Map<string, ImageResult>(
      s.images.map((img, n): [string, ImageResult] =>
        n === 3
          ? [img.path, { path: img.path, ok: false as const, error: 'decode-failed' }]
          : [
              img.path,
              { path: img.path, ok: true as const, probabilities: probs(img.classIndex, (n % 5) / 10), verdict: 'ok' as const },
            ],
      ),
    );
    const table = runTable(s, results, { method: 'mean' });
    expect(table.rows.filter((r) => r.modality !== 'fused')).toHaveLength(11);
    const fused = table.rows.filter((r) => r.modality === 'fused');
    expect(fused).toHaveLength(6);
    // Patient 1 lost its cdfi image: the fused row is its bmode row.
    const p1 = table.rows.filter((r) => r.patientId === '1');
    expect(p1.find((r) => r.modality === 'fused')!.probabilities).toEqual(p1.find((r) => r.modality === 'bmode')!.probabilities);
    const counts = runCounts(s, results);
    expect(counts).toMatchObject({ total: 12, analysed: 11, failed: 1 });

    const groups = evaluateTable(table, { resamples: 50 });
    expect(groups.map((g) => g.modality)).toEqual(['bmode', 'cdfi', 'fused']);
    const reread = parseCaseTable(formatCaseTable(table));
    for (const g of groups) {
      expect(g.evaluation.macroAuc).toEqual(evaluate(scoresOf(reread, g.modality), { resamples: 50 }).macroAuc);
    }
  });
});
