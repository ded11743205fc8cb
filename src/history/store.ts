/**
 * The case history in IndexedDB (via idb). Every write is one transaction, so a failure (quota,
 * tab closed) leaves the store as it was. Everything read back is validated. With a passphrase,
 * every case and its list entry are AES-GCM encrypted; without the passphrase nothing can be read,
 * and a wrong passphrase changes nothing.
 *
 * Several tabs share one database. Every write transaction first reads the passphrase record and a
 * write counter and aborts when the passphrase is not the one this tab sealed its rows for (another
 * tab set, changed or removed it): a clear row never lands in a protected history, and no row a
 * protected history holds in clear is ever accepted as a case. A BroadcastChannel tells other tabs at
 * once; the check inside the transaction is what guarantees it.
 *
 * Schema (DB_VERSION 3):
 *   summaries  { id, sealed }  — the list entry (label, note, date, model, fused result)
 *   details    { id, sealed }  — the whole case (crops, probabilities, Grad-CAM maps)
 *   meta       'lock' → LockInfo (present only when a passphrase is set)
 *              'gen'  → number of writes so far (a rewrite of every row retries if it moved)
 * `sealed` is { kind: 'plain', data } or { kind: 'aes-gcm', iv, ct }.
 *
 * Version 1 kept whole plaintext cases in one `cases` store; `migrate` (rows.ts) moves them.
 * Version 3 gave every case an examination and descriptors; `migrate` rewrites clear rows in the new
 * form, encrypted rows (no key during an upgrade) are read in the new form and rewritten when next saved.
 * Every node of an examination carries the same examination data: `save` and `updateExam` rewrite
 * the other nodes in the same transaction.
 */

import { openDB, type IDBPDatabase } from 'idb';
import {
  createLock,
  DEFAULT_ITERATIONS,
  isStrongPassphrase,
  MIN_PASSPHRASE_CHARS,
  MIN_PASSPHRASE_DISTINCT,
  sameLock,
  tryUnlock,
  type LockInfo,
} from './crypto';
import { HistoryError, toHistoryError } from './errors';
import { buildExportFile, parseExportFile } from './export-file';
import {
  decodeRows,
  isClear,
  migrate,
  parseLock,
  quiet,
  readCase,
  sealOpaque,
  sealRecord,
  unseal,
  type DataStore,
  type Envelope,
} from './rows';
import type { ExamInfo } from '../domain';
import { groupExams, matchesQuery, type CaseRecord, type CaseSummary, type ExamSummary } from './types';
import { validateCase, validateSummary } from './validate';
import { HistoryCore } from './store-core';

export const DB_NAME = 'lymphscope-history';
export const DB_VERSION = 3;

export interface HistoryStoreOptions {
  name?: string;
  /** PBKDF2 iterations for a new passphrase (tests use fewer). */
  iterations?: number;
  /** How long to wait for other tabs to let an upgrade through before reporting "blocked". */
  blockedTimeoutMs?: number;
}

export interface ListResult {
  cases: CaseSummary[];
  /** Ids of entries that could not be read (damaged); they can still be deleted. */
  unreadable: string[];
}

export class HistoryStore extends HistoryCore {
  static async open(opts: HistoryStoreOptions = {}): Promise<HistoryStore> {
    if (typeof indexedDB === 'undefined' || indexedDB === null)
      throw new HistoryError('unavailable', 'This browser provides no IndexedDB storage.');
    const name = opts.name ?? DB_NAME;
    let store: HistoryStore | null = null;
    let rejectBlocked: (e: HistoryError) => void = () => {};
    const blocked = new Promise<never>((_, reject) => (rejectBlocked = reject));
    let gaveUp = false;
    const opening = openDB(name, DB_VERSION, {
      upgrade: (db, oldVersion, _newVersion, tx) => {
        void migrate(db, oldVersion, tx).catch(() => tx.abort());
      },
      blocked: () => {
        setTimeout(
          () =>
            rejectBlocked(
              new HistoryError('blocked', 'Another LymphScope tab keeps an older history open; close it and reload.'),
            ),
          opts.blockedTimeoutMs ?? 1500,
        );
      },
      blocking: () => {
        // A newer version of the app wants to upgrade in another tab: let it.
        store?.markClosed();
      },
    });
    let db: IDBPDatabase;
    try {
      db = await Promise.race([opening, blocked]);
    } catch (e) {
      gaveUp = true;
      void opening.then((d) => gaveUp && d.close()).catch(() => {});
      throw toHistoryError(e, 'Opening the case history');
    }
    try {
      const lock = parseLock(await db.get('meta', 'lock'));
      store = new HistoryStore(db, lock, opts.iterations ?? DEFAULT_ITERATIONS, name);
      return store;
    } catch (e) {
      db.close();
      throw toHistoryError(e, 'Opening the case history');
    }
  }

