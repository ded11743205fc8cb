/**
 * The manifest's optional node-finder fields (`nodeFinder`, `crop`): types and validation. Kept apart
 * from manifest.ts, which calls `parseNodeFinderFields`; a pack without them loads as before.
 */

/** A learned segmentation model that proposes the node (docs/node-finder.md). */
export interface NodeFinderSpec {
  /** TF.js LayersModel: input [null, inputSize, inputSize, 2] (luma, prompt), output [null, inputSize, inputSize, 1] logits. */
  model: string;
  architecture?: string;
  inputSize: number;
  resize: 'bilinear-antialias';
  /** Channel 0: (luma · scale − mean) / std, luma = Σ weights · RGB of the resized image. */
  normalisation: { channel: 'luma'; luma: [number, number, number]; scale: number; mean: number; std: number };
  /** Channel 1: a Gaussian of `sigma` input pixels around the click; without it, all zeros. */
  prompt?: { kind: 'gaussian'; sigma: number };
  /** Below this confidence (mean probability over the node) the finder says it is unsure. */
  threshold: number;
  /** Smallest node, in model-input pixels; smaller components are speckle. */
  minArea: number;
  /** A click may miss the foreground by at most this fraction of the input side. */
  clickRadius: number;
  weightsDtype?: 'float32' | 'float16' | 'uint8';
  golden?: string;
}

/** How the pack's classifiers' training crops were made, so the app proposes the same kind of crop. */
export type CropConvention =
  /** The node's box grown on every side by `margin` × its longer side. */
  | { kind: 'node-box-margin'; margin: number }
  /** The whole imaging area of the frame. */
  | { kind: 'image-area' };

export interface NodeFinderFields {
  nodeFinder?: NodeFinderSpec;
  crop?: CropConvention;
}

type Json = unknown;
type Fail = (field: string, problem: string) => Error;

const RELATIVE_PATH = /^(?!\/)(?![a-zA-Z][a-zA-Z0-9+.-]*:)(?!.*(^|\/)\.\.(\/|$))[\w./-]+$/;

function isRecord(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates `nodeFinder` and `crop` of a manifest object; `listed` are the paths in `files`. */
export function parseNodeFinderFields(o: Record<string, Json>, listed: ReadonlySet<string>, fail: Fail): NodeFinderFields {
  const record = (v: Json, field: string): Record<string, Json> => {
    if (!isRecord(v)) throw fail(field, 'must be an object');
    return v;
  };
  const num = (v: Json, field: string, ok: (n: number) => boolean, what: string): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw fail(field, `must be a finite number${what}`);
    return v;
  };
  const path = (v: Json, field: string): string => {
    if (typeof v !== 'string' || !RELATIVE_PATH.test(v)) throw fail(field, 'must be a relative path inside the pack');
    if (!listed.has(v)) throw fail(field, `"${v}" is not listed in files`);
    return v;
  };
  const exactly = <T extends string>(v: Json, field: string, allowed: readonly T[]): T => {
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      throw fail(field, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
    }
    return v as T;
  };
  const out: NodeFinderFields = {};
  if (o.nodeFinder !== undefined) {
    const f = record(o.nodeFinder, 'nodeFinder');
    const n = record(f.normalisation, 'nodeFinder.normalisation');
    const luma = n.luma;
    if (!Array.isArray(luma) || luma.length !== 3) throw fail('nodeFinder.normalisation.luma', 'must be an array of 3 numbers');
    const spec: NodeFinderSpec = {
      model: path(f.model, 'nodeFinder.model'),
      inputSize: num(
        f.inputSize,
        'nodeFinder.inputSize',
        (v) => Number.isInteger(v) && v >= 16 && v <= 1024 && v % 16 === 0,
        ' (a multiple of 16 in [16, 1024])',
      ),
      resize: exactly(f.resize, 'nodeFinder.resize', ['bilinear-antialias'] as const),
      normalisation: {
        channel: exactly(n.channel, 'nodeFinder.normalisation.channel', ['luma'] as const),
        luma: [0, 1, 2].map((i) => num(luma[i], `nodeFinder.normalisation.luma[${i}]`, (v) => v >= 0, ' >= 0')) as [
          number,
          number,
          number,
        ],
        scale: num(n.scale, 'nodeFinder.normalisation.scale', (v) => v > 0, ' > 0'),
        mean: num(n.mean, 'nodeFinder.normalisation.mean', () => true, ''),
        std: num(n.std, 'nodeFinder.normalisation.std', (v) => v > 0, ' > 0'),
      },
      threshold: num(f.threshold, 'nodeFinder.threshold', (v) => v >= 0 && v <= 1, ' in [0, 1]'),
      minArea: num(f.minArea, 'nodeFinder.minArea', (v) => Number.isInteger(v) && v >= 1, ' (a positive integer)'),
      clickRadius: num(f.clickRadius, 'nodeFinder.clickRadius', (v) => v >= 0 && v <= 1, ' in [0, 1]'),
    };
    if (f.prompt !== undefined) {
      const p = record(f.prompt, 'nodeFinder.prompt');
      spec.prompt = {
        kind: exactly(p.kind, 'nodeFinder.prompt.kind', ['gaussian'] as const),
        sigma: num(p.sigma, 'nodeFinder.prompt.sigma', (v) => v > 0, ' > 0'),
      };
    }
    if (f.architecture !== undefined) {
      if (typeof f.architecture !== 'string' || f.architecture.length === 0 || f.architecture.length > 100) {
        throw fail('nodeFinder.architecture', 'must be a non-empty string of at most 100 characters');
      }
      spec.architecture = f.architecture;
    }
    if (f.weightsDtype !== undefined) {
      spec.weightsDtype = exactly(f.weightsDtype, 'nodeFinder.weightsDtype', ['float32', 'float16', 'uint8'] as const);
    }
    if (f.golden !== undefined) spec.golden = path(f.golden, 'nodeFinder.golden');
    out.nodeFinder = spec;
  }
  if (o.crop !== undefined) {
    const c = record(o.crop, 'crop');
    const kind = exactly(c.kind, 'crop.kind', ['node-box-margin', 'image-area'] as const);
    out.crop =
      kind === 'image-area' ? { kind } : { kind, margin: num(c.margin, 'crop.margin', (v) => v >= 0 && v <= 2, ' in [0, 2]') };
  }
  return out;
}
