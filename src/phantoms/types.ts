import type { PhantomGeneratorVersion } from '../domain';
import type { RgbaImage, Rect } from '../imaging';

export { PHANTOM_GENERATOR_VERSIONS, isPhantomGeneratorVersion, type PhantomGeneratorVersion } from '../domain';

export const CLASS_NAMES = ['metastatic', 'lymphoma', 'benign'] as const;
export type NodeClass = (typeof CLASS_NAMES)[number];

export const VASCULAR_PATTERNS = ['hilar', 'peripheral', 'mixed', 'avascular'] as const;
export type VascularPattern = (typeof VASCULAR_PATTERNS)[number];

export const TEXTURES = ['homogeneous', 'heterogeneous', 'reticulated'] as const;
export type InternalTexture = (typeof TEXTURES)[number];

export const MASK_NAMES = ['node', 'hilum', 'necrosis', 'calcifications', 'vessels'] as const;
export type MaskName = (typeof MASK_NAMES)[number];

/** The sampled signs and acquisition settings of one case. Plain JSON: numbers, booleans, strings. */
export interface PhantomParams {
  seed: number;
  cls: NodeClass;
  // Node geometry (millimetres; x lateral from the left edge of the field, depth from the skin).
  shortAxisMm: number;
  longAxisMm: number;
  shortLongRatio: number;
  centerXMm: number;
  centerDepthMm: number;
  tiltDeg: number;
  /** Amplitude of the contour's low-order harmonics, relative to the radius (0 = smooth ellipse). */
  lobulation: number;
  // Hilum and cortex.
  hilumPresent: boolean;
  /** Hilum thickness as a share of the short axis (0 when absent). */
  hilumWidthFrac: number;
  /** 0: concentric cortex; 1: strongly eccentric thickening (hilum pushed to one side). */
  cortexEccentricity: number;
  // Echotexture.
  /** Cortex backscatter power relative to subcutaneous fat (linear; < 1 hypoechoic). */
  echogenicity: number;
  texture: InternalTexture;
  /** Contrast of the internal texture (0..1). */
  textureStrength: number;
  // Border.
  /** 0: ill-defined/blurred border; 1: sharp, with a thin echogenic capsule. */
  borderSharpness: number;
  // Necrosis, calcification.
  necrosisPresent: boolean;
  /** Share of the node area that is cystic necrosis (0 when absent). */
  necrosisFraction: number;
  calcificationCount: number;
  // Vascularity.
  vascularPattern: VascularPattern;
  vesselCount: number;
  peakVelocityCms: number;
  // Elasticity (Alam et al. 2008 score: share of the node area that is stiff).
  elasticityScore: 1 | 2 | 3 | 4;
  stiffFraction: number;
  // Surrounding anatomy.
  skinMm: number;
  fatMm: number;
  /** Sternocleidomastoid thickness over the node; 0 when the node lies outside its cover. */
  scmMm: number;
  carotidPresent: boolean;
  // Acquisition settings (class-independent nuisance).
  frequencyMHz: number;
  focusDepthMm: number;
  gainDb: number;
  dynamicRangeDb: number;
  /** Imperfect time-gain compensation: residual dB at full depth. */
  tgcResidualDb: number;
  colourGain: number;
  steeringDeg: number;
  nyquistCms: number;
  /** Margin of the sonographer's ROI around the node, as a share of the node's size. */
  roiMarginFrac: number;
}

export type PhantomMasks = Record<MaskName, Uint8Array>;

export interface PhantomImages {
  bmode: RgbaImage;
  cdfi: RgbaImage;
  elastography: RgbaImage;
}

export interface PhantomRois {
  bmode: Rect;
  cdfi: Rect;
  elastography: Rect;
}

export interface PhantomCase {
  seed: number;
  cls: NodeClass;
  classIndex: number;
  params: PhantomParams;
  /** Full scanner screenshots with chrome, RGBA. */
  images: PhantomImages;
  /** The crop a sonographer would draw around the node, in each screenshot's pixels. */
  rois: PhantomRois;
  /**
   * 0/1 masks, row-major, in B-mode screenshot pixels (same frame and size as images.bmode and images.cdfi;
   * for the elastography view shift by elastographyPanelOffset()).
   */
  masks: PhantomMasks;
  maskWidth: number;
  maskHeight: number;
  /** Which generator made the case (docs/phantoms.md): 1 for the bundled pack's data, 2 the newer one. */
  generatorVersion: PhantomGeneratorVersion;
  /** Millimetres per screenshot pixel in the imaging area (0.1 in version 1; per case in version 2). */
  pixelSpacingMm: number;
}
