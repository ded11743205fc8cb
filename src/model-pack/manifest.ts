/**
 * Model pack manifest (format v1): types and runtime validation.
 * A manifest comes from the network or a user's folder, so nothing in it is trusted until
 * `parseManifest` has checked it; every problem is reported with the path of the bad field.
 */

import { MODALITY_IDS, type ModalityId } from '../domain';
import { parseInt8Compute, type Int8ComputeSpec } from './int8-spec';
import { parseNodeFinderFields, type NodeFinderFields } from './node-finder-spec';
import { readPhantomGeneratorVersion } from './phantom-generator';

export type { CropConvention, NodeFinderFields, NodeFinderSpec } from './node-finder-spec';
export type { Int8ComputeSpec } from './int8-spec';

/** The modalities a pack may hold: every one the registry (src/domain) knows. */
export const MODALITIES = MODALITY_IDS;
export type Modality = ModalityId;

export interface ClassInfo {
  id: string;
  label: string;
}

export interface InputSpec {
  height: number;
  width: number;
  channelOrder: 'RGB' | 'BGR';
  resize: 'bilinear-antialias';
  scale: number;
  mean: [number, number, number];
  std: [number, number, number];
}

export interface ModalitySpec {
  model: string;
  architecture?: string;
  input: InputSpec;
  gradcamLayer: string;
  temperature: number;
  weightsDtype?: 'float32' | 'float16' | 'uint8';
  golden?: string;
  /** The modality model's input checks (input-check-file.ts); absent in older packs: "check unavailable". */
  inputCheck?: string;
  /** Int8 convolutions (Relaxed SIMD only): allowed or not, and the calibrated input scales (int8-spec.ts). */
  int8Compute?: Int8ComputeSpec;
}

export type FusionSpec = { method: 'mean' } | { method: 'weighted-mean'; weights: Partial<Record<Modality, number>> };

export interface PackFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface ClassMetrics {
  auc?: number;
  sensitivity?: number;
  specificity?: number;
}

export interface MetricsEntry {
  modality: Modality | 'fused';
  dataset: string;
  split: string;
  n: number;
  macroAuc?: number;
  macroAucCi95?: [number, number];
  accuracy?: number;
  perClass?: Record<string, ClassMetrics>;
  ece?: { before?: number; after?: number };
  [extra: string]: unknown;
}

/** `nodeFinder` and `crop` (optional) come from NodeFinderFields (node-finder-spec.ts). */
export interface Manifest extends NodeFinderFields {
  format: 'lymphscope-model-pack';
  formatVersion: 1;
  id: string;
  version: string;
  title: string;
  fixture: boolean;
  classes: ClassInfo[];
  modalities: Partial<Record<Modality, ModalitySpec>>;
  fusion: FusionSpec;
  files: PackFile[];
  metrics: MetricsEntry[];
  training: Record<string, unknown>;
  intendedUse: string;
  disclaimer: string;
  license: string;
}

/**
 * Upper bounds on the manifest's descriptive fields. A case saved to the history keeps the pack's
 * id, version, title, classes, intended use, disclaimer, license and metric labels, and the history
 * refuses a case whose fields exceed its own limits (src/history/validate.ts). These bounds are at
 * most those limits, so every pack that passes validation produces cases that can be saved.
 * Lengths are JavaScript string lengths (UTF-16 code units), as the history counts them.
 */
export const MANIFEST_LIMITS = {
  id: 100,
  version: 40,
  title: 500,
  classes: 16,
  classId: 64,
  classLabel: 200,
  intendedUse: 20_000,
  disclaimer: 20_000,
  license: 2000,
  metricDataset: 500,
  metricSplit: 40,
  metricN: 1e9,
} as const;

export class ManifestError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`Model pack manifest: field "${field}" ${problem}`);
    this.name = 'ManifestError';
  }
}

type Json = unknown;

function isRecord(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function record(v: Json, field: string): Record<string, Json> {
  if (!isRecord(v)) throw new ManifestError(field, 'must be an object');
  return v;
}

function str(v: Json, field: string, pattern?: RegExp, max = Infinity): string {
  if (typeof v !== 'string' || v.length === 0) throw new ManifestError(field, 'must be a non-empty string');
  if (v.length > max) throw new ManifestError(field, `must be at most ${max} characters long`);
  if (pattern && !pattern.test(v)) throw new ManifestError(field, `must match ${String(pattern)}`);
  return v;
}

function num(v: Json, field: string, check: (n: number) => boolean = () => true, what = ''): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) {
    throw new ManifestError(field, `must be a finite number${what}`);
  }
  return v;
}

function triple(v: Json, field: string, check: (n: number) => boolean, what: string): [number, number, number] {
  if (!Array.isArray(v) || v.length !== 3) throw new ManifestError(field, 'must be an array of 3 numbers');
  return [num(v[0], `${field}[0]`, check, what), num(v[1], `${field}[1]`, check, what), num(v[2], `${field}[2]`, check, what)];
}

