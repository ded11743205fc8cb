/**
 * Validation runs and this site's operating points in IndexedDB (via idb), apart from the case
 * history: one result per image is written as soon as it is known, so a cancelled, crashed or
 * reloaded run keeps everything done so far, and the same folder picked again continues from there.
 * Everything read back is checked; a row that does not pass is dropped (and re-analysed), never used.
 *
 * Schema (DB_VERSION 1):
 *   runs              key → RunSpec & { updated, finished }
 *   results           [key, path] → ImageResult & { key }   (index byRun on key)
 *   operating-points  packId → OperatingPoint (parseOperatingPoint's form)
 */

import { openDB, type IDBPDatabase } from 'idb';
import { isInputVerdict, isModalityId } from '../domain';
import { parseOperatingPoint, type OperatingPoint } from './operating-point';
import type { ImageResult, RunImage, RunSpec } from './run';

export const VALIDATION_DB = 'lymphscope-validation';
const DB_VERSION = 1;

export interface StoredRun extends RunSpec {
  /** ISO date-time of the last result written. */
  updated: string;
  finished: boolean;
}

export interface RunSummary {
  key: string;
  pack: RunSpec['pack'];
  created: string;
  updated: string;
  finished: boolean;
  total: number;
  done: number;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown, max = 4096): v is string => typeof v === 'string' && v.length <= max;

function checkImage(v: unknown, classes: number): v is RunImage {
  return (
    isObj(v) &&
    isStr(v.path) &&
    isModalityId(v.modality) &&
    Number.isInteger(v.classIndex) &&
    (v.classIndex as number) >= 0 &&
    (v.classIndex as number) < classes &&
    isStr(v.patientId, 1000)
  );
}

/** A stored run, or null when the row is not one this version wrote. */
export function checkRun(v: unknown): StoredRun | null {
  if (!isObj(v) || !isStr(v.key, 64) || !isObj(v.pack) || !Array.isArray(v.classes) || !Array.isArray(v.images)) return null;
  const { pack } = v;
  if (!isStr(pack.id, 100) || !isStr(pack.version, 40) || !isStr(pack.sha256, 64)) return null;
  if (!v.classes.every((c) => isStr(c, 64)) || v.classes.length < 2) return null;
  if (typeof v.wholeImage !== 'boolean' || !isStr(v.grouping, 1000) || typeof v.finished !== 'boolean') return null;
  if (!isStr(v.created, 40) || !isStr(v.updated, 40)) return null;
  const n = v.classes.length;
  if (!v.images.every((i) => checkImage(i, n))) return null;
  return v as unknown as StoredRun;
}

export function checkResult(v: unknown, classes: number): ImageResult | null {
  if (!isObj(v) || !isStr(v.path)) return null;
  if (v.ok === false) return isStr(v.error, 64) ? { path: v.path, ok: false, error: v.error } : null;
  if (v.ok !== true || !Array.isArray(v.probabilities) || v.probabilities.length !== classes) return null;
  if (!v.probabilities.every((p) => typeof p === 'number' && p >= 0 && p <= 1 + 1e-9)) return null;
  if (!isInputVerdict(v.verdict)) return null;
  return { path: v.path, ok: true, probabilities: v.probabilities as number[], verdict: v.verdict };
}

export class ValidationStore {
  private db: Promise<IDBPDatabase> | null = null;

  private open(): Promise<IDBPDatabase> {
    this.db ??= openDB(VALIDATION_DB, DB_VERSION, {
      upgrade(db) {
        db.createObjectStore('runs', { keyPath: 'key' });
        const results = db.createObjectStore('results', { keyPath: ['key', 'path'] });
        results.createIndex('byRun', 'key');
        db.createObjectStore('operating-points', { keyPath: 'pack.id' });
      },
    });
    return this.db;
  }

  /** Creates the run, or returns the one already stored under its key (whose results continue). */
  async startRun(spec: RunSpec): Promise<StoredRun> {
    const db = await this.open();
    const existing = checkRun(await db.get('runs', spec.key));
    if (existing) return existing;
    const run: StoredRun = { ...spec, updated: spec.created, finished: false };
    await db.put('runs', run);
    return run;
  }

  async getRun(key: string): Promise<StoredRun | null> {
    return checkRun(await (await this.open()).get('runs', key));
  }

  /** One image's result; written at once so nothing done is lost. */
  async putResult(key: string, result: ImageResult): Promise<void> {
    const db = await this.open();
    await db.put('results', { ...result, key });
  }

  async results(run: RunSpec): Promise<Map<string, ImageResult>> {
    const db = await this.open();
    const rows = await db.getAllFromIndex('results', 'byRun', run.key);
    const wanted = new Set(run.images.map((i) => i.path));
    const out = new Map<string, ImageResult>();
    for (const row of rows) {
      const r = checkResult(row, run.classes.length);
      if (r && wanted.has(r.path)) out.set(r.path, r);
    }
    return out;
  }

  async markRun(key: string, finished: boolean): Promise<void> {
    const db = await this.open();
    const tx = db.transaction('runs', 'readwrite');
    const run = checkRun(await tx.store.get(key));
    if (run) await tx.store.put({ ...run, finished, updated: new Date().toISOString() });
    await tx.done;
  }

  /** Every stored run, newest first, with how many images have a result. */
  async runs(): Promise<RunSummary[]> {
    const db = await this.open();
    const out: RunSummary[] = [];
    for (const raw of await db.getAll('runs')) {
      const run = checkRun(raw);
      if (!run) continue;
      const done = await db.countFromIndex('results', 'byRun', run.key);
      out.push({
        key: run.key,
        pack: run.pack,
        created: run.created,
        updated: run.updated,
        finished: run.finished,
        total: run.images.length,
        done,
      });
    }
    return out.sort((a, b) => (a.updated < b.updated ? 1 : -1));
  }

  async deleteRun(key: string): Promise<void> {
    const db = await this.open();
    const tx = db.transaction(['runs', 'results'], 'readwrite');
    await tx.objectStore('runs').delete(key);
    const idx = tx.objectStore('results').index('byRun');
    for (let c = await idx.openCursor(IDBKeyRange.only(key)); c; c = await c.continue()) await c.delete();
    await tx.done;
  }

  async saveOperatingPoint(op: OperatingPoint): Promise<void> {
    await (await this.open()).put('operating-points', parseOperatingPoint(op));
  }

  /** This site's operating point for the pack, or null (none saved, or the row does not parse). */
  async operatingPoint(packId: string): Promise<OperatingPoint | null> {
    const raw: unknown = await (await this.open()).get('operating-points', packId);
    if (raw === undefined) return null;
    try {
      return parseOperatingPoint(raw);
    } catch {
      return null;
    }
  }

  async deleteOperatingPoint(packId: string): Promise<void> {
    await (await this.open()).delete('operating-points', packId);
  }

  close(): void {
    void this.db?.then((d) => d.close());
    this.db = null;
  }
}
