/**
 * Messages between the page and the adaptation worker (adapt-worker.ts). The head is re-fitted
 * there, never on the page's thread. Both sides validate what they receive.
 */

import { isModalityId, type ModalityId } from '../domain';

export interface AdaptRequest {
  type: 'adapt';
  id: number;
  /** The base pack (a bundled or stored pack's manifest URL); read, never written. */
  manifestUrl: string;
  modality: ModalityId;
  /** Pooled features per image (the runtime's `features` request), transferred. */
  features: Float32Array[];
  labels: number[];
  patients: string[];
  /** What the cases are, for the model card (a folder name; never images). */
  dataset: string;
  /** Bootstrap resamples for the CIs (1000 by default). */
  resamples?: number;
}

export interface MetricSummary {
  auc: number | null;
  low: number | null;
  high: number | null;
}

export type AdaptResponse =
  | {
      type: 'adapted';
      id: number;
      before: MetricSummary;
      after: MetricSummary;
      folds: number;
      temperature: number;
      /** Head re-fitting: cross-validation, temperature, final fit (features already computed). */
      fitMs: number;
      /** The new pack version (manifest.json first), ready to store; the base pack is untouched. */
      packId: string;
      files: { path: string; bytes: Uint8Array }[];
    }
  | { type: 'error'; id: number; message: string };

const isNumberList = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number');

/** Null when `v` is a well-formed request, else what is wrong. */
export function checkAdaptRequest(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return 'expected an object';
  const o = v as Record<string, unknown>;
  if (o.type !== 'adapt') return `type: expected "adapt", got ${String(o.type)}`;
  if (typeof o.id !== 'number') return 'id: expected a number';
  if (typeof o.manifestUrl !== 'string') return 'manifestUrl: expected text';
  if (!isModalityId(o.modality)) return 'modality: expected a modality id';
  if (!Array.isArray(o.features) || !o.features.every((f) => f instanceof Float32Array))
    return 'features: expected Float32Arrays';
  const n = o.features.length;
  if (!isNumberList(o.labels) || o.labels.length !== n || !o.labels.every((l) => Number.isInteger(l) && l >= 0))
    return `labels: expected ${n} class indices`;
  if (!Array.isArray(o.patients) || o.patients.length !== n || !o.patients.every((p) => typeof p === 'string'))
    return `patients: expected ${n} patient ids`;
  if (typeof o.dataset !== 'string') return 'dataset: expected text';
  if (o.resamples !== undefined && !(Number.isInteger(o.resamples) && (o.resamples as number) >= 10))
    return 'resamples: expected a whole number ≥ 10';
  return null;
}

function metric(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  const ok = (x: unknown) => x === null || (typeof x === 'number' && x >= 0 && x <= 1);
  return ok(m.auc) && ok(m.low) && ok(m.high);
}

export function isAdaptResponse(v: unknown): v is AdaptResponse {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  if (typeof o.id !== 'number') return false;
  if (o.type === 'error') return typeof o.message === 'string';
  return (
    o.type === 'adapted' &&
    metric(o.before) &&
    metric(o.after) &&
    Number.isInteger(o.folds) &&
    typeof o.temperature === 'number' &&
    o.temperature > 0 &&
    typeof o.fitMs === 'number' &&
    typeof o.packId === 'string' &&
    Array.isArray(o.files) &&
    o.files.every(
      (f: unknown) =>
        typeof f === 'object' &&
        f !== null &&
        typeof (f as { path?: unknown }).path === 'string' &&
        (f as { bytes?: unknown }).bytes instanceof Uint8Array,
    )
  );
}
