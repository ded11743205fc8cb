/* eslint-disable @typescript-eslint/no-explicit-any -- raw rows of the old schema are untyped on purpose */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { openDB } from 'idb';
import { beforeEach, describe, expect, it } from 'vitest';
import { emptyDescriptors, newExam } from '../../../src/domain';
import { buildExportFile, DB_NAME, DB_VERSION, HistoryStore, parseExportFile, type CaseRecord } from '../../../src/history';
import { caseToJson } from '../../../src/history/codec';
import { createLock, sealJson } from '../../../src/history/crypto';
import { LEGACY_CASE_KEYS, legacyCase, legacySummary, makeCase, upgraded } from './fixtures';

const ITER = 1000;
const open = () => HistoryStore.open({ iterations: ITER });

beforeEach(() => {
  globalThis.indexedDB = new IDBFactory();
});

/** A history schema 2 database as the previous app version left it. */
async function schema2(fill: (db: any) => Promise<void>): Promise<void> {
  const db = await openDB(DB_NAME, 2, {
    upgrade(d) {
      d.createObjectStore('summaries', { keyPath: 'id' });
      d.createObjectStore('details', { keyPath: 'id' });
      d.createObjectStore('meta');
    },
  });
  await fill(db);
  db.close();
}

function node(exam: CaseRecord['exam'], label: string, seed: number, level: 'II' | 'III' | null = null): CaseRecord {
  const c = makeCase(label, seed);
  return { ...c, exam: { ...exam }, descriptors: { ...emptyDescriptors(), level, side: 'left', longAxisMm: 12, shortAxisMm: 5 } };
}

describe('migration from history schema 2', () => {
  it('the legacy fixture has exactly the fields old cases had', () => {
    expect(Object.keys(legacyCase()).sort()).toEqual([...LEGACY_CASE_KEYS].sort());
  });

  it('rewrites clear old rows as one-node examinations, keeps damaged rows as they were', async () => {
    const a = legacyCase('old clear', 1);
    const b = legacyCase('old clear 2', 2);
    await schema2(async (db) => {
      for (const c of [a, b]) {
        await db.put('summaries', { id: c.id, sealed: { kind: 'plain', data: legacySummary(c) } });
        await db.put('details', { id: c.id, sealed: { kind: 'plain', data: c } });
      }
      await db.put('summaries', { id: 'damaged-entry', sealed: { kind: 'plain', data: { id: 'damaged-entry' } } });
      await db.put('details', { id: 'damaged-entry', sealed: { kind: 'plain', data: { id: 'damaged-entry', junk: 1 } } });
    });
    const store = await open();
    const { exams, unreadable } = await store.listExams();
    expect(unreadable).toEqual(['damaged-entry']);
    expect(exams.map((e) => [e.examId, e.nodes.map((n) => n.id)])).toEqual([
      [b.id, [b.id]],
      [a.id, [a.id]],
    ]);
    expect(await store.get(a.id)).toEqual(upgraded(a));
    store.close();
    const raw = await openDB(DB_NAME);
    expect(raw.version).toBe(DB_VERSION);
    const row = await raw.get('details', a.id);
    expect(row.sealed.data.exam.id).toBe(a.id);
    expect((await raw.get('summaries', a.id)).sealed.data.examId).toBe(a.id);
    expect((await raw.get('details', 'damaged-entry')).sealed.data).toEqual({ id: 'damaged-entry', junk: 1 });
    raw.close();
  });

  it('reads encrypted old rows in the new form, and a later save rewrites them', async () => {
    const a = legacyCase('old sealed', 3);
    const { key, lock } = await createLock('correct horse battery', ITER);
    await schema2(async (db) => {
      const s = await sealJson(key, legacySummary(a), `summary:${a.id}`);
      const d = await sealJson(key, caseToJson(a as unknown as CaseRecord), `case:${a.id}`);
      await db.put('summaries', { id: a.id, sealed: { kind: 'aes-gcm', ...s } });
      await db.put('details', { id: a.id, sealed: { kind: 'aes-gcm', ...d } });
      await db.put('meta', lock, 'lock');
    });
    const store = await open();
    expect(store.locked).toBe(true);
    await store.unlock('correct horse battery');
    const { exams } = await store.listExams();
    expect(exams).toHaveLength(1);
    expect(exams[0]!.examId).toBe(a.id);
    const back = await store.get(a.id);
    expect(back).toEqual(upgraded(a));
    // a second node added to the old case's examination, with an accession typed now
    const exam = { ...back.exam, accession: 'ACC-7' };
    await store.save(node(exam, 'second node', 4));
    const nodes = await store.getExam(a.id);
    expect(nodes.map((n) => [n.label, n.exam.accession])).toEqual([
      ['old sealed', 'ACC-7'],
      ['second node', 'ACC-7'],
    ]);
  });

  it('imports an export file written before examinations existed', async () => {
    const a = legacyCase('exported long ago', 5);
    const text = JSON.stringify({
      format: 'lymphscope-cases',
      formatVersion: 1,
      exportedAt: '2026-01-01T00:00:00.000Z',
      appVersion: '0.1.0',
      cases: [caseToJson(a as unknown as CaseRecord)],
    });
    const store = await open();
    expect(await store.importCases(text)).toEqual({ added: 1, skipped: 0 });
    expect(await store.get(a.id)).toEqual(upgraded(a));
  });
});

