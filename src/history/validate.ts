/**
 * Runtime validation of everything read back from IndexedDB or an import file. A value either
 * comes out as a well-formed `CaseRecord` / `CaseSummary`, or an `InvalidDataError` names the
 * first field that is wrong.
 */

import {
  CLASS_IDS,
  INPUT_VERDICTS,
  ROI_SOURCES,
  SCALE_SOURCES,
  type CaseProvenance,
  type ImageProvenance,
  type InputCheckNote,
  type NodeMeasurement,
} from '../domain';
import { InvalidDataError } from './errors';
import { descriptorsOf, examOf, legacyDescriptors, legacyExam, summaryExamFields } from './validate-clinical';
import {
  CASE_BACKENDS,
  CASE_MODALITIES,
  LIMITS,
  type CaseBackend,
  type CaseModality,
  type CaseModalityResult,
  type CaseRecord,
  type CaseSummary,
  type ModelMetricSummary,
  type ModelSummary,
  type RoiRect,
  type StoredCams,
  type StoredImage,
} from './types';

type Obj = Record<string, unknown>;

/** How binary fields are read: as typed arrays (IndexedDB) or base64 text (JSON files). */
export interface BinaryReader {
  bytes(v: unknown, path: string): Uint8Array;
  floats(v: unknown, path: string): Float32Array;
}

export const typedArrayReader: BinaryReader = {
  bytes(v, path) {
    if (v instanceof Uint8Array) return v;
    if (v instanceof Uint8ClampedArray) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    throw new InvalidDataError(path, 'must be bytes');
  },
  floats(v, path) {
    if (v instanceof Float32Array) return v;
    throw new InvalidDataError(path, 'must be a Float32Array');
  },
};

const fail = (path: string, reason: string): never => {
  throw new InvalidDataError(path, reason);
};

export function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'must be an object');
  return v as Obj;
}

export function str(v: unknown, path: string, max: number = LIMITS.text): string {
  if (typeof v !== 'string') return fail(path, 'must be text');
  if (v.length > max) fail(path, `is longer than ${max} characters`);
  return v;
}

export function num(v: unknown, path: string, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) return fail(path, 'must be a finite number');
  if (v < min || v > max) fail(path, `must be between ${min} and ${max}`);
  return v;
}

export function int(v: unknown, path: string, min: number, max: number): number {
  const n = num(v, path, min, max);
  if (!Number.isInteger(n)) fail(path, 'must be a whole number');
  return n;
}

export function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') return fail(path, 'must be true or false');
  return v;
}

export function arr(v: unknown, path: string, min: number, max: number): unknown[] {
  if (!Array.isArray(v)) return fail(path, 'must be a list');
  if (v.length < min || v.length > max) fail(path, `must have ${min === max ? min : `${min} to ${max}`} entries`);
  return v;
}

export function oneOf<T extends string>(v: unknown, allowed: readonly T[], path: string): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) fail(path, `must be one of ${allowed.join(', ')}`);
  return v as T;
}

export function nullable<T>(v: unknown, f: (v: unknown) => T): T | null {
  return v === null || v === undefined ? null : f(v);
}

const ID_RE = /^[A-Za-z0-9_-]{8,64}$/;

export function caseId(v: unknown, path: string): string {
  const s = str(v, path, 64);
  if (!ID_RE.test(s)) fail(path, 'is not a valid case id');
  return s;
}

export function isoDate(v: unknown, path: string): string {
  const s = str(v, path, 40);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(s) || Number.isNaN(Date.parse(s))) fail(path, 'must be an ISO date-time');
  return s;
}

/** A probability vector: finite, each in [0, 1], summing to 1. */
function probabilities(v: unknown, path: string, n: number): number[] {
  const a = arr(v, path, n, n).map((x, i) => num(x, `${path}[${i}]`, 0, 1));
  const sum = a.reduce((s, x) => s + x, 0);
  if (Math.abs(sum - 1) > 1e-3) fail(path, 'must sum to 1');
  return a;
}

