/**
 * Image decoding (no model involved). The bytes are identified first; DICOM is read in TS (JPEG
 * frames by the browser's decoder); huge images are downscaled while decoding, EXIF orientation is
 * applied by the browser, and the result keeps raw pixel values (no colour-space conversion) so they
 * match what training saw.
 *
 * In the page, `decodeImageFile` runs the work in a small imaging worker with a time limit, so a
 * pathological file can neither freeze the UI nor leave a hung decode behind: past the limit the
 * worker is terminated and the user gets a clear error.
 */

import {
  decodeNativeFrame,
  decodeRleFrame,
  encapsulatedFrame,
  inflateDeflatedDicom,
  isDicom,
  readDicom,
  type DicomMetadata,
} from './dicom';
import { ImageInputError, type ImageErrorCode } from './errors';
import type { RgbaImage } from './resize';
import type { Rect } from './roi';
import { jpegSize, sniffImage } from './sniff';

/** Longest side kept after decoding: far above the 224-pixel model input, small enough for any GPU. */
export const MAX_DECODED_SIDE = 2048;
/**
 * Memory budget of one decode: the full-size RGBA pixels (width × height × 4 bytes) must fit in
 * 512 MiB. The browser decodes PNG, BMP and WebP at full size even when asked for a smaller bitmap,
 * and nothing guarantees a reduced-size JPEG decode, so the budget is counted at full size for every
 * format; within it, images are still downscaled while decoding. 512 MiB is about 11,585 × 11,585
 * pixels, far above any ultrasound frame, and leaves room for the canvas copy in a worker on a
 * 4 GB machine.
 */
export const MAX_DECODE_BYTES = 512 * 1024 * 1024;
/** The pixel count the budget allows (kept under its old name for callers). */
export const MAX_SOURCE_PIXELS = MAX_DECODE_BYTES / 4;

/** Refuses, before any decode, an image whose full-size pixels would not fit in the memory budget. */
export function checkDecodeBudget(width: number, height: number, name: string): void {
  const bytes = width * height * 4;
  if (bytes > MAX_DECODE_BYTES) {
    const mb = (n: number) => Math.round(n / (1024 * 1024));
    throw new ImageInputError(
      'over-budget',
      name,
      `${width}×${height} pixels need ${mb(bytes)} MB; the limit is ${mb(MAX_DECODE_BYTES)} MB`,
    );
  }
}
export const MIN_SIDE = 16;
/** A decode that takes longer than this is abandoned (the worker is terminated). */
export const DECODE_TIMEOUT_MS = 20_000;

export interface DecodedImage {
  pixels: RgbaImage;
  /** Size of the file's image before any downscaling. */
  sourceWidth: number;
  sourceHeight: number;
  downscaled: boolean;
  kind: string;
  /** Number of frames in the file (DICOM cine); absent or 1 for still images. */
  frames?: number;
  /** The frame these pixels come from (0-based). */
  frameIndex?: number;
  /** Physical size of one pixel of `pixels` (after any downscaling), when the file states it. */
  pixelSpacingMm?: { x: number; y: number } | null;
  /** The ultrasound image area the file declares (DICOM ultrasound regions), in `pixels` coordinates. */
  imageArea?: Rect | null;
  /** Every DICOM ultrasound region with a physical scale, in `pixels` coordinates and mm per pixel. */
  regionSpacingsMm?: { rect: Rect; x: number; y: number }[];
  /** Where `pixelSpacingMm` comes from. */
  spacingSource?: 'PixelSpacing' | 'UltrasoundRegion';
  /** DICOM description; identifying attributes only when the user opted in. */
  dicom?: DicomMetadata;
}

export interface DecodeOptions {
  /** Frame of a multi-frame file to decode (0-based). */
  frame?: number;
  /** Keep patient-identifying DICOM attributes (off unless the user opts in). */
  keepIdentifying?: boolean;
  /** Time limit for the imaging worker. */
  timeoutMs?: number;
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

const BITMAP_BASE: ImageBitmapOptions = {
  colorSpaceConversion: 'none',
  premultiplyAlpha: 'none',
  imageOrientation: 'from-image',
};

/** Decodes an encoded image (PNG, JPEG, …) with the browser, downscaling huge ones during decode. */
async function decodeEncoded(
  bytes: Uint8Array,
  mime: string,
  name: string,
  hw: number,
  hh: number,
): Promise<{ pixels: RgbaImage; downscaled: boolean; width: number; height: number }> {
  checkDecodeBudget(hw, hh, name);
  const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mime });
  const resize = targetSize(hw, hh);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(
      blob,
      resize
        ? hw >= hh
          ? { ...BITMAP_BASE, resizeWidth: resize.width, resizeQuality: 'high' }
          : { ...BITMAP_BASE, resizeHeight: resize.height, resizeQuality: 'high' }
        : BITMAP_BASE,
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
      downscaled: resize !== null || again !== null,
      width: hw,
      height: hh,
    };
  } finally {
    bitmap.close();
  }
}

