/**
 * Browser image decoding (UI thread or worker; no model involved). The bytes are identified first,
 * huge images are downscaled while decoding, EXIF orientation is applied by the browser, and the
 * result keeps raw pixel values (no colour-space conversion) so they match what training saw.
 */

import { ImageInputError } from './errors';
import type { RgbaImage } from './resize';
import { sniffImage } from './sniff';

/** Longest side kept after decoding: far above the 224-pixel model input, small enough for any GPU. */
export const MAX_DECODED_SIDE = 2048;
/** Images beyond this are refused outright: decoding them could exhaust memory. */
export const MAX_SOURCE_PIXELS = 20_000 * 20_000;
export const MIN_SIDE = 16;

export interface DecodedImage {
  pixels: RgbaImage;
  /** Size of the file's image before any downscaling. */
  sourceWidth: number;
  sourceHeight: number;
  downscaled: boolean;
  kind: string;
}

function targetSize(w: number, h: number): { width: number; height: number } | null {
  const longest = Math.max(w, h);
  if (longest <= MAX_DECODED_SIDE) return null;
  const s = MAX_DECODED_SIDE / longest;
  return { width: Math.max(1, Math.round(w * s)), height: Math.max(1, Math.round(h * s)) };
}

function readPixels(bitmap: ImageBitmap): RgbaImage {
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('2D canvas unavailable');
  ctx.drawImage(bitmap, 0, 0);
  const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
  return { width: bitmap.width, height: bitmap.height, data };
}

export async function decodeImageFile(file: Blob, name: string): Promise<DecodedImage> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const sniff = sniffImage(bytes);
  if (!sniff.ok) {
    if (sniff.problem === 'unsupported' && sniff.detail === 'DICOM') throw new ImageInputError('dicom-unsupported', name);
    throw new ImageInputError(sniff.problem, name, sniff.detail);
  }
  const { width: hw, height: hh } = sniff;
  if (hw !== null && hh !== null) {
    if (hw * hh > MAX_SOURCE_PIXELS) throw new ImageInputError('too-large', name, `${hw}×${hh}`);
    if (hw < MIN_SIDE || hh < MIN_SIDE) throw new ImageInputError('too-small', name, `${hw}×${hh}`);
  }
  const blob = new Blob([bytes], { type: `image/${sniff.kind}` });
  const base: ImageBitmapOptions = { colorSpaceConversion: 'none', premultiplyAlpha: 'none', imageOrientation: 'from-image' };
  const resize = hw !== null && hh !== null ? targetSize(hw, hh) : null;
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(
      blob,
      resize
        ? hw! >= hh!
          ? { ...base, resizeWidth: resize.width, resizeQuality: 'high' }
          : { ...base, resizeHeight: resize.height, resizeQuality: 'high' }
        : base,
    );
  } catch (e) {
    throw new ImageInputError('decode-failed', name, (e as Error).message);
  }
  try {
    // EXIF rotation can make the bitmap's longest side differ from the header's: shrink once more if so.
    const again = targetSize(bitmap.width, bitmap.height);
    if (again) {
      const smaller = await createImageBitmap(bitmap, {
        resizeWidth: again.width,
        resizeHeight: again.height,
        resizeQuality: 'high',
      });
      bitmap.close();
      bitmap = smaller;
    }
    if (bitmap.width < MIN_SIDE || bitmap.height < MIN_SIDE)
      throw new ImageInputError('too-small', name, `${bitmap.width}×${bitmap.height}`);
    return {
      pixels: readPixels(bitmap),
      sourceWidth: hw ?? bitmap.width,
      sourceHeight: hh ?? bitmap.height,
      downscaled: resize !== null || again !== null,
      kind: sniff.kind,
    };
  } finally {
    bitmap.close();
  }
}