function image(v: unknown, path: string, bin: BinaryReader): StoredImage {
  const o = obj(v, path);
  const width = int(o.width, `${path}.width`, 1, LIMITS.imageSide);
  const height = int(o.height, `${path}.height`, 1, LIMITS.imageSide);
  const data = bin.bytes(o.data, `${path}.data`);
  if (data.length !== width * height * 4) fail(`${path}.data`, `must hold width × height × 4 = ${width * height * 4} bytes`);
  return { width, height, data };
}

function cams(v: unknown, path: string, bin: BinaryReader, nClasses: number): StoredCams {
  const o = obj(v, path);
  const width = int(o.width, `${path}.width`, 1, LIMITS.camSide);
  const height = int(o.height, `${path}.height`, 1, LIMITS.camSide);
  const maps = arr(o.maps, `${path}.maps`, nClasses, nClasses).map((m, i) => {
    const p = `${path}.maps[${i}]`;
    const f = bin.floats(m, p);
    if (f.length !== width * height) fail(p, `must hold width × height = ${width * height} values`);
    for (const x of f) if (!Number.isFinite(x) || x < -1e-6 || x > 1 + 1e-6) fail(p, 'values must be in [0, 1]');
    return f;
  });
  const empty = arr(o.empty, `${path}.empty`, nClasses, nClasses).map((x, i) => bool(x, `${path}.empty[${i}]`));
  return { width, height, maps, empty };
}

function roi(v: unknown, path: string, sw: number, sh: number): RoiRect {
  const o = obj(v, path);
  const x = int(o.x, `${path}.x`, 0, sw - 1);
  const y = int(o.y, `${path}.y`, 0, sh - 1);
  const width = int(o.width, `${path}.width`, 1, sw - x);
  const height = int(o.height, `${path}.height`, 1, sh - y);
  return { x, y, width, height };
}

function measurements(v: unknown, path: string): NodeMeasurement {
  const o = obj(v, path);
  const mm = (x: unknown, p: string) => nullable(x, (y) => num(y, p, 0, 10_000));
  return {
    roiSource: oneOf(o.roiSource, ROI_SOURCES, `${path}.roiSource`),
    longAxisPx: num(o.longAxisPx, `${path}.longAxisPx`, 0, LIMITS.imageSide * 2),
    shortAxisPx: num(o.shortAxisPx, `${path}.shortAxisPx`, 0, LIMITS.imageSide * 2),
    ratio: num(o.ratio, `${path}.ratio`, 0, 1000),
    longAxisMm: mm(o.longAxisMm, `${path}.longAxisMm`),
    shortAxisMm: mm(o.shortAxisMm, `${path}.shortAxisMm`),
    scaleSource: nullable(o.scaleSource, (x) => oneOf(x, SCALE_SOURCES, `${path}.scaleSource`)),
  };
}

function modalityResult(v: unknown, path: string, bin: BinaryReader, nClasses: number): CaseModalityResult {
  const o = obj(v, path);
  const sourceWidth = int(o.sourceWidth, `${path}.sourceWidth`, 1, LIMITS.imageSide);
  const sourceHeight = int(o.sourceHeight, `${path}.sourceHeight`, 1, LIMITS.imageSide);
  const crop = image(o.crop, `${path}.crop`, bin);
  const r = roi(o.roi, `${path}.roi`, sourceWidth, sourceHeight);
  if (r.width !== crop.width || r.height !== crop.height) fail(`${path}.crop`, 'must have the size of the region');
  const screenshot = nullable(o.screenshot, (s) => image(s, `${path}.screenshot`, bin));
  if (screenshot && (screenshot.width !== sourceWidth || screenshot.height !== sourceHeight))
    fail(`${path}.screenshot`, 'must have the size of the source image');
  return {
    crop,
    roi: r,
    sourceWidth,
    sourceHeight,
    logits: arr(o.logits, `${path}.logits`, nClasses, nClasses).map((x, i) => num(x, `${path}.logits[${i}]`)),
    probabilities: probabilities(o.probabilities, `${path}.probabilities`, nClasses),
    cams: nullable(o.cams, (c) => cams(c, `${path}.cams`, bin, nClasses)),
    screenshot,
    ...(o.measurements !== undefined ? { measurements: measurements(o.measurements, `${path}.measurements`) } : {}),
  };
}

