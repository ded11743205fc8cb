/**
 * Per-class distributions of the sonographic signs, and the sampler. Distributions overlap on
 * purpose (reactive nodes can be round, early metastases keep a hilum, lymphoma can be soft), so
 * that no single sign separates the classes. Sources are in docs/phantoms.md.
 */

import { createRng, hashSeed, type Rng } from './rng';
import { FIELD_HEIGHT, FIELD_WIDTH, MM_PER_PX } from './layout';
import {
  TEXTURES,
  VASCULAR_PATTERNS,
  type InternalTexture,
  type NodeClass,
  type PhantomParams,
  type VascularPattern,
} from './types';

export interface Gaussian {
  mean: number;
  sd: number;
  min: number;
  max: number;
}

export interface ClassDistribution {
  shortLongRatio: Gaussian;
  shortAxisMm: Gaussian;
  hilumProbability: number;
  /** log of echogenicity (power relative to fat). */
  logEchogenicity: Gaussian;
  /** Probability of a hyperechoic cortex (papillary thyroid carcinoma metastases). */
  hyperechoicProbability: number;
  textureWeights: Record<InternalTexture, number>;
  necrosisProbability: number;
  calcificationProbability: number;
  borderSharpness: Gaussian;
  cortexEccentricity: Gaussian;
  vascularWeights: Record<VascularPattern, number>;
  /** Probabilities of elasticity scores 1..4. */
  elasticityWeights: readonly [number, number, number, number];
}

export const CLASS_DISTRIBUTIONS: Record<NodeClass, ClassDistribution> = {
  metastatic: {
    shortLongRatio: { mean: 0.68, sd: 0.13, min: 0.3, max: 0.98 },
    shortAxisMm: { mean: 10.5, sd: 3.8, min: 4, max: 22 },
    hilumProbability: 0.3,
    logEchogenicity: { mean: Math.log(0.14), sd: 0.5, min: Math.log(0.03), max: Math.log(0.6) },
    hyperechoicProbability: 0.12,
    textureWeights: { homogeneous: 0.35, heterogeneous: 0.55, reticulated: 0.1 },
    necrosisProbability: 0.35,
    calcificationProbability: 0.18,
    borderSharpness: { mean: 0.68, sd: 0.22, min: 0, max: 1 },
    cortexEccentricity: { mean: 0.5, sd: 0.25, min: 0, max: 1 },
    vascularWeights: { hilar: 0.15, peripheral: 0.4, mixed: 0.3, avascular: 0.15 },
    elasticityWeights: [0.07, 0.18, 0.4, 0.35],
  },
  lymphoma: {
    shortLongRatio: { mean: 0.72, sd: 0.13, min: 0.3, max: 0.98 },
    shortAxisMm: { mean: 13, sd: 4.5, min: 4, max: 24 },
    hilumProbability: 0.4,
    logEchogenicity: { mean: Math.log(0.05), sd: 0.5, min: Math.log(0.012), max: Math.log(0.4) },
    hyperechoicProbability: 0,
    textureWeights: { homogeneous: 0.35, heterogeneous: 0.1, reticulated: 0.55 },
    necrosisProbability: 0.04,
    calcificationProbability: 0.01,
    borderSharpness: { mean: 0.75, sd: 0.2, min: 0, max: 1 },
    cortexEccentricity: { mean: 0.2, sd: 0.2, min: 0, max: 1 },
    vascularWeights: { hilar: 0.3, peripheral: 0.15, mixed: 0.45, avascular: 0.1 },
    elasticityWeights: [0.2, 0.35, 0.3, 0.15],
  },
  benign: {
    shortLongRatio: { mean: 0.5, sd: 0.13, min: 0.25, max: 0.98 },
    shortAxisMm: { mean: 7, sd: 2.8, min: 3.5, max: 18 },
    hilumProbability: 0.85,
    logEchogenicity: { mean: Math.log(0.16), sd: 0.5, min: Math.log(0.03), max: Math.log(0.6) },
    hyperechoicProbability: 0,
    textureWeights: { homogeneous: 0.7, heterogeneous: 0.25, reticulated: 0.05 },
    necrosisProbability: 0.05,
    calcificationProbability: 0.03,
    borderSharpness: { mean: 0.45, sd: 0.22, min: 0, max: 1 },
    cortexEccentricity: { mean: 0.15, sd: 0.15, min: 0, max: 1 },
    vascularWeights: { hilar: 0.6, peripheral: 0.04, mixed: 0.08, avascular: 0.28 },
    elasticityWeights: [0.45, 0.35, 0.15, 0.05],
  },
};

/** Stiff-area share for each elasticity score (Alam et al. 2008 criteria, expressed as ranges). */
export const STIFF_FRACTION_RANGES: Record<1 | 2 | 3 | 4, readonly [number, number]> = {
  1: [0, 0.1],
  2: [0.1, 0.45],
  3: [0.45, 0.8],
  4: [0.8, 1],
};

export function drawGaussian(rng: Rng, g: Gaussian): number {
  // Resample rather than clamp so the bounds do not pile up probability mass on the edges.
  for (let i = 0; i < 16; i++) {
    const v = g.mean + g.sd * rng.normal();
    if (v >= g.min && v <= g.max) return v;
  }
  return Math.min(g.max, Math.max(g.min, g.mean));
}

function pickKey<K extends string>(rng: Rng, keys: readonly K[], weights: Record<K, number>): K {
  return keys[rng.weighted(keys.map((k) => weights[k]))]!;
}

const round = (v: number, digits = 3): number => Number(v.toFixed(digits));

