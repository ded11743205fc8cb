/**
 * The identifiers the whole product shares. Every other list of modalities, classes or backends
 * is derived from these; nothing outside `src/domain/` spells them out.
 */

import { MODALITY_DESCRIPTORS } from './modalities';

/**
 * The modality ids the code is typed against. The list at run time is the registry
 * (`modalities.json`); tests/unit/domain checks that this type names exactly its ids, and a new
 * modality adds its id here and its strings in src/i18n (whose tables are keyed by this type).
 */
export type ModalityId = 'bmode' | 'cdfi' | 'elastography';

/** Every modality id, in registry order. */
export const MODALITY_IDS: readonly ModalityId[] = MODALITY_DESCRIPTORS.map((d) => d.id);

export const CLASS_IDS = ['metastatic', 'lymphoma', 'benign'] as const;
export type ClassId = (typeof CLASS_IDS)[number];

/** Compute backends in the order automatic choice tries them. */
export const BACKEND_IDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendId = (typeof BACKEND_IDS)[number];

export function isModalityId(v: unknown): v is ModalityId {
  return typeof v === 'string' && (MODALITY_IDS as readonly string[]).includes(v);
}

export function isClassId(v: unknown): v is ClassId {
  return typeof v === 'string' && (CLASS_IDS as readonly string[]).includes(v);
}

export function isBackendId(v: unknown): v is BackendId {
  return typeof v === 'string' && (BACKEND_IDS as readonly string[]).includes(v);
}
