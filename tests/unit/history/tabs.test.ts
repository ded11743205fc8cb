/**
 * Several tabs on one history: each HistoryStore below is one tab (its own connection to the same
 * IndexedDB, its own BroadcastChannel). What must hold whatever the interleaving: no row is ever
 * stored in clear inside a protected history, no clear row is accepted as a case there, and no
 * saved case is lost.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { openDB } from 'idb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DB_NAME, HistoryStore } from '../../../src/history';
import { isStrongPassphrase } from '../../../src/history/crypto';
import { makeCase, errorCode as code } from './fixtures';

const ITER = 1000;
const PASS = 'pale moon river';
const opened: HistoryStore[] = [];
const tab = async () => {
  const s = await HistoryStore.open({ iterations: ITER });
  opened.push(s);
  return s;
};

beforeEach(() => {
  globalThis.indexedDB = new IDBFactory();
});
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});

/** Every row as stored, read past the app: what someone with access to the disk would see. */
async function rawRows(): Promise<{ store: string; id: unknown; kind: unknown }[]> {
  const db = await openDB(DB_NAME);
  const out: { store: string; id: unknown; kind: unknown }[] = [];
  for (const store of ['summaries', 'details'] as const)
    for (const row of await db.getAll(store)) out.push({ store, id: row.id, kind: row.sealed?.kind });
  db.close();
  return out;
}

async function putRaw(store: 'summaries' | 'details', row: unknown): Promise<void> {
  const db = await openDB(DB_NAME);
  await db.put(store, row);
  db.close();
}

const clearRows = async () => (await rawRows()).filter((r) => r.kind !== 'aes-gcm');

