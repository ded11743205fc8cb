/**
 * The rows of the case history as IndexedDB holds them, and the one path between a row and a case:
 * sealing (plain or AES-GCM), unsealing with the rule that a protected history accepts no clear row,
 * validation, and the schema migrations.
 */

import type { IDBPDatabase, IDBPTransaction } from 'idb';
import { caseFromJson, caseToJson, opaqueJson } from './codec';
import { isLockInfo, isSealedBytes, openJson, sealBytes, sealJson, type LockInfo } from './crypto';
import { HistoryError } from './errors';
import { summarize, type CaseRecord } from './types';
import { validateCase } from './validate';

/** Request promises of a transaction: their failure is the transaction's failure, handled once. */
export const quiet = (p: Promise<unknown>): void => void p.catch(() => {});

export type Envelope = { kind: 'plain'; data: unknown } | { kind: 'aes-gcm'; iv: Uint8Array; ct: Uint8Array };
export interface Row {
  id: string;
  sealed: Envelope;
}
export type StoreName = 'summaries' | 'details' | 'meta';
export type DataStore = 'summaries' | 'details';
export type AnyTx = IDBPTransaction<unknown, StoreName[], 'readwrite'>;

/** A row as read back: its primary key, that key as text (for the UI), and the raw value. */
export interface RawRow {
  key: IDBValidKey;
  id: string;
  row: unknown;
}

/** What a write expects to find: the passphrase record its rows are sealed for, and (for a rewrite) the write counter. */
export interface Expect {
  lock: LockInfo | null;
  gen: number | null;
}

/** Another tab changed the passphrase (or, for a rewrite, any row) since this tab looked. */
export class StaleState extends Error {
  constructor(readonly lock: LockInfo | null) {
    super('the history changed in another tab');
  }
}

/** How often a write is retried when other tabs keep changing the history under it. */
export const MAX_ATTEMPTS = 8;

export function parseLock(v: unknown): LockInfo | null {
  if (v === undefined) return null;
  if (!isLockInfo(v)) throw new HistoryError('corrupt', 'The passphrase record of the history is damaged.');
  return v;
}

export const genOf = (v: unknown): number => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : 0);

/** True unless the row is a well-formed encrypted envelope: what must not stay in a protected history. */
export function isClear(row: unknown): boolean {
  const env = (row as Partial<Row> | null)?.sealed as Partial<Envelope> | undefined;
  return !(env?.kind === 'aes-gcm' && isSealedBytes(env));
}

/** Schema migrations, one per version step; each runs inside the upgrade transaction. */
export async function migrate(
  db: IDBPDatabase,
  oldVersion: number,
  tx: IDBPTransaction<unknown, string[], 'versionchange'>,
): Promise<void> {
  if (oldVersion < 1) {
    db.createObjectStore('cases', { keyPath: 'id' });
  }
  if (oldVersion < 2) {
    db.createObjectStore('summaries', { keyPath: 'id' });
    db.createObjectStore('details', { keyPath: 'id' });
    db.createObjectStore('meta');
    const old = tx.objectStore('cases');
    const summaries = tx.objectStore('summaries');
    const details = tx.objectStore('details');
    let cursor = await old.openCursor();
    while (cursor) {
      const v = cursor.value as { id?: unknown };
      if (typeof v?.id === 'string') {
        let summary: unknown;
        try {
          summary = summarize(validateCase(v));
        } catch {
          // kept, listed as unreadable, deletable: a migration never throws data away
          summary = { id: v.id };
        }
        quiet(summaries.put({ id: v.id, sealed: { kind: 'plain', data: summary } }));
        quiet(details.put({ id: v.id, sealed: { kind: 'plain', data: v } }));
      }
      cursor = await cursor.continue();
    }
    db.deleteObjectStore('cases');
  }
  if (oldVersion < 3) {
    // Cases gain an examination and descriptors. Clear rows are rewritten in the new form now; an
    // encrypted row cannot be (no key during an upgrade) and is read in the new form instead
    // (validateCase gives a case without them its own examination). What fails validation stays
    // exactly as it was: unreadable, listed, deletable.
    const summaries = tx.objectStore('summaries');
    let cursor = await tx.objectStore('details').openCursor();
    while (cursor) {
      const row = cursor.value as Partial<Row> | undefined;
      if (row?.sealed?.kind === 'plain' && typeof row.id === 'string') {
        let record: CaseRecord | null = null;
        try {
          record = validateCase(row.sealed.data);
        } catch {
          record = null;
        }
        if (record && record.id === row.id) {
          quiet(cursor.update({ id: row.id, sealed: { kind: 'plain', data: record } }));
          quiet(summaries.put({ id: row.id, sealed: { kind: 'plain', data: summarize(record) } }));
        }
      }
      cursor = await cursor.continue();
    }
  }
}

