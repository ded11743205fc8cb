/**
 * Validators for both directions of the protocol (protocol.ts). The worker checks every request
 * (`isWorkerRequest`), the client every response (`checkWorkerResponse`), field by field: a
 * malformed message names the field that is wrong, so the error says where to look. No tfjs here.
 */

import { INPUT_VERDICTS, isBackendId, isModalityId, QUALITY_ISSUES } from '../domain';
import { GATE_CLASSES } from '../model-pack';
import { parseManifest } from '../model-pack';
import { ERROR_CODES, MAX_CLASSIFY_BATCH, PROGRESS_STAGES, type WorkerRequest, type WorkerResponse } from './protocol';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function isPixels(p: unknown): boolean {
  return (
    isRecord(p) &&
    Number.isInteger(p.width) &&
    Number.isInteger(p.height) &&
    (p.width as number) > 0 &&
    (p.height as number) > 0 &&
    p.data instanceof Uint8ClampedArray &&
    p.data.length === (p.width as number) * (p.height as number) * 4
  );
}

export function isWorkerRequest(v: unknown): v is WorkerRequest {
  if (!isRecord(v) || typeof v.id !== 'number') return false;
  switch (v.type) {
    case 'init':
      return typeof v.manifestUrl === 'string' && (v.backend === 'auto' || isBackendId(v.backend));
    case 'analyze':
    case 'check':
    case 'features':
      return typeof v.modality === 'string' && isPixels(v.pixels);
    case 'classify-batch':
      return (
        typeof v.modality === 'string' &&
        Array.isArray(v.images) &&
        v.images.length > 0 &&
        v.images.length <= MAX_CLASSIFY_BATCH &&
        v.images.every(isPixels)
      );
    case 'find-node':
      return (
        typeof v.modality === 'string' &&
        isPixels(v.pixels) &&
        (v.point === undefined || (isRecord(v.point) && Number.isFinite(v.point.x) && Number.isFinite(v.point.y)))
      );
    case 'stats':
    case 'dispose':
      return true;
    default:
      return false;
  }
}

/** A field's problem: thrown inside the checks below, caught by `checkWorkerResponse`. */
class Malformed extends Error {}

type Fields = Record<string, unknown>;

const fail = (field: string, problem: string): never => {
  throw new Malformed(`${field}: ${problem}`);
};
const describe = (v: unknown) =>
  v === undefined ? 'missing' : `got ${ArrayBuffer.isView(v) ? v.constructor.name : JSON.stringify(v)?.slice(0, 40)}`;

function num(o: Fields, key: string, min = -Infinity, integer = false): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
    fail(key, `expected ${integer ? 'a whole number' : 'a finite number'}${min > -Infinity ? ` ≥ ${min}` : ''}, ${describe(v)}`);
  }
  return v as number;
}
function optionalNum(o: Fields, key: string, min: number, integer = false): void {
  if (o[key] !== undefined) num(o, key, min, integer);
}
function str(o: Fields, key: string): string {
  if (typeof o[key] !== 'string') fail(key, `expected text, ${describe(o[key])}`);
  return o[key] as string;
}
function oneOf(o: Fields, key: string, allowed: readonly string[]): void {
  if (!allowed.includes(o[key] as string)) fail(key, `expected one of ${allowed.join(', ')}, ${describe(o[key])}`);
}
function backend(o: Fields, key = 'backend'): void {
  if (!isBackendId(o[key])) fail(key, `expected a backend id, ${describe(o[key])}`);
}
function numbers(o: Fields, key: string, length: number, min = -Infinity, max = Infinity): void {
  const v = o[key];
  if (!Array.isArray(v) || v.length !== length) fail(key, `expected ${length} numbers, ${describe(v)}`);
  (v as unknown[]).forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x) || x < min || x > max) {
      fail(`${key}[${i}]`, `expected a finite number in [${min}, ${max}], ${describe(x)}`);
    }
  });
}