function oneOf<T extends string>(v: Json, field: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new ManifestError(field, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
  }
  return v as T;
}

/** A relative path inside the pack: no scheme, no absolute path, no `..` escape. */
const RELATIVE_PATH = /^(?!\/)(?![a-zA-Z][a-zA-Z0-9+.-]*:)(?!.*(^|\/)\.\.(\/|$))[\w./-]+$/;
const SHA256 = /^[0-9a-f]{64}$/;
const PACK_ID = /^[a-z0-9][a-z0-9-]*$/;
const positive = (n: number) => n > 0;
const positiveInt = (n: number) => Number.isInteger(n) && n > 0;

function parseInput(v: Json, field: string): InputSpec {
  const o = record(v, field);
  return {
    height: num(o.height, `${field}.height`, positiveInt, ' (a positive integer)'),
    width: num(o.width, `${field}.width`, positiveInt, ' (a positive integer)'),
    channelOrder: oneOf(o.channelOrder, `${field}.channelOrder`, ['RGB', 'BGR'] as const),
    resize: oneOf(o.resize, `${field}.resize`, ['bilinear-antialias'] as const),
    scale: num(o.scale, `${field}.scale`, positive, ' > 0'),
    mean: triple(o.mean, `${field}.mean`, () => true, ''),
    std: triple(o.std, `${field}.std`, positive, ' > 0'),
  };
}

function parseModality(v: Json, field: string): ModalitySpec {
  const o = record(v, field);
  const spec: ModalitySpec = {
    model: str(o.model, `${field}.model`, RELATIVE_PATH),
    input: parseInput(o.input, `${field}.input`),
    gradcamLayer: str(o.gradcamLayer, `${field}.gradcamLayer`),
    temperature: o.temperature === undefined ? 1 : num(o.temperature, `${field}.temperature`, positive, ' > 0'),
  };
  if (o.architecture !== undefined) spec.architecture = str(o.architecture, `${field}.architecture`);
  if (o.weightsDtype !== undefined) {
    spec.weightsDtype = oneOf(o.weightsDtype, `${field}.weightsDtype`, ['float32', 'float16', 'uint8'] as const);
  }
  if (o.golden !== undefined) spec.golden = str(o.golden, `${field}.golden`, RELATIVE_PATH);
  if (o.inputCheck !== undefined) spec.inputCheck = str(o.inputCheck, `${field}.inputCheck`, RELATIVE_PATH);
  if (o.int8Compute !== undefined)
    spec.int8Compute = parseInt8Compute(o.int8Compute, `${field}.int8Compute`, (f, p) => new ManifestError(f, p));
  return spec;
}

function parseFusion(v: Json, modalities: Modality[]): FusionSpec {
  if (v === undefined) return { method: 'mean' };
  const o = record(v, 'fusion');
  const method = oneOf(o.method, 'fusion.method', ['mean', 'weighted-mean'] as const);
  if (method === 'mean') return { method };
  const w = record(o.weights, 'fusion.weights');
  const weights: Partial<Record<Modality, number>> = {};
  for (const [key, value] of Object.entries(w)) {
    const m = oneOf(key, `fusion.weights.${key}`, MODALITIES);
    if (!modalities.includes(m)) throw new ManifestError(`fusion.weights.${key}`, 'names a modality the pack does not have');
    weights[m] = num(value, `fusion.weights.${key}`, (n) => n >= 0, ' >= 0');
  }
  if (!Object.values(weights).some((x) => x > 0)) throw new ManifestError('fusion.weights', 'must have a positive weight');
  return { method, weights };
}

function parseFiles(v: Json): PackFile[] {
  if (!Array.isArray(v) || v.length === 0) throw new ManifestError('files', 'must be a non-empty array');
  const seen = new Set<string>();
  return v.map((f, i) => {
    const o = record(f, `files[${i}]`);
    const path = str(o.path, `files[${i}].path`, RELATIVE_PATH);
    if (seen.has(path)) throw new ManifestError(`files[${i}].path`, `repeats "${path}"`);
    seen.add(path);
    return {
      path,
      bytes: num(o.bytes, `files[${i}].bytes`, (n) => Number.isInteger(n) && n >= 0, ' (a whole number of bytes)'),
      sha256: str(o.sha256, `files[${i}].sha256`, SHA256),
    };
  });
}

function parseClasses(v: Json): ClassInfo[] {
  if (!Array.isArray(v) || v.length < 2) throw new ManifestError('classes', 'must be an array of at least 2 classes');
  if (v.length > MANIFEST_LIMITS.classes) {
    throw new ManifestError('classes', `must have at most ${MANIFEST_LIMITS.classes} classes`);
  }
  const ids = new Set<string>();
  return v.map((c, i) => {
    const o = record(c, `classes[${i}]`);
    const id = str(o.id, `classes[${i}].id`, /^[a-z][a-z0-9-]*$/, MANIFEST_LIMITS.classId);
    if (ids.has(id)) throw new ManifestError(`classes[${i}].id`, `repeats "${id}"`);
    ids.add(id);
    return { id, label: str(o.label, `classes[${i}].label`, undefined, MANIFEST_LIMITS.classLabel) };
  });
}

