/**
 * The case history in IndexedDB (via idb). Every write is one transaction, so a failure (quota,
 * tab closed) leaves the store as it was. Everything read back is validated. With a passphrase,
 * every case and its list entry are AES-GCM encrypted; without the passphrase nothing can be read,
 * and a wrong passphrase changes nothing.
 *
 * Schema (DB_VERSION 2):
 *   summaries  { id, sealed }  — the list entry (label, note, date, model, fused result)
 *   details    { id, sealed }  — the whole case (crops, probabilities, Grad-CAM maps)
 *   meta       'lock' → LockInfo (present only when a passphrase is set)
 * `sealed` is { kind: 'plain', data } or { kind: 'aes-gcm', iv, ct }.
 *
 * Version 1 kept whole plaintext cases in one `cases` store; `migrate` moves them.
 */

import { openDB, type IDBPDatabase, type IDBPTransaction } from 'idb';
import { caseFromJson, caseToJson } from './codec';
import {
  createLock,
  DEFAULT_ITERATIONS,
  isLockInfo,
  isSealedBytes,
  openJson,
  sealJson,
  tryUnlock,
  type LockInfo,
} from './crypto';
import { HistoryError, toHistoryError } from './errors';
import { buildExportFile, parseExportFile } from './export-file';
import { matchesQuery, summarize, type CaseRecord, type CaseSummary } from './types';
import { validateCase, validateSummary } from './validate';

/** Request promises of a transaction: their failure is the transaction's failure, handled once. */
const quiet = (p: Promise<unknown>): void => void p.catch(() => {});

export const DB_NAME = 'lymphscope-history';
export const DB_VERSION = 2;

type Envelope = { kind: 'plain'; data: unknown } | { kind: 'aes-gcm'; iv: Uint8Array; ct: Uint8Array };
interface Row {
  id: string;
  sealed: Envelope;
}
type StoreName = 'summaries' | 'details' | 'meta';
type AnyTx = IDBPTransaction<unknown, StoreName[], 'readwrite'>;

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

/** Schema migrations, one per version step; each runs inside the upgrade transaction. */
async function migrate(
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
}

export class HistoryStore {
  private key: CryptoKey | null = null;
  private closed = false;

  private constructor(
    private readonly db: IDBPDatabase,
    private lockInfo: LockInfo | null,
    private readonly iterations: number,
  ) {}

