/**
 * Storage running out part-way through a write: the browser refuses one put (QuotaExceededError),
 * the transaction aborts, and the history must be exactly as before — no half-imported file, no
 * history half encrypted, no passphrase record without its encrypted rows.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { openDB } from 'idb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DB_NAME, HistoryStore, buildExportFile } from '../../../src/history';
import { makeCase, errorCode as code } from './fixtures';

const ITER = 1000;
const PASS = 'pale moon river';

type PutFn = (...a: unknown[]) => unknown;
const proto = (globalThis as unknown as { IDBObjectStore: { prototype: { put: PutFn; name: string } } }).IDBObjectStore.prototype;
const realPut = proto.put;

/** Makes the n-th put from now on (1-based) fail as a full disk does. */
function quotaAfter(n: number): void {
  let count = 0;
  proto.put = function (this: { name: string }, ...args: unknown[]) {
    if (++count === n) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    return realPut.apply(this, args);
  };
}

beforeEach(() => {
  globalThis.indexedDB = new IDBFactory();
});
afterEach(() => {
  proto.put = realPut;
});

/** Everything stored, as stored (rows and meta), to compare before and after a failed write. */
async function dump(): Promise<string> {
  const db = await openDB(DB_NAME);
  const out: Record<string, unknown> = {};
  for (const store of ['summaries', 'details', 'meta'] as const) {
    const keys = await db.getAllKeys(store);
    const values = await db.getAll(store);
    out[store] = keys.map((k, i) => [k, values[i]]);
  }
  db.close();
  return JSON.stringify(out, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Uint8Array) : v));
}

describe('quota exhausted during a write', () => {
  it('an import that runs out of room half-way stores none of its cases', async () => {
    const store = await HistoryStore.open({ iterations: ITER });
    await store.save(makeCase('kept', 1));
    const file = buildExportFile(
      Array.from({ length: 10 }, (_, i) => makeCase(`imported ${i}`, i + 2)),
      '0.1.0',
    );
    const before = await dump();
    for (const n of [1, 2, 7, 12, 20]) {
      quotaAfter(n);
      expect(await code(store.importCases(file)), `failing put #${n}`).toBe('quota');
      proto.put = realPut;
      expect(await dump(), `failing put #${n}`).toBe(before);
    }
    expect((await store.list()).cases.map((c) => c.label)).toEqual(['kept']);
    expect(await store.importCases(file)).toEqual({ added: 10, skipped: 0 });
  });

  it('setting a passphrase that runs out of room leaves the history readable and unprotected', async () => {
    const store = await HistoryStore.open({ iterations: ITER });
    for (let i = 1; i <= 4; i++) await store.save(makeCase(`case ${i}`, i));
    const before = await dump();
    for (const n of [1, 3, 8, 9]) {
      quotaAfter(n);
      expect(await code(store.setPassphrase(PASS))).toBe('quota');
      proto.put = realPut;
      expect(await dump()).toBe(before);
      expect(store.encrypted).toBe(false);
    }
    const reopened = await HistoryStore.open({ iterations: ITER });
    expect(reopened.encrypted).toBe(false);
    expect((await reopened.list()).cases).toHaveLength(4);
  });

  it('removing a passphrase that runs out of room leaves the history encrypted and the key working', async () => {
    const store = await HistoryStore.open({ iterations: ITER });
    for (let i = 1; i <= 3; i++) await store.save(makeCase(`case ${i}`, i));
    await store.setPassphrase(PASS);
    const before = await dump();
    quotaAfter(4);
    expect(await code(store.removePassphrase())).toBe('quota');
    proto.put = realPut;
    expect(await dump()).toBe(before);
    expect(store.locked).toBe(false);
    expect((await store.list()).cases).toHaveLength(3);
  });
});