/** Shrinks already-decoded pixels (DICOM) whose longest side exceeds MAX_DECODED_SIDE. */
async function shrinkPixels(img: RgbaImage): Promise<{ pixels: RgbaImage; downscaled: boolean }> {
  const t = targetSize(img.width, img.height);
  if (!t) return { pixels: img, downscaled: false };
  const data = new ImageData(new Uint8ClampedArray(img.data), img.width, img.height);
  const bitmap = await createImageBitmap(data, { resizeWidth: t.width, resizeHeight: t.height, resizeQuality: 'high' });
  try {
    return { pixels: readPixels(bitmap), downscaled: true };
  } finally {
    bitmap.close();
  }
}

function scaleRect(r: Rect, sx: number, sy: number): Rect {
  return { x: Math.round(r.x * sx), y: Math.round(r.y * sy), width: Math.round(r.width * sx), height: Math.round(r.height * sy) };
}

async function decodeDicom(bytes: Uint8Array, name: string, opts: DecodeOptions): Promise<DecodedImage> {
  const inflated = await inflateDeflatedDicom(bytes, name);
  const img = readDicom(bytes, name, { keepIdentifying: opts.keepIdentifying === true, inflated });
  if (img.columns < MIN_SIDE || img.rows < MIN_SIDE) throw new ImageInputError('too-small', name, `${img.columns}×${img.rows}`);
  checkDecodeBudget(img.columns, img.rows, name);
  const frame = opts.frame ?? 0;
  let pixels: RgbaImage;
  let downscaled: boolean;
  if (img.compression === 'rle') {
    ({ pixels, downscaled } = await shrinkPixels(decodeRleFrame(img, frame, name)));
  } else if (img.compression === 'jpeg') {
    // The JPEG stream states its own size, which the decoder obeys: that size, not Rows/Columns, is budgeted.
    const jpeg = encapsulatedFrame(img, frame, name);
    const inner = jpegSize(jpeg);
    if (inner === null || inner === 'damaged')
      throw new ImageInputError('dicom-damaged', name, 'JPEG frame without a frame header');
    ({ pixels, downscaled } = await decodeEncoded(jpeg, 'image/jpeg', name, inner.width, inner.height));
  } else {
    ({ pixels, downscaled } = await shrinkPixels(decodeNativeFrame(img, frame, name)));
  }
  const sx = pixels.width / img.columns;
  const sy = pixels.height / img.rows;
  const spacing = img.pixelSpacingMm;
  const area = img.regions.find((r) => r.x + r.width <= img.columns && r.y + r.height <= img.rows) ?? null;
  return {
    pixels,
    sourceWidth: img.columns,
    sourceHeight: img.rows,
    downscaled,
    kind: 'dicom',
    frames: img.frames,
    frameIndex: frame,
    pixelSpacingMm: spacing ? { x: spacing.x / sx, y: spacing.y / sy } : null,
    imageArea: area ? scaleRect(area, sx, sy) : null,
    regionSpacingsMm: img.regionSpacings.map((r) => ({ rect: scaleRect(r.rect, sx, sy), x: r.x / sx, y: r.y / sy })),
    ...(spacing ? { spacingSource: spacing.source } : {}),
    dicom: img.metadata,
  };
}

/** Decodes in the current thread (worker or page). Every failure is an ImageInputError. */
export async function decodeImageBytes(bytes: Uint8Array, name: string, opts: DecodeOptions = {}): Promise<DecodedImage> {
  try {
    if (isDicom(bytes)) return await decodeDicom(bytes, name, opts);
    const sniff = sniffImage(bytes);
    if (!sniff.ok) throw new ImageInputError(sniff.problem, name, sniff.detail);
    const { width: hw, height: hh } = sniff;
    checkDecodeBudget(hw, hh, name);
    if (hw < MIN_SIDE || hh < MIN_SIDE) throw new ImageInputError('too-small', name, `${hw}×${hh}`);
    const r = await decodeEncoded(bytes, `image/${sniff.kind}`, name, hw, hh);
    return { pixels: r.pixels, sourceWidth: r.width, sourceHeight: r.height, downscaled: r.downscaled, kind: sniff.kind };
  } catch (e) {
    if (e instanceof ImageInputError) throw e;
    // Anything else (a parser's RangeError, an allocation failure) still becomes a clear message.
    throw new ImageInputError('decode-failed', name, e instanceof Error ? e.message.slice(0, 160) : String(e).slice(0, 160));
  }
}

