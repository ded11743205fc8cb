export {
  isDicom,
  readDicom,
  stripIdentifying,
  IDENTIFYING_TAGS,
  MAX_DICOM_PIXELS,
  type DicomImage,
  type DicomMetadata,
  type PixelSpacingMm,
  type ReadDicomOptions,
} from './parse';
export { decodeNativeFrame, decodeRleFrame, dicomFrame, encapsulatedFrame, nativeFrameBytes, type DicomFrame } from './pixels';
export { transferSyntaxLabel, TS, NATIVE_SYNTAXES, BROWSER_JPEG_SYNTAXES } from './uids';
export { inflateDeflatedDicom, deflatedDataSetStart, MAX_INFLATED_BYTES } from './deflate';