  static async open(opts: HistoryStoreOptions = {}): Promise<HistoryStore> {
    if (typeof indexedDB === 'undefined' || indexedDB === null)
      throw new HistoryError('unavailable', 'This browser provides no IndexedDB storage.');
    let store: HistoryStore | null = null;
    let rejectBlocked: (e: HistoryError) => void = () => {};
    const blocked = new Promise<never>((_, reject) => (rejectBlocked = reject));
    let gaveUp = false;
    const opening = openDB(opts.name ?? DB_NAME, DB_VERSION, {
      upgrade: (db, oldVersion, _newVersion, tx) => {
        void migrate(db, oldVersion, tx as unknown as IDBPTransaction<unknown, string[], 'versionchange'>).catch(() =>
          tx.abort(),
        );
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
      const lock = await db.get('meta', 'lock');
      if (lock !== undefined && !isLockInfo(lock))
        throw new HistoryError('corrupt', 'The passphrase record of the history is damaged.');
      store = new HistoryStore(db, lock ?? null, opts.iterations ?? DEFAULT_ITERATIONS);
      return store;
    } catch (e) {
      db.close();
      throw toHistoryError(e, 'Opening the case history');
    }
  }

  private markClosed(): void {
    this.closed = true;
    this.db.close();
  }

  close(): void {
    this.markClosed();
  }

  /** True when a passphrase protects the history. */
  get encrypted(): boolean {
    return this.lockInfo !== null;
  }

  /** True when a passphrase protects the history and has not been entered. */
  get locked(): boolean {
    return this.lockInfo !== null && this.key === null;
  }

  private check(): void {
    if (this.closed) throw new HistoryError('blocked', 'The history was upgraded by another tab; reload this page.');
  }

  private requireKey(): CryptoKey | null {
    if (this.lockInfo && !this.key) throw new HistoryError('locked', 'The case history is locked; enter the passphrase.');
    return this.key;
  }

  /** Checks the passphrase; throws `wrong-passphrase` (and changes nothing) when it is wrong. */
  async unlock(passphrase: string): Promise<void> {
    this.check();
    if (!this.lockInfo) return;
    const key = await tryUnlock(passphrase, this.lockInfo);
    if (!key) throw new HistoryError('wrong-passphrase', 'The passphrase is wrong.');
    this.key = key;
  }

  /** Forgets the key; the history stays encrypted and needs the passphrase again. */
  lock(): void {
    if (this.lockInfo) this.key = null;
  }

  private sealCase(r: CaseRecord, key: CryptoKey | null): Promise<Envelope> {
    return key
      ? sealJson(key, caseToJson(r), `case:${r.id}`).then((s) => ({ kind: 'aes-gcm', ...s }))
      : Promise.resolve({ kind: 'plain', data: r });
  }

  private sealSummary(s: CaseSummary, key: CryptoKey | null): Promise<Envelope> {
    return key
      ? sealJson(key, s, `summary:${s.id}`).then((x) => ({ kind: 'aes-gcm', ...x }))
      : Promise.resolve({ kind: 'plain', data: s });
  }

  private async unseal(row: unknown, what: 'case' | 'summary', key = this.key): Promise<unknown> {
    const r = row as Partial<Row> | undefined;
    const env = r?.sealed as Partial<Envelope> | undefined;
    if (!r || typeof r.id !== 'string' || !env) throw new HistoryError('corrupt', 'A stored entry is damaged.');
    if (env.kind === 'plain') return env.data;
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

  private async readCase(row: unknown, key = this.key): Promise<CaseRecord> {
    const env = (row as Partial<Row> | undefined)?.sealed;
    const data = await this.unseal(row, 'case', key);
    try {
      return env?.kind === 'plain' ? validateCase(data) : caseFromJson(data);
    } catch (e) {
      throw new HistoryError('corrupt', 'A stored case is damaged.', (e as Error).message);
    }
  }

  /** Runs `fn` in one readwrite transaction; on any error the transaction is aborted, nothing changes. */
  private async write(stores: StoreName[], context: string, fn: (tx: AnyTx) => void): Promise<void> {
    this.check();
    let tx: AnyTx;
    try {
      tx = this.db.transaction(stores, 'readwrite') as unknown as AnyTx;
    } catch (e) {
      throw toHistoryError(e, context);
    }
    const done = tx.done;
    done.catch(() => {});
    try {
      fn(tx);
      await done;
    } catch (e) {
      try {
        tx.abort();
      } catch {
        // already finished or aborted
      }
      const err = (tx as unknown as { error?: unknown }).error ?? e;
      throw toHistoryError(err && (err as { name?: string }).name !== 'AbortError' ? err : e, context);
    }
  }

  async save(record: CaseRecord): Promise<void> {
    this.check();
    const r = validateCase(record);
    const key = this.requireKey();
    const [s, d] = await Promise.all([this.sealSummary(summarize(r), key), this.sealCase(r, key)]);
    await this.write(['summaries', 'details'], 'Saving the case', (tx) => {
      quiet(tx.objectStore('summaries').put({ id: r.id, sealed: s }));
      quiet(tx.objectStore('details').put({ id: r.id, sealed: d }));
    });
  }

  /** Updates label and note of a saved case. */
  async relabel(id: string, label: string, note: string): Promise<void> {
    const r = await this.get(id);
    await this.save({ ...r, label, note });
  }

  async list(query = ''): Promise<ListResult> {
    this.check();
    this.requireKey();
    let rows: unknown[];
    try {
      rows = await this.db.getAll('summaries');
    } catch (e) {
      throw toHistoryError(e, 'Reading the case history');
    }
    const cases: CaseSummary[] = [];
    const unreadable: string[] = [];
    for (const row of rows) {
      try {
        cases.push(validateSummary(await this.unseal(row, 'summary')));
      } catch {
        const id = (row as Partial<Row>)?.id;
        if (typeof id === 'string') unreadable.push(id);
      }
    }
    cases.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
    return { cases: cases.filter((c) => matchesQuery(c, query)), unreadable };
  }

  async get(id: string): Promise<CaseRecord> {
    this.check();
    this.requireKey();
    let row: unknown;
    try {
      row = await this.db.get('details', id);
    } catch (e) {
      throw toHistoryError(e, 'Reading the case');
    }
    if (row === undefined) throw new HistoryError('not-found', 'The case is no longer in the history.');
    return this.readCase(row);
  }

  async delete(id: string): Promise<void> {
    await this.write(['summaries', 'details'], 'Deleting the case', (tx) => {
      quiet(tx.objectStore('summaries').delete(id));
      quiet(tx.objectStore('details').delete(id));
    });
  }

  /** Deletes every case and the passphrase (also possible while locked: the way out of a forgotten passphrase). */
  async deleteAll(): Promise<void> {
    await this.write(['summaries', 'details', 'meta'], 'Deleting all cases', (tx) => {
      quiet(tx.objectStore('summaries').clear());
      quiet(tx.objectStore('details').clear());
      quiet(tx.objectStore('meta').clear());
    });
    this.lockInfo = null;
    this.key = null;
  }

  private async readAll(): Promise<{ records: CaseRecord[]; unreadable: string[] }> {
    this.check();
    let rows: unknown[];
    try {
      rows = await this.db.getAll('details');
    } catch (e) {
      throw toHistoryError(e, 'Reading the case history');
    }
    const records: CaseRecord[] = [];
    const unreadable: string[] = [];
    for (const row of rows) {
      try {
        records.push(await this.readCase(row));
      } catch {
        unreadable.push(String((row as Partial<Row>)?.id));
      }
    }
    return { records, unreadable };
  }

  /** Rewrites every readable case under `key` (null: plaintext) and sets `lock`, all in one transaction. */
  private async rewriteAll(key: CryptoKey | null, lock: LockInfo | null, context: string): Promise<void> {
    const { records } = await this.readAll();
    const sealed = await Promise.all(
      records.map(async (r) => [r.id, await this.sealSummary(summarize(r), key), await this.sealCase(r, key)] as const),
    );
    await this.write(['summaries', 'details', 'meta'], context, (tx) => {
      for (const [id, s, d] of sealed) {
        quiet(tx.objectStore('summaries').put({ id, sealed: s }));
        quiet(tx.objectStore('details').put({ id, sealed: d }));
      }
      if (lock) quiet(tx.objectStore('meta').put(lock, 'lock'));
      else quiet(tx.objectStore('meta').delete('lock'));
    });
  }

  /** Protects the history with a passphrase, encrypting every stored case. */
  async setPassphrase(passphrase: string): Promise<void> {
    if (passphrase.length === 0) throw new HistoryError('wrong-passphrase', 'The passphrase is empty.');
    this.requireKey();
    const { key, lock } = await createLock(passphrase, this.iterations);
    await this.rewriteAll(key, lock, 'Encrypting the case history');
    this.lockInfo = lock;
    this.key = key;
  }

  /** Removes the passphrase (history must be unlocked), storing the cases unencrypted again. */
  async removePassphrase(): Promise<void> {
    if (!this.lockInfo) return;
    this.requireKey();
    await this.rewriteAll(null, null, 'Decrypting the case history');
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
    const key = this.requireKey();
    const records = parseExportFile(text);
    let existing: Set<string>;
    try {
      existing = new Set((await this.db.getAllKeys('details')) as string[]);
    } catch (e) {
      throw toHistoryError(e, 'Importing cases');
    }
    const fresh = records.filter((r) => !existing.has(r.id));
    const sealed = await Promise.all(
      fresh.map(async (r) => [r.id, await this.sealSummary(summarize(r), key), await this.sealCase(r, key)] as const),
    );
    await this.write(['summaries', 'details'], 'Importing cases', (tx) => {
      for (const [id, s, d] of sealed) {
        quiet(tx.objectStore('summaries').put({ id, sealed: s }));
        quiet(tx.objectStore('details').put({ id, sealed: d }));
      }
    });
    return { added: fresh.length, skipped: records.length - fresh.length };
  }
}
