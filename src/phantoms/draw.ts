/** Minimal raster drawing on RGBA images: rectangles, lines, text, and blitting the imaging field. */

import type { RgbaImage } from '../imaging';
import { GLYPH_ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyphRows } from './font';

export type Rgb = readonly [number, number, number];

export function createImage(width: number, height: number, background: Rgb = [0, 0, 0]): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < 4; i++) data[i] = i < 3 ? background[i]! : 255;
  // Replicate the first pixel by doubling copies: far fewer operations than a per-byte loop.
  for (let filled = 4; filled < data.length; filled *= 2) data.copyWithin(filled, 0, Math.min(filled, data.length - filled));
  return { width, height, data };
}

export function setPixel(img: RgbaImage, x: number, y: number, c: Rgb): void {
  x = Math.round(x);
  y = Math.round(y);
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) return;
  const o = (y * img.width + x) * 4;
  img.data[o] = c[0];
  img.data[o + 1] = c[1];
  img.data[o + 2] = c[2];
  img.data[o + 3] = 255;
}

export function fillRect(img: RgbaImage, x: number, y: number, w: number, h: number, c: Rgb): void {
  const xa = Math.max(0, Math.round(x));
  const xb = Math.min(img.width, Math.round(x + w));
  for (let yy = Math.max(0, Math.round(y)); yy < Math.min(img.height, Math.round(y + h)); yy++) {
    for (let xx = xa; xx < xb; xx++) {
      const o = (yy * img.width + xx) * 4;
      img.data[o] = c[0];
      img.data[o + 1] = c[1];
      img.data[o + 2] = c[2];
      img.data[o + 3] = 255;
    }
  }
}

/** Straight line (DDA), optionally dashed with `dash` pixels on and off. */
export function drawLine(img: RgbaImage, x0: number, y0: number, x1: number, y1: number, c: Rgb, dash = 0): void {
  const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
  for (let s = 0; s <= steps; s++) {
    if (dash > 0 && Math.floor(s / dash) % 2 === 1) continue;
    setPixel(img, x0 + ((x1 - x0) * s) / steps, y0 + ((y1 - y0) * s) / steps, c);
  }
}

export function strokeRect(img: RgbaImage, x: number, y: number, w: number, h: number, c: Rgb, dash = 0): void {
  drawLine(img, x, y, x + w, y, c, dash);
  drawLine(img, x, y + h, x + w, y + h, c, dash);
  drawLine(img, x, y, x, y + h, c, dash);
  drawLine(img, x + w, y, x + w, y + h, c, dash);
}

export function drawText(img: RgbaImage, x: number, y: number, text: string, c: Rgb, scale = 1): void {
  for (let k = 0; k < text.length; k++) {
    const rows = glyphRows(text[k]!);
    if (!rows) continue;
    const gx = x + k * GLYPH_ADVANCE * scale;
    for (let r = 0; r < GLYPH_HEIGHT; r++) {
      const bits = rows[r]!;
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if ((bits >> (GLYPH_WIDTH - 1 - col)) & 1) fillRect(img, gx + col * scale, y + r * scale, scale, scale, c);
      }
    }
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Copies an RGB field (3 bytes per pixel) into the image at (ox, oy), clipped. */
export function blitRgb(img: RgbaImage, rgb: Uint8Array, width: number, height: number, ox: number, oy: number): void {
  const xa = Math.max(0, -ox);
  const xb = Math.min(width, img.width - ox);
  const aligned = LITTLE_ENDIAN && img.data.byteOffset % 4 === 0;
  // One 32-bit store per pixel instead of four clamped byte stores: this copy runs three times per case.
  const words = aligned ? new Uint32Array(img.data.buffer, img.data.byteOffset, img.width * img.height) : null;
  for (let y = 0; y < height; y++) {
    const ty = oy + y;
    if (ty < 0 || ty >= img.height) continue;
    const row = ty * img.width + ox;
    for (let x = xa; x < xb; x++) {
      const i = (y * width + x) * 3;
      if (words) {
        words[row + x] = (0xff000000 | (rgb[i + 2]! << 16) | (rgb[i + 1]! << 8) | rgb[i]!) >>> 0;
      } else {
        const o = (row + x) * 4;
        img.data[o] = rgb[i]!;
        img.data[o + 1] = rgb[i + 1]!;
        img.data[o + 2] = rgb[i + 2]!;
        img.data[o + 3] = 255;
      }
    }
  }
}

/** Expands a grey field into RGB, with the slight tint of a scanner's grey map. */
export function grayToRgb(gray: Uint8Array, tint: Rgb = [1, 1, 1]): Uint8Array {
  const rgb = new Uint8Array(gray.length * 3);
  for (let i = 0; i < gray.length; i++) {
    const g = gray[i]!;
    rgb[i * 3] = g * tint[0];
    rgb[i * 3 + 1] = g * tint[1];
    rgb[i * 3 + 2] = g * tint[2];
  }
  return rgb;
}

/** Copies an RGBA image into another at (ox, oy), clipped. */
export function blitRgba(dst: RgbaImage, src: RgbaImage, ox: number, oy: number): void {
  for (let y = 0; y < src.height; y++) {
    const ty = oy + y;
    if (ty < 0 || ty >= dst.height) continue;
    const x0 = Math.max(0, -ox);
    const x1 = Math.min(src.width, dst.width - ox);
    if (x1 <= x0) continue;
    dst.data.set(src.data.subarray((y * src.width + x0) * 4, (y * src.width + x1) * 4), (ty * dst.width + ox + x0) * 4);
  }
}
