/** Region-of-interest geometry in image pixel coordinates. */

import type { RgbaImage } from './resize';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const MIN_ROI_SIDE = 8;

export function fullRect(width: number, height: number): Rect {
  return { x: 0, y: 0, width, height };
}

/** Snaps a rectangle to whole pixels inside the image, keeping at least MIN_ROI_SIDE per side. */
export function clampRect(r: Rect, imageWidth: number, imageHeight: number): Rect {
  const minW = Math.min(MIN_ROI_SIDE, imageWidth);
  const minH = Math.min(MIN_ROI_SIDE, imageHeight);
  const width = Math.min(Math.max(Math.round(r.width), minW), imageWidth);
  const height = Math.min(Math.max(Math.round(r.height), minH), imageHeight);
  const x = Math.min(Math.max(Math.round(r.x), 0), imageWidth - width);
  const y = Math.min(Math.max(Math.round(r.y), 0), imageHeight - height);
  return { x, y, width, height };
}

/** Copies the pixels of `rect` (clamped to the image) out of an RGBA image. */
export function cropRgba(img: RgbaImage, rect: Rect): RgbaImage {
  const r = clampRect(rect, img.width, img.height);
  const out = new Uint8ClampedArray(r.width * r.height * 4);
  for (let y = 0; y < r.height; y++) {
    const from = ((r.y + y) * img.width + r.x) * 4;
    out.set(img.data.subarray(from, from + r.width * 4), y * r.width * 4);
  }
  return { width: r.width, height: r.height, data: out };
}