function parseMetrics(v: Json): MetricsEntry[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new ManifestError('metrics', 'must be an array');
  return v.map((m, i) => {
    const o = record(m, `metrics[${i}]`);
    const f = `metrics[${i}]`;
    const modality = oneOf(o.modality, `${f}.modality`, [...MODALITIES, 'fused'] as const);
    const unit = (n: number) => n >= 0 && n <= 1;
    const entry: MetricsEntry = {
      ...o,
      modality,
      dataset: str(o.dataset, `${f}.dataset`, undefined, MANIFEST_LIMITS.metricDataset),
      split: str(o.split, `${f}.split`, undefined, MANIFEST_LIMITS.metricSplit),
      n: num(o.n, `${f}.n`, positiveInt, ' (a positive integer)'),
    };
    if (entry.n > MANIFEST_LIMITS.metricN) throw new ManifestError(`${f}.n`, `must be at most ${MANIFEST_LIMITS.metricN}`);
    if (o.macroAuc !== undefined) entry.macroAuc = num(o.macroAuc, `${f}.macroAuc`, unit, ' in [0, 1]');
    if (o.accuracy !== undefined) entry.accuracy = num(o.accuracy, `${f}.accuracy`, unit, ' in [0, 1]');
    return entry;
  });
}

/** Validates untrusted JSON as a v1 manifest. Throws `ManifestError` naming the first bad field. */
export function parseManifest(json: Json): Manifest {
  const o = record(json, '(root)');
  if (o.format !== 'lymphscope-model-pack') throw new ManifestError('format', 'must be "lymphscope-model-pack"');
  if (o.formatVersion !== 1) throw new ManifestError('formatVersion', 'must be 1 (this app reads format v1)');
  const classes = parseClasses(o.classes);
  const mods = record(o.modalities, 'modalities');
  const modalities: Partial<Record<Modality, ModalitySpec>> = {};
  for (const [key, value] of Object.entries(mods)) {
    const m = oneOf(key, `modalities.${key}`, MODALITIES);
    modalities[m] = parseModality(value, `modalities.${m}`);
  }
  const present = Object.keys(modalities) as Modality[];
  if (present.length === 0) throw new ManifestError('modalities', 'must hold at least one modality');
  const files = parseFiles(o.files);
  const listed = new Set(files.map((f) => f.path));
  for (const m of present) {
    const spec = modalities[m]!;
    if (!listed.has(spec.model)) throw new ManifestError(`modalities.${m}.model`, `"${spec.model}" is not listed in files`);
    if (spec.golden && !listed.has(spec.golden)) {
      throw new ManifestError(`modalities.${m}.golden`, `"${spec.golden}" is not listed in files`);
    }
    if (spec.inputCheck && !listed.has(spec.inputCheck)) {
      throw new ManifestError(`modalities.${m}.inputCheck`, `"${spec.inputCheck}" is not listed in files`);
    }
  }
  // --- node finder + crop convention (optional fields; node-finder-spec.ts) ---
  const finderFields = parseNodeFinderFields(o, listed, (f, problem) => new ManifestError(f, problem));
  // --- end node finder ---
  if (o.fixture !== undefined && typeof o.fixture !== 'boolean') throw new ManifestError('fixture', 'must be true or false');
  if (o.training !== undefined && !isRecord(o.training)) throw new ManifestError('training', 'must be an object');
  const generator = readPhantomGeneratorVersion(o.training);
  if ('problem' in generator) throw new ManifestError(generator.field, generator.problem);
  return {
    format: 'lymphscope-model-pack',
    formatVersion: 1,
    id: str(o.id, 'id', PACK_ID, MANIFEST_LIMITS.id),
    version: str(o.version, 'version', /^\d+\.\d+\.\d+([-+][\w.-]+)?$/, MANIFEST_LIMITS.version),
    title: str(o.title, 'title', undefined, MANIFEST_LIMITS.title),
    fixture: o.fixture === true,
    classes,
    modalities,
    fusion: parseFusion(o.fusion, present),
    files,
    metrics: parseMetrics(o.metrics),
    training: isRecord(o.training) ? o.training : {},
    intendedUse: str(o.intendedUse, 'intendedUse', undefined, MANIFEST_LIMITS.intendedUse),
    disclaimer: str(o.disclaimer, 'disclaimer', undefined, MANIFEST_LIMITS.disclaimer),
    license: str(o.license, 'license', undefined, MANIFEST_LIMITS.license),
    ...finderFields,
  };
}

export function packModalities(manifest: Manifest): Modality[] {
  return MODALITIES.filter((m) => manifest.modalities[m] !== undefined);
}