describe('history shared by several tabs', () => {
  it('a tab that opened before another set the passphrase cannot write in clear', async () => {
    const a = await tab();
    const b = await tab();
    await a.save(makeCase('from A before', 1));
    await a.setPassphrase(PASS);
    // B may not have heard the broadcast yet: the check inside its write transaction refuses anyway.
    expect(await code(b.save(makeCase('from B', 2)))).toBe('locked');
    expect(b.locked).toBe(true);
    expect(await clearRows()).toEqual([]);
    await b.unlock(PASS);
    await b.save(makeCase('from B after unlocking', 3));
    expect(await clearRows()).toEqual([]);
    expect((await a.list()).cases.map((c) => c.label).sort()).toEqual(['from A before', 'from B after unlocking']);
  });

  it('tells the other tabs at once that the passphrase changed', async () => {
    const a = await tab();
    const b = await tab();
    const heard = new Promise<void>((resolve) => b.onChange(() => b.locked && resolve()));
    await a.setPassphrase(PASS);
    await heard;
    expect(b.encrypted).toBe(true);
    expect(await code(b.list())).toBe('locked');
  });

  it('a tab holding the key of a removed passphrase stores in clear again, readable by every tab', async () => {
    const a = await tab();
    await a.setPassphrase(PASS);
    const b = await tab();
    await b.unlock(PASS);
    await a.removePassphrase();
    const c = makeCase('B after removal', 1);
    await b.save(c); // sealed for the old passphrase first, refused in the transaction, redone in clear
    expect((await rawRows()).map((r) => r.kind)).toEqual(['plain', 'plain']);
    expect(await a.get(c.id)).toEqual(c);
  });

  it('a passphrase changed in another tab makes the old key useless', async () => {
    const a = await tab();
    await a.setPassphrase(PASS);
    const b = await tab();
    await b.unlock(PASS);
    await a.setPassphrase('another long phrase'); // A holds the key: this changes the passphrase
    expect(await code(b.save(makeCase('x', 1)))).toBe('locked');
    expect(await code(b.unlock(PASS))).toBe('wrong-passphrase');
    await b.unlock('another long phrase');
    await b.save(makeCase('x', 1));
    expect(await clearRows()).toEqual([]);
  });

  it('does not accept a clear row inside a protected history', async () => {
    const a = await tab();
    const kept = makeCase('kept', 1);
    await a.save(kept);
    await a.setPassphrase(PASS);
    // What an old version of the app (or anyone with access to the profile) could leave behind.
    const planted = makeCase('planted', 2);
    const { summarize } = await import('../../../src/history');
    await putRaw('summaries', { id: planted.id, sealed: { kind: 'plain', data: summarize(planted) } });
    await putRaw('details', { id: planted.id, sealed: { kind: 'plain', data: planted } });
    const { cases, unreadable } = await a.list();
    expect(cases.map((c) => c.label)).toEqual(['kept']);
    expect(unreadable).toEqual([planted.id]);
    expect(await code(a.get(planted.id))).toBe('corrupt');
    await a.delete(planted.id);
    expect((await a.list()).unreadable).toEqual([]);
  });

  it('setting a passphrase leaves nothing in clear, not even rows it cannot read', async () => {
    const a = await tab();
    const good = makeCase('good', 1);
    await a.save(good);
    await putRaw('details', { id: 'damaged', sealed: { kind: 'plain', data: { id: 'damaged', label: 'Patient X' } } });
    await putRaw('summaries', { id: 'damaged', sealed: { kind: 'plain', data: { id: 'damaged', label: 'Patient X' } } });
    await putRaw('summaries', { id: 'orphan', sealed: { kind: 'plain', data: { label: 'Patient Y' } } });
    await putRaw('summaries', { id: 'no-envelope', label: 'Patient Z', crop: new Uint8Array([1, 2, 3]) });
    await a.setPassphrase(PASS);
    expect(await clearRows()).toEqual([]);
    const { cases, unreadable } = await a.list();
    expect(cases.map((c) => c.id)).toEqual([good.id]);
    expect(unreadable.sort()).toEqual(['damaged', 'no-envelope', 'orphan']); // still listed and deletable
    expect(await a.get(good.id)).toEqual(good);
  });

  it('list and rewrite read rows by one path: a row under a non-text key is reported, not dropped', async () => {
    const a = await tab();
    await putRaw('summaries', { id: 7, sealed: { kind: 'plain', data: {} } });
    await putRaw('details', { id: 7, sealed: { kind: 'plain', data: {} } });
    expect((await a.list()).unreadable).toEqual(['7']);
    await a.setPassphrase(PASS);
    expect(await clearRows()).toEqual([]);
  });

  it('refuses a weak passphrase with a stated rule and changes nothing', async () => {
    const a = await tab();
    await a.save(makeCase('x', 1));
    for (const weak of ['a', 'pw', 'eleven char', 'aaaaaaaaaaaaaaaa', '121212121212', '   short    '])
      expect(await code(a.setPassphrase(weak)), weak).toBe('weak-passphrase');
    expect(a.encrypted).toBe(false);
    expect((await rawRows()).every((r) => r.kind === 'plain')).toBe(true);
    expect(isStrongPassphrase('twelve chars')).toBe(true);
    expect(isStrongPassphrase('雪 山 河 海 风 云 雨 月 星 天 地 人')).toBe(true); // 12 characters, not 12 bytes
  });

  it('three tabs saving and importing while one sets the passphrase: nothing lost, nothing in clear', async () => {
    for (let delay = 0; delay < 12; delay++) {
      globalThis.indexedDB = new IDBFactory();
      const [a, b, c] = [await tab(), await tab(), await tab()];
      const donor = await tab();
      const imported = [makeCase('imp 1', 20), makeCase('imp 2', 21)];
      for (const r of imported) await donor.save(r);
      const file = await donor.exportCases(
        imported.map((r) => r.id),
        '0.1.0',
      );
      await donor.deleteAll();
      const ids = new Map<string, Promise<string>>();
      const locking = a.setPassphrase(PASS);
      await new Promise((r) => setTimeout(r, delay));
      for (let i = 0; i < 3; i++) {
        const r = makeCase(`b${i}`, i + 1);
        ids.set(r.id, code(b.save(r)));
      }
      const importing = code(c.importCases(file));
      await locking;
      const outcomes = await Promise.all([...ids.values(), importing]);
      // Each write either landed before the passphrase and was encrypted with the rest, or was refused.
      for (const o of outcomes) expect(['no error', 'locked']).toContain(o);
      expect(await clearRows(), `delay ${delay} ms`).toEqual([]);
      const listed = new Set((await a.list()).cases.map((x) => x.id));
      const expected = [...ids.keys()].filter((_, i) => outcomes[i] === 'no error');
      if (outcomes[3] === 'no error') expected.push(...imported.map((r) => r.id));
      for (const id of expected) expect(listed.has(id), `delay ${delay} ms`).toBe(true);
      expect((await a.list()).unreadable).toEqual([]);
      for (const s of opened.splice(0)) s.close();
    }
  });
});
