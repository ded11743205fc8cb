/**
 * The input-check file of a pack modality (`modalities.<m>.inputCheck`, written by
 * training/input_gate.py; docs/input-checks.md): a gate head on the model's pooled features and
 * the statistics of its training images for an out-of-distribution distance. Fetched from the
 * network like the rest of the pack, so validated field by field before use.
 */

import { isModalityId, MODALITY_IDS, type ModalityId } from '../domain';
import { COLOUR_FEATURES, TEXTURE_FEATURES } from './input-check-features';

/** Plain string arrays of the statistics' names, for comparing with what a file declares. */
const knownColour: readonly string[] = COLOUR_FEATURES;
const knownTexture: readonly string[] = TEXTURE_FEATURES;

/** A squared Mahalanobis distance to a pack's training images, with its threshold. */
export interface OodParams {
  mean: Float64Array;
  /** Row-major [k × dimension], orthonormal principal directions of the shrunk covariance. */
  components: Float64Array;
  variances: Float64Array;
  residualVariance: number;
  /** Squared Mahalanobis distance above which the image is out of distribution. */
  threshold: number;
}

export const GATE_CLASSES = ['not-ultrasound', ...MODALITY_IDS] as const;
export type GateClass = (typeof GATE_CLASSES)[number];

export interface InputCheckParams {
  /** The pack modality whose model computes the features (one model can serve every slot's check). */
  featureModel: ModalityId;
  /** Length of the pooled feature vector (channels of the Grad-CAM layer). */
  featureDim: number;
  /** Gate classes in the order of the head's logits. */
  gateClasses: GateClass[];
  /** Colour statistics the gate reads after the pooled features (imaging/colour-features.ts), in order. */
  colourFeatures: string[];
  /** Texture statistics the gate reads after the colour ones (imaging/texture-features.ts); empty in formatVersion 1. */
  textureFeatures: string[];
  /** Chroma (max − min channel, 0–255) above which a pixel counts as colour. */
  colourChromaMin: number;
  /** Row-major [classes × (featureDim + colourFeatures.length + textureFeatures.length)]. */
  gateWeights: Float64Array;
  gateBias: Float64Array;
  /** Another modality is claimed (wrong-modality) only at this gate probability or above… */
  wrongModalityMinProbability: number;
  /** …or at this one for the modalities named here (formatVersion 2; calibrated per claimed modality). */
  wrongModalityMinProbabilityBy: Partial<Record<ModalityId, number>>;
  /** Distance of the pooled features (dimension featureDim). */
  ood: OodParams;
  /**
   * formatVersion 2: distance of the texture statistics alone, a second check that holds where a
   * photograph's pooled features land near ultrasound.
   */
  textureOod?: OodParams;
}

export class InputCheckFileError extends Error {
  constructor(
    readonly path: string,
    readonly field: string,
    problem: string,
  ) {
    super(`Input-check file "${path}": field "${field}" ${problem}`);
    this.name = 'InputCheckFileError';
  }
}