  /** Checks the passphrase; throws `wrong-passphrase` (and changes nothing) when it is wrong. */
  async unlock(passphrase: string): Promise<void> {
    await this.syncState();
    if (!this.lockInfo) return;
    const lock = this.lockInfo;
    const key = await tryUnlock(passphrase, lock);
    if (!key) throw new HistoryError('wrong-passphrase', 'The passphrase is wrong.');
    if (sameLock(this.lockInfo, lock)) this.key = key;
  }

  /** Forgets the key; the history stays encrypted and needs the passphrase again. */
  lock(): void {
    if (this.lockInfo) this.key = null;
  }

  /** Saves a node; the other nodes of its examination take over its examination data. */
  async save(record: CaseRecord): Promise<void> {
    this.check();
    const r = validateCase(record);
    const others = (await this.getExam(r.exam.id)).filter((o) => o.id !== r.id);
    const changed = others
      .filter((o) => JSON.stringify(o.exam) !== JSON.stringify(r.exam))
      .map((o) => ({ ...o, exam: { ...r.exam } }));
    await this.putRecords([r, ...changed], 'Saving the case', false);
  }

  /** Every readable node of an examination, oldest first (the order they were examined in). */
  async getExam(examId: string): Promise<CaseRecord[]> {
    const { cases } = await this.list();
    const out: CaseRecord[] = [];
    for (const c of cases.filter((x) => x.examId === examId)) {
      try {
        out.push(await this.get(c.id));
      } catch (e) {
        // a node deleted meanwhile is simply not part of it any more
        if (!(e instanceof HistoryError && e.code === 'not-found')) throw e;
      }
    }
    return out.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  }

  /** Changes an examination's data on every node it has; returns the nodes as stored now. */
  async updateExam(examId: string, patch: Partial<Omit<ExamInfo, 'id'>>): Promise<CaseRecord[]> {
    const nodes = (await this.getExam(examId)).map((r) => validateCase({ ...r, exam: { ...r.exam, ...patch, id: examId } }));
    if (nodes.length === 0) throw new HistoryError('not-found', 'The examination is no longer in the history.');
    await this.putRecords(nodes, 'Saving the examination', false);
    return nodes;
  }

  /** The history as examinations (each with its nodes), newest first, filtered by `query` per node. */
  async listExams(query = ''): Promise<{ exams: ExamSummary[]; unreadable: string[] }> {
    const { cases, unreadable } = await this.list(query);
    return { exams: groupExams(cases), unreadable };
  }

  /** Updates label and note of a saved case. */
  async relabel(id: string, label: string, note: string): Promise<void> {
    const r = await this.get(id);
    await this.save({ ...r, label, note });
  }

  async list(query = ''): Promise<ListResult> {
    const { rows } = await this.readRows(['summaries'], 'Reading the case history');
    const key = this.requireKey();
    const lock = this.lockInfo;
    const { values: cases, unreadable } = await decodeRows(rows.summaries, async (row) =>
      validateSummary(await unseal(row, 'summary', key, lock)),
    );
    cases.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
    return { cases: cases.filter((c) => matchesQuery(c, query)), unreadable };
  }

  async get(id: string): Promise<CaseRecord> {
    const { rows } = await this.readRows(['details'], 'Reading the case', id);
    this.requireKey();
    const row = rows.details[0];
    if (row === undefined) throw new HistoryError('not-found', 'The case is no longer in the history.');
    return readCase(row.row, this.key, this.lockInfo);
  }