// ---- the imaging worker -------------------------------------------------------------------------

export interface DecodeRequest {
  id: number;
  bytes: ArrayBuffer;
  name: string;
  opts: DecodeOptions;
}

export type DecodeResponse =
  { id: number; ok: true; image: DecodedImage } | { id: number; ok: false; code: ImageErrorCode; detail?: string };

interface Pending {
  resolve(image: DecodedImage): void;
  reject(e: Error): void;
  timer: ReturnType<typeof setTimeout>;
  req: DecodeRequest;
  timeoutMs: number;
}

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, Pending>();

function settle(msg: DecodeResponse): void {
  const p = pending.get(msg.id);
  if (!p) return;
  pending.delete(msg.id);
  clearTimeout(p.timer);
  if (msg.ok) p.resolve(msg.image);
  else p.reject(new ImageInputError(msg.code, p.req.name, msg.detail));
}

function imagingWorker(): Worker | null {
  if (worker) return worker;
  if (typeof Worker === 'undefined' || !('window' in globalThis)) return null;
  try {
    worker = new Worker(new URL('./decode-worker.ts', import.meta.url), { type: 'module', name: 'lymphscope-imaging' });
  } catch {
    return null;
  }
  worker.onmessage = (e: MessageEvent<DecodeResponse>) => settle(e.data);
  worker.onerror = (e) => {
    // The worker died (e.g. out of memory): nothing tells which file did it, so every decode in
    // flight fails with a clear message and the next one starts a fresh worker.
    e.preventDefault();
    worker?.terminate();
    worker = null;
    for (const [id, p] of pending) {
      clearTimeout(p.timer);
      pending.delete(id);
      p.reject(new ImageInputError('decode-failed', p.req.name, e.message || 'imaging worker stopped'));
    }
  };
  return worker;
}

function dispatch(id: number, p: Pending): void {
  const w = imagingWorker();
  if (!w) {
    pending.delete(id);
    decodeImageBytes(new Uint8Array(p.req.bytes), p.req.name, p.req.opts).then(
      (image) => p.resolve(image),
      (e: unknown) => p.reject(e instanceof Error ? e : new Error(String(e))),
    );
    return;
  }
  p.timer = setTimeout(() => onTimeout(id), p.timeoutMs);
  // Copied, not transferred: if another file hangs the worker, this request is sent again.
  w.postMessage(p.req);
}

function onTimeout(id: number): void {
  const stuck = pending.get(id);
  if (!stuck) return;
  pending.delete(id);
  worker?.terminate();
  worker = null;
  stuck.reject(new ImageInputError('decode-timeout', stuck.req.name, `${Math.round(stuck.timeoutMs / 1000)} s`));
  // Other decodes were queued behind the stuck one: give them a fresh worker.
  for (const [other, p] of pending) {
    clearTimeout(p.timer);
    dispatch(other, p);
  }
}

/**
 * Decodes an image file chosen, dropped or pasted by the user. In the page the work runs in the
 * imaging worker under a time limit; without workers it runs in the current thread.
 */
export async function decodeImageFile(file: Blob, name: string, opts: DecodeOptions = {}): Promise<DecodedImage> {
  let buffer: ArrayBuffer;
  try {
    buffer = await file.arrayBuffer();
  } catch (e) {
    throw new ImageInputError('decode-failed', name, (e as Error).message);
  }
  if (!imagingWorker()) return decodeImageBytes(new Uint8Array(buffer), name, opts);
  const { timeoutMs = DECODE_TIMEOUT_MS, ...rest } = opts;
  const id = nextId++;
  return new Promise<DecodedImage>((resolve, reject) => {
    const p: Pending = {
      resolve,
      reject,
      timer: setTimeout(() => undefined, 0),
      req: { id, bytes: buffer, name, opts: rest },
      timeoutMs,
    };
    pending.set(id, p);
    dispatch(id, p);
  });
}
