/**
 * The machinery under the case history (store.ts): the open database, the passphrase state this
 * tab holds, the cross-tab notification, and the transactional read and write paths every
 * operation goes through (see store.ts for the rules they keep).
 */

import type { IDBPDatabase } from 'idb';
import { sameLock, type LockInfo } from './crypto';
import { HistoryError, toHistoryError } from './errors';
import {
  genOf,
  MAX_ATTEMPTS,
  parseLock,
  quiet,
  sealRecord,
  StaleState,
  type AnyTx,
  type DataStore,
  type Expect,
  type RawRow,
} from './rows';
import type { CaseRecord } from './types';

/** A row's key as text, for listing it (a key that is not text marks a row this app did not write). */
function keyText(key: IDBValidKey): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' || key instanceof Date) return String(key);
  return JSON.stringify(key) ?? '';
}

export abstract class HistoryCore {
  protected key: CryptoKey | null = null;
  protected closed = false;
  protected readonly channel: BroadcastChannel | null;
  protected readonly listeners = new Set<() => void>();

  protected constructor(
    protected readonly db: IDBPDatabase,
    protected lockInfo: LockInfo | null,
    protected readonly iterations: number,
    name: string,
  ) {
    this.channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(`${name}:changed`) : null;
    if (this.channel)
      this.channel.onmessage = () => {
        if (!this.closed)
          void this.syncState().then(
            () => this.notify(),
            () => this.notify(),
          );
      };
  }

  protected markClosed(): void {
    this.closed = true;
    this.channel?.close();
    this.db.close();
  }

  close(): void {
    this.markClosed();
  }

  /** Calls `listener` when another tab changed the history (cases, passphrase); returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  protected notify(): void {
    for (const l of this.listeners) l();
  }

  /** True when a passphrase protects the history. */
  get encrypted(): boolean {
    return this.lockInfo !== null;
  }

  /** True when a passphrase protects the history and has not been entered. */
  get locked(): boolean {
    return this.lockInfo !== null && this.key === null;
  }

  protected check(): void {
    if (this.closed) throw new HistoryError('blocked', 'The history was upgraded by another tab; reload this page.');
  }

  protected requireKey(): CryptoKey | null {
    if (this.lockInfo && !this.key) throw new HistoryError('locked', 'The case history is locked; enter the passphrase.');
    return this.key;
  }

  /** Takes over the passphrase record found in the database; a different one makes the key useless. */
  protected adopt(lock: LockInfo | null): void {
    if (sameLock(this.lockInfo, lock)) return;
    this.lockInfo = lock;
    this.key = null;
    this.notify();
  }

  protected async syncState(): Promise<void> {
    this.check();
    let raw: unknown;
    try {
      raw = await this.db.get('meta', 'lock');
    } catch (e) {
      throw toHistoryError(e, 'Reading the case history');
    }
    this.adopt(parseLock(raw));
  }

  /**
   * Reads the passphrase record, the write counter and the rows of `stores` (all, or the one with
   * key `id`) in one transaction, and takes over the passphrase record found.
   */
  protected async readRows(
    stores: DataStore[],
    context: string,
    id?: string,
  ): Promise<{ expect: Expect; rows: Record<DataStore, RawRow[]> }> {
    this.check();
    let lockRaw: unknown, genRaw: unknown;
    const rows: Record<DataStore, RawRow[]> = { summaries: [], details: [] };
    try {
      const tx = this.db.transaction([...stores, 'meta'], 'readonly');
      const meta = tx.objectStore('meta');
      const reads = stores.map(async (name) => {
        const os = tx.objectStore(name);
        const [keys, values] =
          id === undefined
            ? await Promise.all([os.getAllKeys(), os.getAll()])
            : await os.get(id).then((v): [IDBValidKey[], unknown[]] => (v === undefined ? [[], []] : [[id], [v]]));
        rows[name] = keys.map((key, i) => ({ key, id: keyText(key), row: values[i] as unknown }));
      });
      [lockRaw, genRaw] = (await Promise.all([meta.get('lock'), meta.get('gen'), ...reads])) as unknown[];
    } catch (e) {
      throw toHistoryError(e, context);
    }
    const lock = parseLock(lockRaw);
    this.adopt(lock);
    return { expect: { lock, gen: genOf(genRaw) }, rows };
  }

  /**
   * Runs `fn` in one readwrite transaction over every store, after checking that the database still
   * holds what `expect` says (null: no check); on any error the transaction is aborted, nothing changes.
   */
  protected async write(context: string, expect: Expect | null, fn: (tx: AnyTx) => void | Promise<void>): Promise<void> {
    this.check();
    let tx: AnyTx;
    try {
      tx = this.db.transaction(['summaries', 'details', 'meta'], 'readwrite') as unknown as AnyTx;
    } catch (e) {
      throw toHistoryError(e, context);
    }
    const done = tx.done;
    done.catch(() => {});
    try {
      const meta = tx.objectStore('meta');
      const [lockRaw, genRaw] = (await Promise.all([meta.get('lock'), meta.get('gen')])) as unknown[];
      if (expect) {
        const lock = parseLock(lockRaw);
        if (!sameLock(lock, expect.lock) || (expect.gen !== null && genOf(genRaw) !== expect.gen)) throw new StaleState(lock);
      }
      await fn(tx);
      quiet(meta.put(genOf(genRaw) + 1, 'gen'));
      await done;
    } catch (e) {
      try {
        tx.abort();
      } catch {
        // already finished or aborted
      }
      if (e instanceof StaleState) {
        this.adopt(e.lock);
        throw e;
      }
      const err = (tx as unknown as { error?: unknown }).error ?? e;
      throw toHistoryError(err && (err as { name?: string }).name !== 'AbortError' ? err : e, context);
    }
    this.channel?.postMessage('changed');
  }

  /** Runs `op` again when another tab changed the history under it, as long as this tab may still write. */
  protected async attempt<T>(op: () => Promise<T>): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await op();
      } catch (e) {
        if (!(e instanceof StaleState)) throw e;
        if (this.locked) throw new HistoryError('locked', 'Another tab set a passphrase; enter it first.');
        if (i >= MAX_ATTEMPTS) throw new HistoryError('failed', 'The history kept changing in another tab.');
      }
    }
  }

  /** Seals rows for the passphrase this tab holds, then stores them if that passphrase is still the one in force. */
  protected putRecords(records: CaseRecord[], context: string, skipExisting: boolean): Promise<number> {
    return this.attempt(async () => {
      const key = this.requireKey();
      const lock = this.lockInfo;
      const sealed = await Promise.all(records.map((r) => sealRecord(r, key)));
      let added = 0;
      await this.write(context, { lock, gen: null }, async (tx) => {
        // Read inside the transaction, so two tabs importing the same file count each case once.
        const existing = new Set(skipExisting ? await tx.objectStore('details').getAllKeys() : []);
        for (const [id, s, d] of sealed) {
          if (existing.has(id)) continue;
          quiet(tx.objectStore('summaries').put({ id, sealed: s }));
          quiet(tx.objectStore('details').put({ id, sealed: d }));
          added++;
        }
      });
      return added;
    });
  }
}
