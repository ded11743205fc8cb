/**
 * Simulated cervical lymph node ultrasound: B-mode, colour Doppler and strain elastography
 * screenshots of one node, with masks, ROIs and the sampled signs. Pure TypeScript (no DOM, no
 * Node APIs), seeded and deterministic. See docs/phantoms.md.
 */

import { sampleParams } from './params';
import { renderCase } from './render';
import { CLASS_NAMES, type NodeClass, type PhantomCase } from './types';

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

export interface GenerateCaseOptions {
  seed: number;
  cls: NodeClass;
}

export function generateCase(opts: GenerateCaseOptions): PhantomCase {
  return renderCase(sampleParams(opts.seed, opts.cls));
}

export function classIndex(cls: NodeClass): number {
  return CLASS_NAMES.indexOf(cls);
}

/** Stable, unique case id: class initial + 6-digit seed, e.g. m000123. */
export function caseId(cls: NodeClass, seed: number): string {
  return `${cls[0]}${String(seed).padStart(6, '0')}`;
}