  async delete(id: string): Promise<void> {
    await this.write('Deleting the case', null, (tx) => {
      quiet(tx.objectStore('summaries').delete(id));
      quiet(tx.objectStore('details').delete(id));
    });
  }

  /** Deletes every case and the passphrase (also possible while locked: the way out of a forgotten passphrase). */
  async deleteAll(): Promise<void> {
    await this.write('Deleting all cases', null, (tx) => {
      quiet(tx.objectStore('summaries').clear());
      quiet(tx.objectStore('details').clear());
      // the write counter stays: a rewrite in another tab must notice the history emptied under it
      quiet(tx.objectStore('meta').delete('lock'));
    });
    this.lockInfo = null;
    this.key = null;
  }

  /**
   * Rewrites every row under `key` (null: plaintext) and sets `lock`, in one transaction that
   * commits only if no tab wrote in between. Readable cases are sealed afresh; when encrypting,
   * a row that cannot be read but sits in clear is encrypted as it is (still unreadable, deletable).
   */
  private async rewriteAll(key: CryptoKey | null, lock: LockInfo | null, context: string): Promise<void> {
    const { expect, rows } = await this.readRows(['summaries', 'details'], context);
    const oldKey = this.requireKey();
    const { values: records } = await decodeRows(rows.details, (row) => readCase(row, oldKey, expect.lock));
    const readable = new Set(records.map((r) => r.id));
    const sealed = await Promise.all(records.map((r) => sealRecord(r, key)));
    const opaque: { store: DataStore; row: { id: IDBValidKey; sealed: Envelope } }[] = [];
    for (const store of ['summaries', 'details'] as const)
      for (const { key: k, id, row } of rows[store])
        if (key && !readable.has(id) && isClear(row)) {
          opaque.push({ store, row: { id: k, sealed: await sealOpaque(key, row, `damaged:${store}:${id}`) } });
        }
    await this.write(context, expect, (tx) => {
      for (const [id, s, d] of sealed) {
        quiet(tx.objectStore('summaries').put({ id, sealed: s }));
        quiet(tx.objectStore('details').put({ id, sealed: d }));
      }
      for (const { store, row } of opaque) quiet(tx.objectStore(store).put(row));
      if (lock) quiet(tx.objectStore('meta').put(lock, 'lock'));
      else quiet(tx.objectStore('meta').delete('lock'));
    });
  }

  /** Protects the history with a passphrase (see `isStrongPassphrase`), encrypting every stored case. */
  async setPassphrase(passphrase: string): Promise<void> {
    if (!isStrongPassphrase(passphrase))
      throw new HistoryError(
        'weak-passphrase',
        `A passphrase needs at least ${MIN_PASSPHRASE_CHARS} characters, ${MIN_PASSPHRASE_DISTINCT} of them different.`,
      );
    await this.syncState();
    this.requireKey();
    const { key, lock } = await createLock(passphrase, this.iterations);
    await this.attempt(() => this.rewriteAll(key, lock, 'Encrypting the case history'));
    this.lockInfo = lock;
    this.key = key;
  }

  /** Removes the passphrase (history must be unlocked), storing the cases unencrypted again. */
  async removePassphrase(): Promise<void> {
    await this.syncState();
    if (!this.lockInfo) return;
    this.requireKey();
    await this.attempt(() => this.rewriteAll(null, null, 'Decrypting the case history'));
    this.lockInfo = null;
    this.key = null;
  }

  /** One JSON file holding the given cases (unencrypted: the user is told so). */
  async exportCases(ids: string[], appVersion: string): Promise<string> {
    const records: CaseRecord[] = [];
    for (const id of ids) records.push(await this.get(id));
    return buildExportFile(records, appVersion);
  }

  /**
   * Validates the whole file first, then stores its cases in one transaction. Cases whose id is
   * already in the history are skipped.
   */
  async importCases(text: string): Promise<{ added: number; skipped: number }> {
    this.check();
    this.requireKey();
    const records = parseExportFile(text);
    const added = await this.putRecords(records, 'Importing cases', true);
    return { added, skipped: records.length - added };
  }
}
