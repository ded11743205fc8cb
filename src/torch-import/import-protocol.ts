/**
 * Messages between the page and the import worker. The worker validates requests; the client
 * validates responses (both are data crossing a boundary).
 */

import type { ModalityId } from '../domain';
import type { ClassInfo, LocalPackEntry } from '../model-pack';

export interface CheckpointOptions {
  modality: ModalityId;
  classes: ClassInfo[];
  size: number;
  mean: [number, number, number];
  std: [number, number, number];
  packId: string;
  title: string;
  sourceName: string;
}

export type ImportRequest =
  | { type: 'inspect'; id: number; file: Blob }
  /** `taken`: ids of the bundled packs, which a stored pack may not shadow (a collision, asked like any other). */
  | { type: 'import-checkpoint'; id: number; file: Blob; options: CheckpointOptions; taken?: string[] }
  /** A pack zip, or a folder's files by relative path; `rename` answers an id collision. */
  | { type: 'import-pack'; id: number; zip?: Blob; files?: { path: string; file: Blob }[]; rename?: string; taken?: string[] }
  | { type: 'export'; id: number; manifestUrl: string };

/** Error codes the UI translates (i18n `packImport.errors`). */
export const IMPORT_ERROR_CODES = [
  'not-checkpoint',
  'refused',
  'malformed',
  'missing-keys',
  'unexpected-keys',
  'head-size',
  'architecture',
  'bad-options',
  'unsafe-path',
  'extra-files',
  'manifest',
  'integrity',
  'quota',
  'storage',
  'export-failed',
] as const;
export type ImportErrorCode = (typeof IMPORT_ERROR_CODES)[number];

export type ImportResponse =
  | { type: 'inspected'; id: number; architecture: string; defaultSize: number; numOutputs: number | null }
  | { type: 'imported'; id: number; entry: LocalPackEntry; ms: number; notes: string[] }
  /** The pack id is taken: ask the user (never overwritten). */
  | { type: 'exists'; id: number; packId: string }
  | { type: 'exported'; id: number; fileName: string; bytes: ArrayBuffer }
  | { type: 'error'; id: number; code: ImportErrorCode; message: string };

export function isImportResponse(v: unknown): v is ImportResponse {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  if (typeof o.id !== 'number') return false;
  switch (o.type) {
    case 'inspected':
      return typeof o.architecture === 'string' && typeof o.defaultSize === 'number';
    case 'imported':
      return typeof o.entry === 'object' && o.entry !== null && typeof o.ms === 'number' && Array.isArray(o.notes);
    case 'exists':
      return typeof o.packId === 'string';
    case 'exported':
      return typeof o.fileName === 'string' && o.bytes instanceof ArrayBuffer;
    case 'error':
      return typeof o.message === 'string' && (IMPORT_ERROR_CODES as readonly string[]).includes(o.code as string);
    default:
      return false;
  }
}
