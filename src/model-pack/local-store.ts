/**
 * Packs stored on this device (imported from a PyTorch checkpoint or a pack zip), in IndexedDB.
 * A pack is written in ONE transaction (its manifest record and every file): storage running out,
 * a tab closing or an id that already exists aborts it and nothing of the pack remains. An existing
 * id is never overwritten (checked inside that transaction).
 *
 * The app addresses a stored pack as `<app>/models/local/<id>/<path>`: an address the pack address
 * rule (pack-url.ts) accepts, which the inference worker answers from here instead of the network
 * (`fetchLocalPack`). Everything read back is checked by the loader as any pack is (manifest
 * schema, sizes, SHA-256).
 */

import { openDB, type IDBPDatabase } from 'idb';

export const LOCAL_DB_NAME = 'lymphscope-packs';
const DB_VERSION = 1;
export const LOCAL_PACK_FOLDER = 'local';

export type LocalPackOrigin = 'checkpoint' | 'zip';

export interface LocalPackEntry {
  id: string;
  title: string;
  version: string;
  origin: LocalPackOrigin;
  /** ISO date of the import. */
  importedAt: string;
  /** Always false until a validation on this site's cases exists for it. */
  validated: boolean;
  /** Total bytes of its files. */
  bytes: number;
}

interface PackRow extends LocalPackEntry {
  manifest: Uint8Array;
}
interface FileRow {
  id: string;
  path: string;
  bytes: Uint8Array;
}

export class LocalPackError extends Error {
  constructor(
    message: string,
    readonly problem: 'exists' | 'quota' | 'storage' | 'missing',
  ) {
    super(message);
    this.name = 'LocalPackError';
  }
}

const PACK_ID = /^[a-z0-9][a-z0-9-]{0,99}$/;

let dbPromise: Promise<IDBPDatabase> | null = null;

function db(): Promise<IDBPDatabase> {
  dbPromise ??= openDB(LOCAL_DB_NAME, DB_VERSION, {
    upgrade(d) {
      d.createObjectStore('packs', { keyPath: 'id' });
      d.createObjectStore('files', { keyPath: ['id', 'path'] });
    },
  }).catch((e: unknown) => {
    dbPromise = null;
    throw new LocalPackError(`This browser's storage could not be opened (${(e as Error).message}).`, 'storage');
  });
  return dbPromise;
}

/** For tests: forget the open connection (a fresh fake IndexedDB follows). */
export function resetLocalPackStore(): void {
  dbPromise = null;
}

function isQuota(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name;
  return name === 'QuotaExceededError' || /quota/i.test(String((e as Error | null)?.message));
}

export interface StorePackInput {
  id: string;
  title: string;
  version: string;
  origin: LocalPackOrigin;
  manifest: Uint8Array;
  files: { path: string; bytes: Uint8Array }[];
}

function ownBuffer(b: Uint8Array): Uint8Array {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : b.slice();
}

/** Stores a whole pack, or nothing. Throws `LocalPackError` ('exists', 'quota', 'storage'). */
export async function storeLocalPack(p: StorePackInput): Promise<LocalPackEntry> {
  if (!PACK_ID.test(p.id)) throw new LocalPackError(`"${p.id}" is not a valid pack id`, 'storage');
  const d = await db();
  const entry: LocalPackEntry = {
    id: p.id,
    title: p.title,
    version: p.version,
    origin: p.origin,
    importedAt: new Date().toISOString(),
    validated: false,
    bytes: p.files.reduce((n, f) => n + f.bytes.byteLength, 0),
  };
  const tx = d.transaction(['packs', 'files'], 'readwrite');
  try {
    if (await tx.objectStore('packs').getKey(p.id)) {
      tx.abort();
      throw new LocalPackError(`A pack with the id "${p.id}" is already stored on this device.`, 'exists');
    }
    const files = tx.objectStore('files');
    // A view is copied to its own buffer first: structured cloning a view stores the whole
    // underlying buffer (a 2 MiB shard cut from a 45 MB blob would store 45 MB).
    for (const f of p.files) await files.add({ id: p.id, path: f.path, bytes: ownBuffer(f.bytes) } satisfies FileRow);
    await tx.objectStore('packs').add({ ...entry, manifest: ownBuffer(p.manifest) } satisfies PackRow);
    await tx.done;
  } catch (e) {
    try {
      tx.abort();
    } catch {
      // already aborted or finished: nothing of it was committed
    }
    await tx.done.catch(() => undefined);
    if (e instanceof LocalPackError) throw e;
    if (isQuota(e))
      throw new LocalPackError('The device ran out of storage space while storing the pack; nothing was kept.', 'quota');
    throw new LocalPackError(`The pack could not be stored (${(e as Error).message}); nothing was kept.`, 'storage');
  }
  return entry;
}

export async function listLocalPacks(): Promise<LocalPackEntry[]> {
  const rows = (await (await db()).getAll('packs')) as PackRow[];
  return rows.map(({ manifest: _m, ...e }) => e).sort((a, b) => a.importedAt.localeCompare(b.importedAt));
}

export async function hasLocalPack(id: string): Promise<boolean> {
  return (await (await db()).getKey('packs', id)) !== undefined;
}

export async function deleteLocalPack(id: string): Promise<void> {
  const d = await db();
  const tx = d.transaction(['packs', 'files'], 'readwrite');
  const files = tx.objectStore('files');
  for (const key of await files.getAllKeys(IDBKeyRange.bound([id, ''], [id, '\uffff']))) await files.delete(key);
  await tx.objectStore('packs').delete(id);
  await tx.done;
}

/** The bytes of `path` in pack `id` (`manifest.json` included), or null. */
export async function readLocalPackFile(id: string, path: string): Promise<Uint8Array | null> {
  const d = await db();
  if (path === 'manifest.json') return ((await d.get('packs', id)) as PackRow | undefined)?.manifest ?? null;
  return ((await d.get('files', [id, path])) as FileRow | undefined)?.bytes ?? null;
}

/** The manifest URL of stored pack `id`, relative to the app's page `base`. */
export function localPackUrl(id: string, base: string | URL): string {
  return new URL(`models/${LOCAL_PACK_FOLDER}/${id}/manifest.json`, base).href;
}

/** `{ id, path }` when `url` addresses a stored pack, else null. */
export function parseLocalPackUrl(url: string): { id: string; path: string } | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  const m = /\/models\/local\/([a-z0-9][a-z0-9-]*)\/(.+)$/.exec(u.pathname);
  return m ? { id: m[1]!, path: m[2]! } : null;
}

/** A fetch-like answer for a stored pack's file, or null when `url` is not a stored pack's. */
export async function fetchLocalPack(
  url: string,
): Promise<{ ok: boolean; status: number; arrayBuffer(): Promise<ArrayBuffer> } | null> {
  const target = parseLocalPackUrl(url);
  if (!target) return null;
  const bytes = await readLocalPackFile(target.id, target.path);
  return {
    ok: bytes !== null,
    status: bytes !== null ? 200 : 404,
    arrayBuffer: () => Promise.resolve(bytes ? bytes.slice().buffer : new ArrayBuffer(0)),
  };
}