function metric(v: unknown, path: string): ModelMetricSummary {
  const o = obj(v, path);
  return {
    modality: str(o.modality, `${path}.modality`, 40),
    dataset: str(o.dataset, `${path}.dataset`, 500),
    split: str(o.split, `${path}.split`, 40),
    n: int(o.n, `${path}.n`, 0, 1e9),
    macroAuc: nullable(o.macroAuc, (x) => num(x, `${path}.macroAuc`, 0, 1)),
    accuracy: nullable(o.accuracy, (x) => num(x, `${path}.accuracy`, 0, 1)),
  };
}

export function modelSummary(v: unknown, path: string): ModelSummary {
  const o = obj(v, path);
  const classes = arr(o.classes, `${path}.classes`, 2, LIMITS.classes).map((c, i) => {
    const co = obj(c, `${path}.classes[${i}]`);
    return { id: str(co.id, `${path}.classes[${i}].id`, 64), label: str(co.label, `${path}.classes[${i}].label`, 200) };
  });
  return {
    id: str(o.id, `${path}.id`, 100),
    version: str(o.version, `${path}.version`, 40),
    title: str(o.title, `${path}.title`, 500),
    fixture: bool(o.fixture, `${path}.fixture`),
    classes,
    fusion: str(o.fusion, `${path}.fusion`, 40),
    intendedUse: str(o.intendedUse, `${path}.intendedUse`),
    disclaimer: str(o.disclaimer, `${path}.disclaimer`),
    license: str(o.license, `${path}.license`, 2000),
    training: str(o.training, `${path}.training`),
    metrics: arr(o.metrics, `${path}.metrics`, 0, LIMITS.metrics).map((m, i) => metric(m, `${path}.metrics[${i}]`)),
  };
}

function inputCheck(v: unknown, path: string): InputCheckNote {
  const o = obj(v, path);
  const note: InputCheckNote = {
    verdict: oneOf(o.verdict, INPUT_VERDICTS, `${path}.verdict`),
    overridden: bool(o.overridden, `${path}.overridden`),
    method: str(o.method, `${path}.method`, 64),
  };
  if (o.looksLike !== undefined) note.looksLike = oneOf(o.looksLike, CASE_MODALITIES, `${path}.looksLike`);
  return note;
}

function imageProvenance(v: unknown, path: string): ImageProvenance {
  const o = obj(v, path);
  const spacing = nullable(o.pixelSpacingMm, (s) => {
    const so = obj(s, `${path}.pixelSpacingMm`);
    // A pixel between a micrometre and a centimetre: anything else is not an ultrasound image's.
    return { x: num(so.x, `${path}.pixelSpacingMm.x`, 1e-3, 10), y: num(so.y, `${path}.pixelSpacingMm.y`, 1e-3, 10) };
  });
  const out: ImageProvenance = { source: str(o.source, `${path}.source`, 40), pixelSpacingMm: spacing };
  if (o.inputCheck !== undefined) out.inputCheck = inputCheck(o.inputCheck, `${path}.inputCheck`);
  return out;
}

