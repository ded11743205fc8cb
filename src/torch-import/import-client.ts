/** The page's side of the import worker: typed calls, each answered once, responses validated. */

import type { LocalPackEntry } from '../model-pack';
import type { Inspected } from './convert';
import {
  isImportResponse,
  type CheckpointOptions,
  type ImportErrorCode,
  type ImportRequest,
  type ImportResponse,
} from './import-protocol';

export class ImportFailure extends Error {
  constructor(
    readonly code: ImportErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ImportFailure';
  }
}

export type ImportOutcome =
  { kind: 'imported'; entry: LocalPackEntry; ms: number; notes: string[] } | { kind: 'exists'; packId: string };

export interface ImportClient {
  inspect(file: Blob): Promise<Inspected>;
  /** `taken`: ids that exist elsewhere (the bundled packs); answered as a collision. */
  importCheckpoint(file: Blob, options: CheckpointOptions, taken?: string[]): Promise<ImportOutcome>;
  importPack(
    source: { zip: Blob } | { files: { path: string; file: Blob }[] },
    rename?: string,
    taken?: string[],
  ): Promise<ImportOutcome>;
  exportPack(manifestUrl: string): Promise<{ fileName: string; bytes: ArrayBuffer }>;
  dispose(): void;
}

type Pending = { resolve: (r: ImportResponse) => void; reject: (e: Error) => void };
type Body<T> = T extends unknown ? Omit<T, 'id'> : never;

export function createImportClient(
  worker: Worker = new Worker(new URL('./import-worker.ts', import.meta.url), { type: 'module', name: 'lymphscope-import' }),
): ImportClient {
  let nextId = 1;
  const pending = new Map<number, Pending>();
  worker.addEventListener('message', (e: MessageEvent<unknown>) => {
    if (!isImportResponse(e.data)) return;
    const p = pending.get(e.data.id);
    pending.delete(e.data.id);
    if (e.data.type === 'error') p?.reject(new ImportFailure(e.data.code, e.data.message));
    else p?.resolve(e.data);
  });
  worker.addEventListener('error', () => {
    for (const p of pending.values()) p.reject(new ImportFailure('quota', 'The import worker stopped (out of memory?).'));
    pending.clear();
  });
  const call = (req: Body<ImportRequest>): Promise<ImportResponse> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...req, id });
    });
  const outcome = (r: ImportResponse): ImportOutcome => {
    if (r.type === 'imported') return { kind: 'imported', entry: r.entry, ms: r.ms, notes: r.notes };
    if (r.type === 'exists') return { kind: 'exists', packId: r.packId };
    throw new ImportFailure('malformed', `unexpected answer "${r.type}"`);
  };
  return {
    async inspect(file) {
      const r = await call({ type: 'inspect', file });
      if (r.type !== 'inspected') throw new ImportFailure('malformed', `unexpected answer "${r.type}"`);
      return { architecture: r.architecture, defaultSize: r.defaultSize, numOutputs: r.numOutputs };
    },
    async importCheckpoint(file, options, taken = []) {
      return outcome(await call({ type: 'import-checkpoint', file, options, taken }));
    },
    async importPack(source, rename, taken = []) {
      return outcome(await call({ type: 'import-pack', ...source, ...(rename !== undefined ? { rename } : {}), taken }));
    },
    async exportPack(manifestUrl) {
      const r = await call({ type: 'export', manifestUrl });
      if (r.type !== 'exported') throw new ImportFailure('export-failed', `unexpected answer "${r.type}"`);
      return { fileName: r.fileName, bytes: r.bytes };
    },
    dispose() {
      worker.terminate();
    },
  };
}