describe('examinations', () => {
  it('groups nodes, keeps examination data equal on every node, searches by accession and reporter', async () => {
    const store = await open();
    const exam = { ...newExam('exam-000001'), accession: 'RIS-123', reporter: 'Dr Wu', date: '2026-03-02' };
    const n1 = node(exam, 'left II', 1, 'II');
    const n2 = node(exam, 'left III', 2, 'III');
    const other = node({ ...newExam('exam-000002'), accession: 'RIS-999', date: '2026-01-05' }, 'other', 3);
    for (const r of [n1, n2, other]) await store.save(r);
    const { exams } = await store.listExams();
    expect(exams.map((e) => [e.accession, e.nodes.length])).toEqual([
      ['RIS-123', 2],
      ['RIS-999', 1],
    ]);
    expect((await store.listExams('ris-123 level iii')).exams.flatMap((e) => e.nodes.map((n) => n.id))).toEqual([n2.id]);
    expect((await store.listExams('wu')).exams.map((e) => e.examId)).toEqual(['exam-000001']);

    // Saving one node with new examination data carries it to its sibling, not to other examinations.
    await store.save({ ...n1, exam: { ...exam, indication: 'Known PTC' } });
    expect((await store.get(n2.id)).exam.indication).toBe('Known PTC');
    expect((await store.get(other.id)).exam.indication).toBe('');

    const approvedAt = '2026-03-02T10:00:00.000Z';
    const updated = await store.updateExam('exam-000001', { conclusion: 'Suspicious left II node.', approvedAt });
    expect(updated).toHaveLength(2);
    for (const id of [n1.id, n2.id])
      expect((await store.get(id)).exam).toMatchObject({ conclusion: 'Suspicious left II node.', approvedAt });
    expect((await store.listExams()).exams[0]!.approved).toBe(true);
  });

  it('an exported examination imports back exactly (descriptors, conclusion and approval included)', async () => {
    const store = await open();
    const exam = {
      ...newExam('exam-000003'),
      accession: 'A-1',
      reporter: 'R',
      conclusion: 'c',
      approvedAt: '2026-03-02T10:00:00.000Z',
    };
    const n1 = node(exam, 'n1', 1, 'II');
    n1.descriptors = {
      ...n1.descriptors,
      hilum: 'absent',
      vascularPattern: 'peripheral',
      vascularGrade: 2,
      elastoScore: 4,
      impression: 'round',
    };
    const n2 = node(exam, 'n2', 2, 'III');
    await store.save(n1);
    await store.save(n2);
    const text = await store.exportCases([n1.id, n2.id], '0.1.0');
    expect(parseExportFile(text)).toEqual([n1, n2]);
    await store.deleteAll();
    await store.importCases(text);
    expect(await store.getExam('exam-000003')).toEqual([n1, n2]);
    expect(buildExportFile(await store.getExam('exam-000003'), '0.1.0', new Date(0))).toBe(
      buildExportFile([n1, n2], '0.1.0', new Date(0)),
    );
  });

  it('refuses malformed descriptors and examination data, naming the field', () => {
    const good = JSON.parse(buildExportFile([node(newExam('exam-000004'), 'n', 1)], '0.1.0'));
    const bad = (f: (c: any) => void) => {
      const copy = structuredClone(good);
      f(copy.cases[0]);
      return () => parseExportFile(JSON.stringify(copy));
    };
    expect(bad((c) => (c.descriptors.level = 'VIII'))).toThrow(/descriptors\.level/);
    expect(bad((c) => (c.descriptors.elastoScore = 6))).toThrow(/elastoScore/);
    expect(bad((c) => (c.descriptors.vascularGrade = 1.5))).toThrow(/vascularGrade/);
    expect(bad((c) => (c.descriptors.shortAxisMm = 20))).toThrow(/shortAxisMm/);
    expect(bad((c) => (c.descriptors.hilum = 'maybe'))).toThrow(/hilum/);
    expect(bad((c) => (c.exam.date = '2026-13-45'))).toThrow(/exam\.date/);
    expect(bad((c) => delete c.descriptors)).toThrow(/descriptors/);
    expect(bad((c) => (c.exam.accession = 'x'.repeat(65)))).toThrow(/accession/);
  });
});