async function seal(value: unknown, aad: string, key: CryptoKey | null): Promise<Envelope> {
  return key ? { kind: 'aes-gcm', ...(await sealJson(key, value, aad)) } : { kind: 'plain', data: value };
}

/** Summary and case rows of a record, sealed for `key` (null: plaintext). */
export async function sealRecord(r: CaseRecord, key: CryptoKey | null): Promise<readonly [string, Envelope, Envelope]> {
  const [s, d] = await Promise.all([
    seal(summarize(r), `summary:${r.id}`, key),
    key ? seal(caseToJson(r), `case:${r.id}`, key) : Promise.resolve<Envelope>({ kind: 'plain', data: r }),
  ]);
  return [r.id, s, d] as const;
}

export async function unseal(
  row: unknown,
  what: 'case' | 'summary',
  key: CryptoKey | null,
  lock: LockInfo | null,
): Promise<unknown> {
  const r = row as Partial<Row> | undefined;
  const env = r?.sealed as Partial<Envelope> | undefined;
  if (!r || typeof r.id !== 'string' || !env) throw new HistoryError('corrupt', 'A stored entry is damaged.');
  if (env.kind === 'plain') {
    // Nothing written by this app is in clear in a protected history: such a row was put there from outside.
    if (lock) throw new HistoryError('corrupt', 'A stored entry is in clear inside a protected history.');
    return env.data;
  }
  if (env.kind === 'aes-gcm' && isSealedBytes(env)) {
    if (!key) throw new HistoryError('locked', 'The case history is locked; enter the passphrase.');
    try {
      return await openJson(key, env, `${what}:${r.id}`);
    } catch {
      throw new HistoryError('corrupt', 'A stored entry could not be decrypted.');
    }
  }
  throw new HistoryError('corrupt', 'A stored entry is damaged.');
}

export async function readCase(row: unknown, key: CryptoKey | null, lock: LockInfo | null): Promise<CaseRecord> {
  const env = (row as Partial<Row> | undefined)?.sealed;
  const data = await unseal(row, 'case', key, lock);
  try {
    return env?.kind === 'plain' ? validateCase(data) : caseFromJson(data);
  } catch (e) {
    throw new HistoryError('corrupt', 'A stored case is damaged.', (e as Error).message);
  }
}

/** The one path from stored rows to values: what fails to read is reported by id, never dropped silently. */
export async function decodeRows<T>(
  rows: RawRow[],
  read: (row: unknown) => Promise<T>,
): Promise<{ values: T[]; unreadable: string[] }> {
  const values: T[] = [];
  const unreadable: string[] = [];
  for (const { id, row } of rows) {
    try {
      values.push(await read(row));
    } catch {
      unreadable.push(id);
    }
  }
  return { values, unreadable };
}

/** A row that cannot be read but sits in clear, encrypted as it is: still unreadable, still deletable, no longer in clear. */
export async function sealOpaque(key: CryptoKey, row: unknown, aad: string): Promise<Envelope> {
  return { kind: 'aes-gcm', ...(await sealBytes(key, new TextEncoder().encode(opaqueJson(row)), aad)) };
}
