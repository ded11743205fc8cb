/**
 * What was measured on the node of one modality's image, kept with its result (history, report).
 * Lengths in the pixels of the image as the app holds it, and in millimetres when a scale was
 * known; where the region and the scale came from, so a reader can judge them.
 */

export const ROI_SOURCES = ['node', 'image-area', 'whole', 'user'] as const;
export type RoiSource = (typeof ROI_SOURCES)[number];

export const SCALE_SOURCES = ['dicom-pixel-spacing', 'dicom-region', 'user'] as const;
export type MeasurementScaleSource = (typeof SCALE_SOURCES)[number];

export interface NodeMeasurement {
  roiSource: RoiSource;
  /** Long axis (longest diameter) and short axis (longest perpendicular to it), image pixels. */
  longAxisPx: number;
  shortAxisPx: number;
  /** Short / long. */
  ratio: number;
  longAxisMm: number | null;
  shortAxisMm: number | null;
  scaleSource: MeasurementScaleSource | null;
}