const MAX_DIM = 8192;
const MAX_COMPONENTS = 1024;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates a parsed input-check file against the model it belongs to (`featureDim` = its channels). */
export function parseInputCheck(json: unknown, path: string, featureDim?: number): InputCheckParams {
  const bad = (field: string, problem: string): never => {
    throw new InputCheckFileError(path, field, problem);
  };
  const rec = (v: unknown, field: string) => (isRecord(v) ? v : bad(field, 'must be an object'));
  const finite = (v: unknown, field: string, check: (n: number) => boolean = () => true, what = '') =>
    typeof v === 'number' && Number.isFinite(v) && check(v) ? v : bad(field, `must be a finite number${what}`);
  const vector = (v: unknown, field: string, length: number, check?: (n: number) => boolean, what?: string) => {
    if (!Array.isArray(v) || v.length !== length) return bad(field, `must be an array of ${length} numbers`);
    return Float64Array.from(v, (x, i) => finite(x, `${field}[${i}]`, check, what));
  };
  const matrix = (v: unknown, field: string, rows: number, cols: number) => {
    if (!Array.isArray(v) || v.length !== rows) return bad(field, `must be an array of ${rows} rows`);
    const out = new Float64Array(rows * cols);
    v.forEach((row, r) => out.set(vector(row, `${field}[${r}]`, cols), r * cols));
    return out;
  };

  const o = rec(json, '(root)');
  if (o.format !== 'lymphscope-input-check') bad('format', 'must be "lymphscope-input-check"');
  // Version 1 (colour statistics only) is still read: a pack exported before version 2 keeps its checks.
  if (o.formatVersion !== 1 && o.formatVersion !== 2) bad('formatVersion', 'must be 1 or 2');
  const v2 = o.formatVersion === 2;
  if (o.features !== 'gradcam-layer-mean') bad('features', 'must be "gradcam-layer-mean"');
  const featureModel = isModalityId(o.featureModel)
    ? o.featureModel
    : bad('featureModel', `must be one of ${MODALITY_IDS.join(', ')}`);
  const d = finite(
    o.featureDim,
    'featureDim',
    (n) => Number.isInteger(n) && n > 0 && n <= MAX_DIM,
    ` (a whole number in 1..${MAX_DIM})`,
  );
  if (featureDim !== undefined && d !== featureDim)
    bad('featureDim', `is ${d}, but the model's Grad-CAM layer has ${featureDim} channels`);

  const gate = rec(o.gate, 'gate');
  const classes = gate.classes;
  if (!Array.isArray(classes) || classes.length !== GATE_CLASSES.length || !GATE_CLASSES.every((c) => classes.includes(c))) {
    bad('gate.classes', `must list each of ${GATE_CLASSES.join(', ')} once`);
  }
  const gateClasses = classes as GateClass[];
  const colour = gate.colourFeatures;
  if (!Array.isArray(colour) || colour.length !== knownColour.length || colour.some((c, i) => c !== knownColour[i])) {
    bad('gate.colourFeatures', `must be [${knownColour.join(', ')}]`);
  }
  const texture = v2 ? gate.textureFeatures : [];
  if (
    !Array.isArray(texture) ||
    (v2 && (texture.length !== knownTexture.length || texture.some((c, i) => c !== knownTexture[i])))
  ) {
    bad('gate.textureFeatures', `must be [${knownTexture.join(', ')}]`);
  }
  const textureFeatures = v2 ? [...knownTexture] : [];
  const chromaMin = finite(gate.colourChromaMin, 'gate.colourChromaMin', (n) => n >= 0 && n < 255, ' in [0, 255)');
  const minProbability = finite(
    gate.wrongModalityMinProbability,
    'gate.wrongModalityMinProbability',
    (n) => n >= 0 && n <= 1,
    ' in [0, 1]',
  );
  const byField = 'gate.wrongModalityMinProbabilityBy';
  const byRaw = gate.wrongModalityMinProbabilityBy === undefined ? {} : rec(gate.wrongModalityMinProbabilityBy, byField);
  const wrongModalityMinProbabilityBy: Partial<Record<ModalityId, number>> = {};
  for (const [m, v] of Object.entries(byRaw)) {
    if (!isModalityId(m)) bad(byField, `names "${m}", not a modality`);
    wrongModalityMinProbabilityBy[m as ModalityId] = finite(v, `${byField}.${m}`, (n) => n >= 0 && n <= 1, ' in [0, 1]');
  }
  const weights = matrix(gate.weights, 'gate.weights', gateClasses.length, d + knownColour.length + textureFeatures.length);
  const bias = vector(gate.bias, 'gate.bias', gateClasses.length);

  const positive = (n: number) => n > 0;
  const distance = (v: unknown, field: string, dim: number): OodParams => {
    const ood = rec(v, field);
    if (ood.metric !== 'mahalanobis-squared') bad(`${field}.metric`, 'must be "mahalanobis-squared"');
    const comps = ood.components;
    if (!Array.isArray(comps) || comps.length > MAX_COMPONENTS || comps.length >= dim) {
      bad(`${field}.components`, `must be an array of fewer than ${Math.min(dim, MAX_COMPONENTS + 1)} rows`);
    }
    const k = (comps as unknown[]).length;
    return {
      mean: vector(ood.mean, `${field}.mean`, dim),
      components: matrix(comps, `${field}.components`, k, dim),
      variances: vector(ood.variances, `${field}.variances`, k, positive, ' > 0'),
      residualVariance: finite(ood.residualVariance, `${field}.residualVariance`, positive, ' > 0'),
      threshold: finite(ood.threshold, `${field}.threshold`, positive, ' > 0'),
    };
  };
  return {
    featureModel,
    featureDim: d,
    gateClasses,
    colourFeatures: [...knownColour],
    textureFeatures,
    colourChromaMin: chromaMin,
    gateWeights: weights,
    gateBias: bias,
    wrongModalityMinProbability: minProbability,
    wrongModalityMinProbabilityBy,
    ood: distance(o.ood, 'ood', d),
    ...(v2 ? { textureOod: distance(o.textureOod, 'textureOod', knownTexture.length) } : {}),
  };
}