const FIELD_WIDTH_MM = FIELD_WIDTH * MM_PER_PX;
const FIELD_DEPTH_MM = FIELD_HEIGHT * MM_PER_PX;

export function sampleParams(seed: number, cls: NodeClass): PhantomParams {
  const d = CLASS_DISTRIBUTIONS[cls];
  const rng = createRng(hashSeed(seed, cls, 'params'));

  const shortLongRatio = drawGaussian(rng, d.shortLongRatio);
  let shortAxisMm = drawGaussian(rng, d.shortAxisMm);
  // The node must fit the 40 mm footprint with some tissue on both sides.
  let longAxisMm = shortAxisMm / shortLongRatio;
  if (longAxisMm > FIELD_WIDTH_MM - 6) {
    longAxisMm = FIELD_WIDTH_MM - 6;
    shortAxisMm = longAxisMm * shortLongRatio;
  }
  const skinMm = rng.uniform(1.2, 2.2);
  const fatMm = rng.uniform(2, 7);
  const scmCovers = rng.bool(0.7);
  const tiltDeg = rng.uniform(-12, 12);
  const minTop = skinMm + fatMm + (scmCovers ? 3.5 : 0.8);
  const maxBottom = FIELD_DEPTH_MM - 3;
  let halfExtent = shortAxisMm / 2 + Math.abs(Math.sin((tiltDeg * Math.PI) / 180)) * (longAxisMm / 2);
  // A very large node under thick superficial layers would not fit the 36 mm depth: shrink it (rare).
  const fit = (maxBottom - minTop) / (2 * halfExtent);
  if (fit < 1) {
    shortAxisMm *= fit;
    longAxisMm *= fit;
    halfExtent *= fit;
  }
  const centerDepthMm = Math.max(
    minTop + halfExtent,
    Math.min(maxBottom - halfExtent, rng.uniform(minTop + halfExtent, minTop + halfExtent + 9)),
  );
  const lateralSlack = Math.max(0, FIELD_WIDTH_MM / 2 - longAxisMm / 2 - 3);
  const centerXMm = FIELD_WIDTH_MM / 2 + rng.uniform(-1, 1) * lateralSlack * 0.8;
  const topOfNode = centerDepthMm - halfExtent;
  const scmMm = scmCovers ? Math.max(0, Math.min(rng.uniform(5, 11), topOfNode - skinMm - fatMm - 0.8)) : 0;

  const hilumPresent = rng.bool(d.hilumProbability);
  const hilumWidthFrac = hilumPresent ? rng.uniform(0.15, cls === 'benign' ? 0.5 : 0.35) : 0;
  const hyper = rng.bool(d.hyperechoicProbability);
  // Papillary thyroid carcinoma metastases: hyperechoic, brighter than the surrounding fat.
  const echogenicity = hyper ? rng.uniform(5, 9) : Math.exp(drawGaussian(rng, d.logEchogenicity));
  const texture = pickKey(rng, TEXTURES, d.textureWeights);
  const necrosisPresent = rng.bool(d.necrosisProbability);
  const calcified = rng.bool(d.calcificationProbability);
  const vascularPattern = pickKey(rng, VASCULAR_PATTERNS, d.vascularWeights);
  const elasticityScore = (rng.weighted(d.elasticityWeights) + 1) as 1 | 2 | 3 | 4;
  const [lo, hi] = STIFF_FRACTION_RANGES[elasticityScore];

  return {
    seed,
    cls,
    shortAxisMm: round(shortAxisMm),
    longAxisMm: round(longAxisMm),
    shortLongRatio: round(shortAxisMm / longAxisMm),
    centerXMm: round(centerXMm),
    centerDepthMm: round(centerDepthMm),
    tiltDeg: round(tiltDeg),
    lobulation: round(rng.uniform(0, cls === 'benign' ? 0.05 : 0.09)),
    hilumPresent,
    hilumWidthFrac: round(hilumWidthFrac),
    cortexEccentricity: round(drawGaussian(rng, d.cortexEccentricity)),
    echogenicity: round(echogenicity, 4),
    texture,
    textureStrength: round(rng.uniform(0.3, 1)),
    borderSharpness: round(drawGaussian(rng, d.borderSharpness)),
    necrosisPresent,
    necrosisFraction: necrosisPresent ? round(rng.uniform(0.05, 0.35)) : 0,
    calcificationCount: calcified ? rng.int(1, 8) : 0,
    vascularPattern,
    vesselCount: vascularPattern === 'avascular' ? 0 : rng.int(2, 6),
    peakVelocityCms: round(rng.uniform(2, 8)),
    elasticityScore,
    stiffFraction: round(rng.uniform(lo, hi)),
    skinMm: round(skinMm),
    fatMm: round(fatMm),
    scmMm: round(scmMm),
    carotidPresent: rng.bool(0.75),
    frequencyMHz: round(rng.uniform(9, 15), 1),
    focusDepthMm: round(Math.max(6, centerDepthMm + rng.uniform(-6, 6)), 1),
    gainDb: round(rng.uniform(-5, 5), 1),
    dynamicRangeDb: round(rng.uniform(50, 66), 0),
    tgcResidualDb: round(rng.uniform(-5, 5), 1),
    colourGain: round(rng.uniform(0.4, 1)),
    steeringDeg: [-20, 0, 20][rng.int(0, 2)]!,
    nyquistCms: round(rng.uniform(3, 9), 1),
    roiMarginFrac: round(rng.uniform(0.12, 0.35)),
  };
}
