/**
 * A modality's optional `int8Compute` field: whether the app may run that model's convolutions in
 * int8 (Relaxed SIMD only) and the calibrated input scale of each convolution that runs so.
 * Written by `python3 -m training int8-calibrate` (training/int8_run.py), which allows int8 only
 * where the test macro AUC moved by at most 0.005. Kept apart from manifest.ts, which calls
 * `parseInt8Compute`; a pack without the field loads as before and runs in float32.
 */

export interface Int8ComputeSpec {
  /** false: the figures were measured but the accuracy did not hold; the app stays in float32. */
  allowed: boolean;
  /** Conv2D layer name → scale of its (post-ReLU) input: x_q = clamp(rint(x / scale), 0, 127). */
  inputScales: Record<string, number>;
  /** How the scales were obtained (information only). */
  calibration?: { split: string; images: number; percentile: number };
  /** Test macro AUC with float32 and with int8 compute (information only). */
  testMacroAuc?: { float32: number; int8: number; images: number };
}

type Json = unknown;
type Fail = (field: string, problem: string) => Error;

/** Layer names as Keras writes them; also bounds what a hostile manifest can make the runtime look up. */
const LAYER_NAME = /^[A-Za-z0-9_./-]{1,128}$/;
const MAX_LAYERS = 1024;

function obj(v: Json, field: string, fail: Fail): Record<string, Json> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw fail(field, 'must be an object');
  return v as Record<string, Json>;
}

function finite(v: Json, field: string, fail: Fail, check: (n: number) => boolean, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) throw fail(field, `must be a finite number${what}`);
  return v;
}

const inUnit = (n: number) => n >= 0 && n <= 1;

export function parseInt8Compute(v: Json, field: string, fail: Fail): Int8ComputeSpec {
  const o = obj(v, field, fail);
  if (typeof o.allowed !== 'boolean') throw fail(`${field}.allowed`, 'must be true or false');
  const scales = obj(o.inputScales, `${field}.inputScales`, fail);
  const names = Object.keys(scales);
  if (names.length === 0 || names.length > MAX_LAYERS)
    throw fail(`${field}.inputScales`, `must name between 1 and ${MAX_LAYERS} layers`);
  const inputScales: Record<string, number> = {};
  for (const name of names) {
    if (!LAYER_NAME.test(name)) throw fail(`${field}.inputScales`, `"${name.slice(0, 40)}" is not a layer name`);
    // Tiny or huge scales would quantize every input to 0 or 127: a broken calibration, not a model.
    inputScales[name] = finite(
      scales[name],
      `${field}.inputScales.${name}`,
      fail,
      (n) => n >= 1e-12 && n <= 1e12,
      ' between 1e-12 and 1e12',
    );
  }
  const spec: Int8ComputeSpec = { allowed: o.allowed, inputScales };
  if (o.calibration !== undefined) {
    const c = obj(o.calibration, `${field}.calibration`, fail);
    if (typeof c.split !== 'string') throw fail(`${field}.calibration.split`, 'must be a string');
    spec.calibration = {
      split: c.split,
      images: finite(c.images, `${field}.calibration.images`, fail, (n) => Number.isInteger(n) && n >= 0, ' (a count)'),
      percentile: finite(c.percentile, `${field}.calibration.percentile`, fail, (n) => n > 0 && n <= 100, ' in (0, 100]'),
    };
  }
  if (o.testMacroAuc !== undefined) {
    const t = obj(o.testMacroAuc, `${field}.testMacroAuc`, fail);
    spec.testMacroAuc = {
      float32: finite(t.float32, `${field}.testMacroAuc.float32`, fail, inUnit, ' in [0, 1]'),
      int8: finite(t.int8, `${field}.testMacroAuc.int8`, fail, inUnit, ' in [0, 1]'),
      images: finite(t.images, `${field}.testMacroAuc.images`, fail, (n) => Number.isInteger(n) && n >= 0, ' (a count)'),
    };
  }
  return spec;
}