function checkReady(o: Fields): void {
  backend(o);
  if (!Array.isArray(o.skipped)) fail('skipped', `expected a list, ${describe(o.skipped)}`);
  (o.skipped as unknown[]).forEach((s, i) => {
    if (!isRecord(s) || !isBackendId(s.backend) || typeof s.reason !== 'string') {
      fail(`skipped[${i}]`, 'expected { backend, reason }');
    }
  });
  try {
    parseManifest(o.manifest);
  } catch (e) {
    fail('manifest', e instanceof Error ? e.message : String(e));
  }
  num(o, 'loadMs', 0);
  num(o, 'warmupMs', 0);
  optionalNum(o, 'downloadMs', 0);
  optionalNum(o, 'buildMs', 0);
  optionalNum(o, 'wasmThreads', 1, true);
  if (o.decision !== undefined) {
    const d = o.decision;
    if (!isRecord(d)) return fail('decision', `expected an object, ${describe(d)}`);
    oneOf(d, 'basis', ['remembered', 'probed', 'measured', 'order']);
    if (!Array.isArray(d.notes) || !d.notes.every((n) => typeof n === 'string'))
      fail('decision.notes', 'expected a list of strings');
  }
  if (o.wasmKernels !== undefined) {
    const k = o.wasmKernels;
    if (!isRecord(k)) return fail('wasmKernels', `expected an object, ${describe(k)}`);
    oneOf(k, 'convolutions', ['lymphscope', 'xnnpack']);
    num(k, 'threads', 1, true);
    if (k.simd !== undefined) oneOf(k, 'simd', ['relaxed', 'simd128']);
    if (k.int8 !== undefined && (!Array.isArray(k.int8) || !k.int8.every(isModalityId)))
      fail('wasmKernels.int8', `expected a list of modality ids, ${describe(k.int8)}`);
    if (k.note !== undefined) str(k, 'note');
  }
  if (o.webgpuKernels !== undefined) {
    const k = o.webgpuKernels;
    if (!isRecord(k)) return fail('webgpuKernels', `expected an object, ${describe(k)}`);
    oneOf(k, 'convolutions', ['lymphscope', 'tfjs']);
    if (k.precision !== undefined) oneOf(k, 'precision', ['f32', 'f16']);
    optionalNum(k, 'pipelines', 0, true);
    if (k.note !== undefined) str(k, 'note');
  }
}

function checkResult(o: Fields): void {
  if (!isModalityId(o.modality)) fail('modality', `expected a modality id, ${describe(o.modality)}`);
  backend(o);
  if (!Array.isArray(o.logits) || o.logits.length === 0) fail('logits', `expected a list of numbers, ${describe(o.logits)}`);
  const classes = (o.logits as unknown[]).length;
  numbers(o, 'logits', classes);
  numbers(o, 'probabilities', classes, 0, 1);
  const width = num(o, 'camWidth', 1, true);
  const height = num(o, 'camHeight', 1, true);
  if (!Array.isArray(o.cams) || o.cams.length !== classes) fail('cams', `expected ${classes} maps, ${describe(o.cams)}`);
  (o.cams as unknown[]).forEach((m, c) => {
    if (!(m instanceof Float32Array) || m.length !== width * height) {
      fail(`cams[${c}]`, `expected a Float32Array of ${width}×${height} values, ${describe(m)}`);
    }
  });
  if (!Array.isArray(o.camEmpty) || o.camEmpty.length !== classes || !o.camEmpty.every((b) => typeof b === 'boolean')) {
    fail('camEmpty', `expected ${classes} true/false values, ${describe(o.camEmpty)}`);
  }
  const t = o.timings;
  if (!isRecord(t)) return fail('timings', `expected an object, ${describe(t)}`);
  for (const key of ['preprocessMs', 'inferenceMs', 'gradcamMs']) num(t, key, 0);
}

function checkInputCheck(o: Fields): void {
  if (!isModalityId(o.modality)) fail('modality', `expected a modality id, ${describe(o.modality)}`);
  oneOf(o, 'verdict', INPUT_VERDICTS);
  if (typeof o.learned !== 'boolean') fail('learned', `expected true or false, ${describe(o.learned)}`);
  if (o.verdict === 'wrong-modality' ? !isModalityId(o.looksLike) : o.looksLike !== undefined) {
    fail('looksLike', `expected a modality id exactly for a wrong-modality verdict, ${describe(o.looksLike)}`);
  }
  if (o.verdict === 'low-quality' || o.quality !== undefined) oneOf(o, 'quality', QUALITY_ISSUES);
  if (o.scores === undefined) return;
  const s = o.scores;
  if (!isRecord(s) || !isRecord(s.gate)) return fail('scores', `expected { gate, distance, threshold }, ${describe(s)}`);
  for (const c of GATE_CLASSES) num(s.gate, c, 0);
  num(s, 'distance', 0);
  num(s, 'threshold', 0);
  if (s.textureDistance !== undefined || s.textureThreshold !== undefined) {
    num(s, 'textureDistance', 0);
    num(s, 'textureThreshold', 0);
  }
}

function checkFeatures(o: Fields): void {
  if (!isModalityId(o.modality)) fail('modality', `expected a modality id, ${describe(o.modality)}`);
  const f = o.features;
  if (!(f instanceof Float32Array) || f.length === 0)
    return fail('features', `expected a non-empty Float32Array, ${describe(f)}`);
  const bad = f.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) fail(`features[${bad}]`, `expected a finite number, got ${f[bad]}`);
  if (!Array.isArray(o.logits) || o.logits.length === 0) fail('logits', `expected a list of numbers, ${describe(o.logits)}`);
  numbers(o, 'logits', (o.logits as unknown[]).length);
}

