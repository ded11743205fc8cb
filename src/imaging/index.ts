export * from './resize';
export * from './roi';
export * from './preprocess';
export * from './sniff';
export * from './errors';
export * from './plausibility';
export * from './decode';
export * from './auto-roi';
export {
  isDicom,
  stripIdentifying,
  transferSyntaxLabel,
  IDENTIFYING_TAGS,
  type DicomMetadata,
  type PixelSpacingMm,
} from './dicom';
export * from './node-geometry';
export * from './node-coarse-fine';
export * from './segment';
export * from './axes';
export * from './node-crop';
export { outlineOffThread } from './outline-client';
export * from './scale';
export * from './quality';
export * from './colour-features';
export * from './texture-features';
