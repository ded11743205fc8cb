/**
 * The remembered automatic backend choice, in IndexedDB: the worker has no localStorage. One record
 * per pack key (id@version), holding the user agent it was decided under. What is read back is
 * checked like any outside data: a malformed record is treated as none.
 */

import { isBackendId } from '../../domain';
import type { ChoiceMemory, RememberedChoice } from './choice';

const DB_NAME = 'lymphscope-backend-choice';
const STORE = 'choices';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

function open(): Promise<IDBDatabase> {
  const r = indexedDB.open(DB_NAME, 1);
  r.onupgradeneeded = () => r.result.createObjectStore(STORE);
  return request(r);
}

function asRemembered(v: unknown): RememberedChoice | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (typeof o.userAgent !== 'string' || !isBackendId(o.backend)) return null;
  if (!Array.isArray(o.notes) || !o.notes.every((n) => typeof n === 'string')) return null;
  return { userAgent: o.userAgent, backend: o.backend, notes: o.notes };
}

/** IndexedDB-backed memory, or null where there is no IndexedDB (Node, some private modes). */
export function indexedDbChoiceMemory(): ChoiceMemory | null {
  if (typeof indexedDB === 'undefined') return null;
  const withStore = async <T>(mode: IDBTransactionMode, use: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> => {
    const db = await open();
    try {
      return await request(use(db.transaction(STORE, mode).objectStore(STORE)));
    } finally {
      db.close();
    }
  };
  return {
    load: async (packKey) => asRemembered(await withStore('readonly', (s) => s.get(packKey))),
    save: async (packKey, choice) => {
      await withStore('readwrite', (s) => s.put(choice, packKey));
    },
  };
}
