/**
 * Generator version 2: the signs of one node and the acquisition of one examination. The class
 * signs of version 1 (CLASS_DISTRIBUTIONS, docs/phantoms.md) are drawn the same way; version 2 adds
 * morphology (lobulated contour, matted clusters, coagulative necrosis, coarse calcification, a
 * hilum that is wide, narrowed or absent), the neck level and the scanner (probe, vendor layout,
 * colour scales, JPEG quality), each from its own seeded stream.
 */

import { CLASS_DISTRIBUTIONS, STIFF_FRACTION_RANGES, drawGaussian } from '../params';
import { createRng, hashSeed, type Rng } from '../rng';
import { TEXTURES, VASCULAR_PATTERNS, type NodeClass, type PhantomParams } from '../types';

export const NECK_LEVELS = ['IB', 'II', 'III', 'IV', 'V', 'VI'] as const;
export type NeckLevel = (typeof NECK_LEVELS)[number];
export const PROBES = ['linear', 'curvilinear'] as const;
export type ProbeKind = (typeof PROBES)[number];
export const VENDOR_LAYOUTS = ['classic', 'blackright', 'greyframe', 'widescreen'] as const;
export type VendorLayout = (typeof VENDOR_LAYOUTS)[number];
export const STRAIN_SCALES = ['red-soft', 'red-hard', 'grey-dark-hard', 'purple-hard'] as const;
export type StrainScale = (typeof STRAIN_SCALES)[number];
export const HILUM_STATES = ['wide', 'narrowed', 'absent'] as const;
export type HilumState = (typeof HILUM_STATES)[number];

/** Version 2's signs beyond version 1's, per class (sources in docs/phantoms.md, "Version 2"). */
export interface ClassDistributionV2 {
  /** Probability of a clearly lobulated / irregular contour (extracapsular spread in metastases). */
  lobulatedProbability: number;
  /** Probability that the node lies in a matted cluster of 2–4 nodes. */
  mattedProbability: number;
  /** Probability of coagulative (echogenic, non-cystic) necrosis. */
  coagulativeNecrosisProbability: number;
  /** Probability of coarse, shadowing calcification (healed tuberculosis, treated disease). */
  coarseCalcificationProbability: number;
  /** Share of nodes with a hilum whose hilum is narrowed rather than wide. */
  narrowedHilumShare: number;
  levelWeights: Record<NeckLevel, number>;
}

export const CLASS_DISTRIBUTIONS_V2: Record<NodeClass, ClassDistributionV2> = {
  metastatic: {
    lobulatedProbability: 0.3,
    mattedProbability: 0.12,
    coagulativeNecrosisProbability: 0.15,
    coarseCalcificationProbability: 0.03,
    narrowedHilumShare: 0.75,
    levelWeights: { IB: 0.1, II: 0.25, III: 0.2, IV: 0.15, V: 0.05, VI: 0.25 },
  },
  lymphoma: {
    lobulatedProbability: 0.15,
    mattedProbability: 0.2,
    coagulativeNecrosisProbability: 0.03,
    coarseCalcificationProbability: 0.01,
    narrowedHilumShare: 0.6,
    levelWeights: { IB: 0.1, II: 0.25, III: 0.2, IV: 0.15, V: 0.25, VI: 0.05 },
  },
  benign: {
    lobulatedProbability: 0.08,
    mattedProbability: 0.08,
    coagulativeNecrosisProbability: 0.04,
    coarseCalcificationProbability: 0.04,
    narrowedHilumShare: 0.15,
    levelWeights: { IB: 0.3, II: 0.35, III: 0.15, IV: 0.05, V: 0.1, VI: 0.05 },
  },
};

/** Version 1's parameters (same meaning; hilumPresent = hilum not absent) plus version 2's. */
export interface PhantomParamsV2 extends PhantomParams {
  level: NeckLevel;
  hilumState: HilumState;
  lobulated: boolean;
  /** Other nodes of a matted cluster (0 = solitary). */
  mattedCount: number;
  coagulativeNecrosis: boolean;
  /** Punctate microcalcifications (no shadow) are calcificationCount; these are coarse ones. */
  coarseCalcifications: number;
  probe: ProbeKind;
  /** Displayed depth, mm. */
  depthMm: number;
  /** Linear footprint or curvilinear field angle. */
  footprintMm: number;
  sectorDeg: number;
  radiusMm: number;
  /** Jugular compression by the probe: 0 round … 1 flat. */
  jugularCompression: number;
  layout: VendorLayout;
  strainScale: StrainScale;
  /** Point-spread sigmas (mm) and speckle reduction (box radius), so the grain differs between cases. */
  axialResMm: number;
  lateralResMm: number;
  speckleSmoothing: number;
  /** Extra depth loss the TGC does not undo, dB at full depth (negative = darker at depth). */
  depthLossDb: number;
  /** 0 = PNG-clean screenshot; otherwise the JPEG quality it was re-encoded at. */
  jpegQuality: number;
}