/** A case's provenance; its images must be the case's analysed modalities. */
function provenance(v: unknown, path: string, analysed: readonly CaseModality[]): CaseProvenance {
  const o = obj(v, path);
  const simulated = nullable(o.simulated, (s) => {
    const so = obj(s, `${path}.simulated`);
    return {
      seed: int(so.seed, `${path}.simulated.seed`, 0, Number.MAX_SAFE_INTEGER),
      trueClass: oneOf(so.trueClass, CLASS_IDS, `${path}.simulated.trueClass`),
    };
  });
  const io = obj(o.images, `${path}.images`);
  const images: CaseProvenance['images'] = {};
  for (const key of Object.keys(io)) {
    const m = oneOf(key, CASE_MODALITIES, `${path}.images.${key}`);
    if (!analysed.includes(m)) fail(`${path}.images.${m}`, 'names a modality the case has no result for');
    images[m] = imageProvenance(io[key], `${path}.images.${m}`);
  }
  return { simulated, images };
}

export function validateCase(v: unknown, path = 'case', bin: BinaryReader = typedArrayReader): CaseRecord {
  const o = obj(v, path);
  const model = modelSummary(o.model, `${path}.model`);
  const n = model.classes.length;
  const ro = obj(o.results, `${path}.results`);
  const results: Partial<Record<CaseModality, CaseModalityResult>> = {};
  for (const key of Object.keys(ro)) {
    const m = oneOf(key, CASE_MODALITIES, `${path}.results.${key}`);
    results[m] = modalityResult(ro[key], `${path}.results.${m}`, bin, n);
  }
  if (Object.keys(results).length === 0) fail(`${path}.results`, 'must hold at least one modality');
  const id = caseId(o.id, `${path}.id`);
  const createdAt = isoDate(o.createdAt, `${path}.createdAt`);
  // A case saved before examinations existed has neither field: it becomes its own one-node
  // examination. A case that has one must have both, complete.
  const legacy = o.exam === undefined && o.descriptors === undefined;
  return {
    id,
    createdAt,
    label: str(o.label, `${path}.label`, LIMITS.label),
    note: str(o.note, `${path}.note`, LIMITS.note),
    appVersion: str(o.appVersion, `${path}.appVersion`, 40),
    backend: oneOf<CaseBackend>(o.backend, CASE_BACKENDS, `${path}.backend`),
    model,
    results,
    fused: nullable(o.fused, (f) => probabilities(f, `${path}.fused`, n)),
    // Optional: cases saved before provenance was kept have none, and read back as they were.
    ...(o.provenance === undefined
      ? {}
      : { provenance: provenance(o.provenance, `${path}.provenance`, Object.keys(results) as CaseModality[]) }),
    exam: legacy ? legacyExam(id, createdAt) : examOf(o.exam, `${path}.exam`),
    descriptors: legacy ? legacyDescriptors() : descriptorsOf(o.descriptors, `${path}.descriptors`),
  };
}

export function validateSummary(v: unknown, path = 'summary'): CaseSummary {
  const o = obj(v, path);
  const classLabels = arr(o.classLabels, `${path}.classLabels`, 2, LIMITS.classes).map((x, i) =>
    str(x, `${path}.classLabels[${i}]`, 200),
  );
  const id = caseId(o.id, `${path}.id`);
  const createdAt = isoDate(o.createdAt, `${path}.createdAt`);
  return {
    id,
    createdAt,
    label: str(o.label, `${path}.label`, LIMITS.label),
    note: str(o.note, `${path}.note`, LIMITS.note),
    modelId: str(o.modelId, `${path}.modelId`, 100),
    modelVersion: str(o.modelVersion, `${path}.modelVersion`, 40),
    backend: oneOf<CaseBackend>(o.backend, CASE_BACKENDS, `${path}.backend`),
    modalities: arr(o.modalities, `${path}.modalities`, 1, CASE_MODALITIES.length).map((x, i) =>
      oneOf(x, CASE_MODALITIES, `${path}.modalities[${i}]`),
    ),
    classLabels,
    fused: nullable(o.fused, (f) => probabilities(f, `${path}.fused`, classLabels.length)),
    ...(o.simulated === undefined ? {} : { simulated: bool(o.simulated, `${path}.simulated`) }),
    ...summaryExamFields(o, path, id, createdAt),
  };
}
