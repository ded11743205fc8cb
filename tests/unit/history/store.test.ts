/* eslint-disable @typescript-eslint/no-explicit-any -- malformed files are built by poking at untyped JSON */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { openDB } from 'idb';
import { beforeEach, describe, expect, it } from 'vitest';
import { DB_NAME, DB_VERSION, HistoryError, HistoryStore, ImportError, caseToJson, EXPORT_FORMAT } from '../../../src/history';
import { legacyCase, makeCase, upgraded, errorCode as code } from './fixtures';

const ITER = 1000;
const open = () => HistoryStore.open({ iterations: ITER });

beforeEach(() => {
  globalThis.indexedDB = new IDBFactory();
});

describe('history store', () => {
  it('saves, lists, searches, reopens and deletes cases', async () => {
    const store = await open();
    const a = makeCase('Left level II', 1);
    const b = makeCase('Right level IV', 2);
    await store.save(a);
    await store.save(b);
    const { cases } = await store.list();
    expect(cases.map((c) => c.label)).toEqual(['Right level IV', 'Left level II']); // newest first
    expect((await store.list('left ii')).cases.map((c) => c.id)).toEqual([a.id]);
    const back = await store.get(a.id);
    expect(back).toEqual(a);
    expect(back.results.bmode!.cams!.maps[1]).toBeInstanceOf(Float32Array);
    expect(back.results.bmode!.screenshot).toBeNull();
    await store.delete(a.id);
    expect((await store.list()).cases.map((c) => c.id)).toEqual([b.id]);
    expect(await code(store.get(a.id))).toBe('not-found');
    await store.deleteAll();
    expect((await store.list()).cases).toEqual([]);
  });

  it('keeps the full images only when asked, and they survive export and import', async () => {
    const store = await open();
    const a = makeCase('with images', 1, undefined, true);
    expect(a.results.bmode!.screenshot).toMatchObject({ width: 40, height: 30 });
    await store.save(a);
    const text = await store.exportCases([a.id], '0.1.0');
    await store.deleteAll();
    await store.importCases(text);
    expect(await store.get(a.id)).toEqual(a);
  });

  it('a locked history refuses reads, writes and imports until unlocked', async () => {
    const s1 = await open();
    await s1.setPassphrase('pale moon river');
    s1.close();
    const s2 = await open();
    const a = makeCase();
    expect(await code(s2.save(a))).toBe('locked');
    expect(await code(s2.importCases('{}'))).toBe('locked');
    expect(await code(s2.exportCases([a.id], '0'))).toBe('locked');
    await s2.unlock('pale moon river');
    await s2.save(a);
    expect((await s2.list()).cases).toHaveLength(1);
  });

  it('keeps data across reopening', async () => {
    const s1 = await open();
    const a = makeCase();
    await s1.save(a);
    s1.close();
    const s2 = await open();
    expect(await s2.get(a.id)).toEqual(a);
  });

  it('migrates a version 1 database (one plaintext store) to the current version', async () => {
    const a = legacyCase('old case');
    const v1 = await openDB(DB_NAME, 1, { upgrade: (db) => db.createObjectStore('cases', { keyPath: 'id' }) });
    await v1.put('cases', a);
    await v1.put('cases', { id: 'broken-entry-1', junk: true });
    v1.close();
    const store = await open();
    const { cases, unreadable } = await store.list();
    expect(cases.map((c) => c.label)).toEqual(['old case']);
    expect(unreadable).toEqual(['broken-entry-1']); // kept, deletable, never silently dropped
    expect(await store.get(a.id)).toEqual(upgraded(a));
    store.close();
    const raw = await openDB(DB_NAME);
    expect([...raw.objectStoreNames].sort()).toEqual(['details', 'meta', 'summaries']);
    expect(raw.version).toBe(DB_VERSION);
    raw.close();
  });

  it('reports a blocked upgrade when another tab holds the old version open', async () => {
    const v1 = await openDB(DB_NAME, 1, { upgrade: (db) => db.createObjectStore('cases', { keyPath: 'id' }) });
    const err = await HistoryStore.open({ iterations: ITER, blockedTimeoutMs: 50 }).catch((e: HistoryError) => e);
    expect((err as HistoryError).code).toBe('blocked');
    v1.close();
  });

  it('reports missing storage and a history written by a newer version', async () => {
    const saved = globalThis.indexedDB;
    try {
      (globalThis as { indexedDB?: unknown }).indexedDB = undefined;
      expect(await code(open())).toBe('unavailable');
    } finally {
      globalThis.indexedDB = saved;
    }
    const newer = await openDB(DB_NAME, 99);
    newer.close();
    expect(await code(open())).toBe('version');
  });

  it('encrypts at rest with a passphrase, round-trips, and refuses a wrong one without destroying anything', async () => {
    const store = await open();
    const a = makeCase('Patient-like label', 3);
    await store.save(a);
    const t0 = performance.now();
    await store.setPassphrase('correct horse battery');
    const b = makeCase('second', 4);
    await store.save(b);
    // nothing readable in the raw database
    const raw = await openDB(DB_NAME);
    const rows = [...(await raw.getAll('details')), ...(await raw.getAll('summaries'))];
    raw.close();
    expect(rows.every((r) => r.sealed.kind === 'aes-gcm')).toBe(true);
    expect(JSON.stringify(rows.map((r) => Array.from(r.sealed.ct as Uint8Array)))).not.toContain('Patient');
    store.close();

    const s2 = await open();
    expect(s2.encrypted && s2.locked).toBe(true);
    expect(await code(s2.list())).toBe('locked');
    expect(await code(s2.unlock('wrong horse'))).toBe('wrong-passphrase');
    expect(s2.locked).toBe(true);
    await s2.unlock('correct horse battery');
    expect((await s2.list()).cases).toHaveLength(2);
    expect(await s2.get(a.id)).toEqual(a);
    expect(await s2.get(b.id)).toEqual(b);
    console.log(`encryption round trip: ${(performance.now() - t0).toFixed(0)} ms`);
    s2.lock();
    expect(await code(s2.get(a.id))).toBe('locked');
    await s2.unlock('correct horse battery');
    await s2.removePassphrase();
    s2.close();
    const s3 = await open();
    expect(s3.encrypted).toBe(false);
    expect(await s3.get(b.id)).toEqual(b);
  });

  it('detects a tampered ciphertext', async () => {
    const store = await open();
    await store.setPassphrase('pale moon river');
    const a = makeCase();
    await store.save(a);
    const raw = await openDB(DB_NAME);
    const row = await raw.get('details', a.id);
    row.sealed.ct[5] ^= 1;
    await raw.put('details', row);
    raw.close();
    expect(await code(store.get(a.id))).toBe('corrupt');
  });

  it('a simulated quota error leaves the store as it was', async () => {
    const store = await open();
    const a = makeCase('kept', 1);
    await store.save(a);
    const proto = (
      globalThis as unknown as { IDBObjectStore: { prototype: { put: (...a: unknown[]) => unknown; name: string } } }
    ).IDBObjectStore.prototype;
    const put = proto.put;
    proto.put = function (this: { name: string }, ...args: unknown[]) {
      if (this.name === 'details') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return put.apply(this, args);
    };
    try {
      expect(await code(store.save(makeCase('too much', 2)))).toBe('quota');
    } finally {
      proto.put = put;
    }
    const { cases } = await store.list();
    expect(cases.map((c) => c.label)).toEqual(['kept']); // the summary written first was rolled back
  });

  it('exports selected cases and imports them into another store', async () => {
    const s1 = await open();
    const a = makeCase('a', 1);
    const b = makeCase('b', 2);
    await s1.save(a);
    await s1.save(b);
    const text = await s1.exportCases([b.id], '0.1.0');
    globalThis.indexedDB = new IDBFactory();
    const s2 = await open();
    await s2.setPassphrase('pale moon river');
    expect(await s2.importCases(text)).toEqual({ added: 1, skipped: 0 });
    expect(await s2.importCases(text)).toEqual({ added: 0, skipped: 1 });
    expect(await s2.get(b.id)).toEqual(b);
  });

  describe('rejects malformed import files with a clear message and stores nothing', () => {
    const good = () => ({
      format: EXPORT_FORMAT,
      formatVersion: 1,
      exportedAt: '2026-01-01T00:00:00Z',
      appVersion: '0',
      cases: [caseToJson(makeCase())],
    });
    const variants: [string, () => string, string, RegExp][] = [
      ['not JSON', () => 'hello', 'not-json', /not JSON/],
      ['wrong format', () => JSON.stringify({ ...good(), format: 'other' }), 'wrong-format', /not a LymphScope/],
      ['future version', () => JSON.stringify({ ...good(), formatVersion: 9 }), 'unsupported-version', /9/],
      ['no cases', () => JSON.stringify({ ...good(), cases: [] }), 'no-cases', /no cases/],
      [
        'probabilities not summing to 1',
        () => {
          const f = good();
          (f.cases[0] as any).results.bmode.probabilities = [0.9, 0.9, 0.1];
          return JSON.stringify(f);
        },
        'invalid-case',
        /cases\[0\]\.results\.bmode\.probabilities: must sum to 1/,
      ],
      [
        'crop bytes not matching its size',
        () => {
          const f = good();
          (f.cases[0] as any).results.bmode.crop.data = 'AAAA';
          return JSON.stringify(f);
        },
        'invalid-case',
        /crop\.data: must hold/,
      ],
      [
        'bad base64',
        () => {
          const f = good();
          (f.cases[0] as any).results.bmode.cams.maps[0] = '!!!!';
          return JSON.stringify(f);
        },
        'invalid-case',
        /cams\.maps\[0\]: must be base64/,
      ],
      [
        'unknown modality',
        () => {
          const f = good();
          (f.cases[0] as any).results.xray = (f.cases[0] as any).results.bmode;
          return JSON.stringify(f);
        },
        'invalid-case',
        /results\.xray: must be one of/,
      ],
      [
        'missing id',
        () => {
          const f = good();
          delete (f.cases[0] as any).id;
          return JSON.stringify(f);
        },
        'invalid-case',
        /cases\[0\]\.id: must be text/,
      ],
      [
        'NaN-like heatmap value',
        () => {
          const f = good();
          const bytes = new Uint8Array(new Float32Array(49).fill(2).buffer);
          (f.cases[0] as any).results.bmode.cams.maps[2] = btoa(String.fromCharCode(...bytes));
          return JSON.stringify(f);
        },
        'invalid-case',
        /maps\[2\]: values must be in \[0, 1\]/,
      ],
    ];
    for (const [name, file, expected, message] of variants) {
      it(name, async () => {
        const store = await open();
        const err = await store.importCases(file()).catch((e: ImportError) => e);
        expect(err).toBeInstanceOf(ImportError);
        expect((err as ImportError).code).toBe(expected);
        expect((err as ImportError).message).toMatch(message);
        expect((await store.list()).cases).toEqual([]);
      });
    }
  });
});
