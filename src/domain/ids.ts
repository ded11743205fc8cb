/**
 * The identifiers the whole product shares. Every other list of modalities, classes or backends
 * is derived from these; nothing outside `src/domain/` spells them out.
 */

export const MODALITY_IDS = ['bmode', 'cdfi', 'elastography'] as const;
export type ModalityId = (typeof MODALITY_IDS)[number];

export const CLASS_IDS = ['metastatic', 'lymphoma', 'benign'] as const;
export type ClassId = (typeof CLASS_IDS)[number];

/** Compute backends in the order automatic choice tries them. */
export const BACKEND_IDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendId = (typeof BACKEND_IDS)[number];

export function isModalityId(v: unknown): v is ModalityId {
  return typeof v === 'string' && (MODALITY_IDS as readonly string[]).includes(v);
}

export function isBackendId(v: unknown): v is BackendId {
  return typeof v === 'string' && (BACKEND_IDS as readonly string[]).includes(v);
}