const round = (v: number, digits = 3): number => Number(v.toFixed(digits));

function pickKey<K extends string>(rng: Rng, keys: readonly K[], weights: Record<K, number>): K {
  return keys[rng.weighted(keys.map((k) => weights[k]))]!;
}

export function sampleParamsV2(seed: number, cls: NodeClass): PhantomParamsV2 {
  const d = CLASS_DISTRIBUTIONS[cls];
  const d2 = CLASS_DISTRIBUTIONS_V2[cls];
  const rng = createRng(hashSeed(seed, cls, 'params-v2'));
  const acq = createRng(hashSeed(seed, cls, 'acquisition-v2'));

  // The scanner first: it sets how much room the node has.
  const probe: ProbeKind = acq.bool(0.3) ? 'curvilinear' : 'linear';
  const depthMm = probe === 'linear' ? acq.uniform(30, 48) : acq.uniform(40, 60);
  const footprintMm = probe === 'linear' ? acq.uniform(38, 50) : 0;
  const sectorDeg = probe === 'curvilinear' ? acq.uniform(50, 75) : 0;
  const radiusMm = probe === 'curvilinear' ? acq.uniform(15, 40) : 0;
  const halfWidthMm = probe === 'linear' ? footprintMm / 2 : radiusMm * Math.sin((sectorDeg * Math.PI) / 360) + 4;

  const level = pickKey(rng, NECK_LEVELS, d2.levelWeights);
  const shortLongRatio = drawGaussian(rng, d.shortLongRatio);
  let shortAxisMm = drawGaussian(rng, d.shortAxisMm);
  let longAxisMm = shortAxisMm / shortLongRatio;
  const maxLong = 2 * halfWidthMm - 8;
  if (longAxisMm > maxLong) {
    longAxisMm = maxLong;
    shortAxisMm = longAxisMm * shortLongRatio;
  }
  const skinMm = rng.uniform(1.2, 2.4);
  const fatMm = rng.uniform(1.5, 8);
  // Sternocleidomastoid covers levels II–IV; level VI lies under the thin strap muscles.
  const scmCovers = level === 'II' || level === 'III' || level === 'IV' ? rng.bool(0.8) : level === 'VI';
  const tiltDeg = rng.uniform(-18, 18);
  const minTop = skinMm + fatMm + (scmCovers ? 3.5 : 1);
  const maxBottom = depthMm - 4;
  let halfExtent = shortAxisMm / 2 + Math.abs(Math.sin((tiltDeg * Math.PI) / 180)) * (longAxisMm / 2);
  const fit = (maxBottom - minTop) / (2 * halfExtent);
  if (fit < 1) {
    shortAxisMm *= fit;
    longAxisMm *= fit;
    halfExtent *= fit;
  }
  const centerDepthMm = Math.max(
    minTop + halfExtent,
    Math.min(maxBottom - halfExtent, rng.uniform(minTop + halfExtent, minTop + halfExtent + 10)),
  );
  const slack = Math.max(0, halfWidthMm - longAxisMm / 2 - 4);
  // centerXMm: lateral position from the field's centre line (version 1 measured from the left edge).
  const centerXMm = rng.uniform(-1, 1) * slack * 0.8;
  const scmMm = scmCovers
    ? Math.max(
        0,
        Math.min(rng.uniform(level === 'VI' ? 2 : 5, level === 'VI' ? 4 : 11), centerDepthMm - halfExtent - skinMm - fatMm - 0.8),
      )
    : 0;

  const hilumAbsent = !rng.bool(d.hilumProbability);
  const hilumState: HilumState = hilumAbsent ? 'absent' : rng.bool(d2.narrowedHilumShare) ? 'narrowed' : 'wide';
  const hilumWidthFrac =
    hilumState === 'absent' ? 0 : hilumState === 'narrowed' ? rng.uniform(0.06, 0.16) : rng.uniform(0.2, 0.5);
  const hyper = rng.bool(d.hyperechoicProbability);
  const echogenicity = hyper ? rng.uniform(5, 9) : Math.exp(drawGaussian(rng, d.logEchogenicity));
  const texture = pickKey(rng, TEXTURES, d.textureWeights);
  const necrosisPresent = rng.bool(d.necrosisProbability);
  const calcified = rng.bool(d.calcificationProbability);
  const vascularPattern = pickKey(rng, VASCULAR_PATTERNS, d.vascularWeights);
  const elasticityScore = (rng.weighted(d.elasticityWeights) + 1) as 1 | 2 | 3 | 4;
  const [lo, hi] = STIFF_FRACTION_RANGES[elasticityScore];
  const lobulated = rng.bool(d2.lobulatedProbability);
  const matted = rng.bool(d2.mattedProbability);
  const frequencyMHz = probe === 'linear' ? acq.uniform(9, 15) : acq.uniform(6.5, 10);
  const layout = VENDOR_LAYOUTS[acq.int(0, VENDOR_LAYOUTS.length - 1)]!;

  return {
    seed,
    cls,
    shortAxisMm: round(shortAxisMm),
    longAxisMm: round(longAxisMm),
    shortLongRatio: round(shortAxisMm / longAxisMm),
    centerXMm: round(centerXMm),
    centerDepthMm: round(centerDepthMm),
    tiltDeg: round(tiltDeg),
    lobulation: round(lobulated ? rng.uniform(0.1, 0.2) : rng.uniform(0, 0.05)),
    hilumPresent: !hilumAbsent,
    hilumWidthFrac: round(hilumWidthFrac),
    cortexEccentricity: round(drawGaussian(rng, d.cortexEccentricity)),
    echogenicity: round(echogenicity, 4),
    texture,
    textureStrength: round(rng.uniform(0.3, 1)),
    borderSharpness: round(drawGaussian(rng, d.borderSharpness)),
    necrosisPresent,
    necrosisFraction: necrosisPresent ? round(rng.uniform(0.05, 0.35)) : 0,
    calcificationCount: calcified ? rng.int(3, 14) : 0,
    vascularPattern,
    vesselCount: vascularPattern === 'avascular' ? 0 : rng.int(2, 6),
    peakVelocityCms: round(rng.uniform(2, 10)),
    elasticityScore,
    stiffFraction: round(rng.uniform(lo, hi)),
    skinMm: round(skinMm),
    fatMm: round(fatMm),
    scmMm: round(scmMm),
    carotidPresent: level === 'IB' || level === 'V' ? rng.bool(0.2) : rng.bool(0.85),
    frequencyMHz: round(frequencyMHz, 1),
    focusDepthMm: round(Math.max(6, centerDepthMm + acq.uniform(-8, 8)), 1),
    gainDb: round(acq.uniform(-7, 6), 1),
    dynamicRangeDb: round(acq.uniform(48, 72), 0),
    tgcResidualDb: round(acq.uniform(-4, 4), 1),
    colourGain: round(acq.uniform(0.3, 1)),
    steeringDeg: probe === 'linear' ? [-20, 0, 0, 20][acq.int(0, 3)]! : 0,
    nyquistCms: round(acq.uniform(3, 12), 1),
    roiMarginFrac: round(acq.uniform(0.1, 0.4)),
    level,
    hilumState,
    lobulated,
    mattedCount: matted ? rng.int(1, 3) : 0,
    coagulativeNecrosis: rng.bool(d2.coagulativeNecrosisProbability),
    coarseCalcifications: rng.bool(d2.coarseCalcificationProbability) ? rng.int(1, 3) : 0,
    probe,
    depthMm: round(depthMm, 1),
    footprintMm: round(footprintMm, 1),
    sectorDeg: round(sectorDeg, 1),
    radiusMm: round(radiusMm, 1),
    jugularCompression: round(acq.uniform(0, 0.9)),
    layout,
    strainScale: STRAIN_SCALES[acq.int(0, STRAIN_SCALES.length - 1)]!,
    // Gaussian sigmas of the point-spread function; shorter pulse and narrower beam at higher frequency.
    axialResMm: round(acq.uniform(0.06, 0.13) * (12 / frequencyMHz)),
    lateralResMm: round(acq.uniform(0.13, 0.32) * (12 / frequencyMHz)),
    speckleSmoothing: acq.int(0, 3),
    depthLossDb: round(acq.uniform(-16, 2), 1),
    jpegQuality: acq.bool(0.65) ? acq.int(45, 95) : 0,
  };
}
