/**
 * Simulated cervical lymph node ultrasound: B-mode, colour Doppler and strain elastography
 * screenshots of one node, with masks, ROIs and the sampled signs. Pure TypeScript (no DOM, no
 * Node APIs), seeded and deterministic. See docs/phantoms.md.
 */

import { sampleParams } from './params';
import { renderCase } from './render';
import { CLASS_NAMES, type NodeClass, type PhantomCase, type PhantomGeneratorVersion } from './types';
import { renderCaseV2 } from './v2/render';
import { sampleParamsV2 } from './v2/params';

export { sampleParams, CLASS_DISTRIBUTIONS, STIFF_FRACTION_RANGES } from './params';
export type { ClassDistribution, Gaussian } from './params';
export { renderCase, PIXEL_SPACING_MM } from './render';
export { speckleEnvelope } from './speckle';
export type { Psf } from './speckle';
export { createRng, hashSeed } from './rng';
export type { Rng } from './rng';
export { drawText, createImage, fillRect, blitRgb, blitRgba, strokeRect } from './draw';
export { textWidth, GLYPH_HEIGHT } from './font';
export * from './types';
export * from './layout';

export { sampleParamsV2, CLASS_DISTRIBUTIONS_V2 } from './v2/params';
export type { PhantomParamsV2, ClassDistributionV2 } from './v2/params';
export { renderCaseV2 } from './v2/render';
export { jpegRoundTrip } from './v2/jpeg';

export interface GenerateCaseOptions {
  seed: number;
  cls: NodeClass;
  /**
   * Generator version (default 1). Version 1 is frozen: the bundled pack was trained on it and its
   * demo cases must keep matching it. Version 2 draws the same class signs with more realistic
   * anatomy, morphology, probes, vendors' screens and JPEG re-encoding (docs/phantoms.md).
   */
  version?: PhantomGeneratorVersion;
}

export function generateCase(opts: GenerateCaseOptions): PhantomCase {
  if (opts.version === 2) return renderCaseV2(sampleParamsV2(opts.seed, opts.cls));
  return renderCase(sampleParams(opts.seed, opts.cls));
}

export function classIndex(cls: NodeClass): number {
  return CLASS_NAMES.indexOf(cls);
}

/** Stable, unique case id: class initial + 6-digit seed, e.g. m000123. */
export function caseId(cls: NodeClass, seed: number): string {
  return `${cls[0]}${String(seed).padStart(6, '0')}`;
}