function checkClassifyBatch(o: Fields): void {
  if (!isModalityId(o.modality)) fail('modality', `expected a modality id, ${describe(o.modality)}`);
  backend(o);
  num(o, 'inferenceMs', 0);
  const items = o.items;
  if (!Array.isArray(items) || items.length === 0 || items.length > MAX_CLASSIFY_BATCH)
    return fail('items', `expected 1 to ${MAX_CLASSIFY_BATCH} items, ${describe(items)}`);
  let classes: number | undefined;
  items.forEach((it: unknown, i) => {
    if (!isRecord(it)) return fail(`items[${i}]`, `expected an object, ${describe(it)}`);
    if (it.ok === false) {
      if (!(ERROR_CODES as readonly unknown[]).includes(it.code))
        fail(`items[${i}].code`, `expected an error code, ${describe(it.code)}`);
      if (typeof it.message !== 'string') fail(`items[${i}].message`, `expected text, ${describe(it.message)}`);
      return;
    }
    if (it.ok !== true) return fail(`items[${i}].ok`, `expected true or false, ${describe(it.ok)}`);
    const n = Array.isArray(it.logits) ? it.logits.length : 0;
    if (n === 0 || (classes !== undefined && n !== classes))
      fail(`items[${i}].logits`, `expected ${classes ?? 'a list of'} numbers, ${describe(it.logits)}`);
    classes = n;
    numbers(it, 'logits', n);
    numbers(it, 'probabilities', n, 0, 1);
  });
}

function checkStats(o: Fields): void {
  num(o, 'numTensors', 0, true);
  num(o, 'numBytes', 0, true);
  backend(o);
  optionalNum(o, 'wasmHeapBytes', 0, true);
}

function checkProgress(o: Fields): void {
  oneOf(o, 'stage', PROGRESS_STAGES);
  // A download's progress is a byte count of a known total; the other stages carry none.
  if (o.stage === 'download') {
    num(o, 'loaded', 0, true);
    num(o, 'total', 0, true);
    if ((o.loaded as number) > (o.total as number))
      fail('loaded', `expected at most total (${String(o.total)}), got ${String(o.loaded)}`);
  } else {
    optionalNum(o, 'loaded', 0, true);
    optionalNum(o, 'total', 0, true);
  }
  if (o.shaders !== undefined) {
    if (o.stage !== 'warmup') fail('shaders', `expected only in the warmup stage, got it in ${String(o.stage)}`);
    const s = o.shaders;
    if (!isRecord(s)) return fail('shaders', `expected an object, ${describe(s)}`);
    num(s, 'done', 0, true);
    num(s, 'total', 0, true);
    if ((s.done as number) > (s.total as number))
      fail('shaders.done', `expected at most total (${String(s.total)}), got ${String(s.done)}`);
  }
}

// --- node finder ---
function checkNode(o: Fields): void {
  num(o, 'ms', 0);
  const f = o.finding;
  if (f === null) return;
  if (!isRecord(f)) return fail('finding', `expected an object or null, ${describe(f)}`);
  const box = f.box;
  if (!isRecord(box)) return fail('finding.box', `expected an object, ${describe(box)}`);
  for (const [key, min] of [
    ['x', 0],
    ['y', 0],
    ['width', 1],
    ['height', 1],
  ] as const) {
    const v = box[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
      fail(`finding.box.${key}`, `expected a whole number ≥ ${min}, ${describe(v)}`);
  }
  const score = f.score;
  if (typeof score !== 'number' || !(score >= 0 && score <= 1))
    fail('finding.score', `expected a number in [0, 1], ${describe(score)}`);
  if (!Array.isArray(f.outline) || f.outline.length < 3)
    return fail('finding.outline', `expected at least 3 points, ${describe(f.outline)}`);
  (f.outline as unknown[]).forEach((pt, i) => {
    if (!Array.isArray(pt) || pt.length !== 2 || !pt.every((c) => typeof c === 'number' && Number.isFinite(c) && c >= 0)) {
      fail(`finding.outline[${i}]`, `expected [x, y] (finite, ≥ 0), ${describe(pt)}`);
    }
  });
}

const CHECKS: Record<WorkerResponse['type'], (o: Fields) => void> = {
  node: checkNode,
  ready: checkReady,
  result: checkResult,
  check: checkInputCheck,
  features: checkFeatures,
  'classify-batch': checkClassifyBatch,
  stats: checkStats,
  error: (o) => {
    oneOf(o, 'code', ERROR_CODES);
    str(o, 'message');
  },
  'backend-changed': (o) => {
    if (o.id !== -1) fail('id', `expected -1, ${describe(o.id)}`);
    backend(o);
    str(o, 'reason');
  },
  progress: checkProgress,
};

/** Null when `v` is a well-formed response, else what is wrong with it (naming the field). */
export function checkWorkerResponse(v: unknown): string | null {
  if (!isRecord(v)) return `expected an object, ${describe(v)}`;
  if (typeof v.id !== 'number' || !Number.isInteger(v.id)) return `id: expected a whole number, ${describe(v.id)}`;
  const check = Object.hasOwn(CHECKS, v.type as string) ? CHECKS[v.type as WorkerResponse['type']] : undefined;
  if (!check) return `type: unknown response type ${describe(v.type)}`;
  try {
    check(v);
    return null;
  } catch (e) {
    if (e instanceof Malformed) return e.message;
    throw e;
  }
}

export function isWorkerResponse(v: unknown): v is WorkerResponse {
  return checkWorkerResponse(v) === null;
}
