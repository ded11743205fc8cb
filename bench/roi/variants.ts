/**
 * Screenshots built around a real image, to test the image-area finder on what scanners and
 * archives produce: vendor chrome (header, coloured text column, gray bar, depth ruler with
 * ticks, coloured calipers and labels on the picture), a letterbox, a sector (curvilinear) mask,
 * a dual view, crops, resizing up and down, JPEG at quality 40–95. Each variant knows where the
 * picture lies (`truth`) and the box of its non-black pixels (`tight`).
 */

import jpeg from 'jpeg-js';
import type { ModalityId, RoiRect } from '../../src/domain';
import { cropRgba, resizeBilinearAntialias, type RgbaImage } from '../../src/imaging';
import { createImage, createRng, drawText, fillRect, blitRgba, type Rng } from '../../src/phantoms';

export const VARIANT_KINDS = ['plain', 'chrome', 'letterbox', 'sector', 'dual', 'crop-chrome', 'small-dark'] as const;
export type VariantKind = (typeof VARIANT_KINDS)[number];

export interface Variant {
  kind: VariantKind;
  image: RgbaImage;
  modality: ModalityId;
  /** The picture's rectangle in the screenshot. */
  truth: RoiRect;
  /** Box of the picture's visibly non-black pixels (what must be inside the proposal). */
  tight: RoiRect;
  jpegQuality: number | null;
  scale: number;
}

type Rgb = readonly [number, number, number];

function setPx(img: RgbaImage, x: number, y: number, c: Rgb): void {
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) return;
  img.data.set(c, (y * img.width + x) * 4);
}

/** Box of the rows and columns in which at least 2 % of the picture's pixels are visibly lit. */
function tightBox(img: RgbaImage, keep: Uint8Array | null): RoiRect {
  const rows = new Uint32Array(img.height),
    cols = new Uint32Array(img.width),
    rowN = new Uint32Array(img.height),
    colN = new Uint32Array(img.width);
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < img.width; x++) {
      const i = y * img.width + x;
      if (keep && !keep[i]) continue;
      rowN[y]!++;
      colN[x]!++;
      const p = i * 4;
      if (Math.max(img.data[p]!, img.data[p + 1]!, img.data[p + 2]!) > 20) {
        rows[y]!++;
        cols[x]!++;
      }
    }
  const lit = (c: number, n: number) => n > 0 && c >= 0.02 * n;
  let y0 = 0,
    y1 = img.height - 1,
    x0 = 0,
    x1 = img.width - 1;
  while (y0 < y1 && !lit(rows[y0]!, rowN[y0]!)) y0++;
  while (y1 > y0 && !lit(rows[y1]!, rowN[y1]!)) y1--;
  while (x0 < x1 && !lit(cols[x0]!, colN[x0]!)) x0++;
  while (x1 > x0 && !lit(cols[x1]!, colN[x1]!)) x1--;
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/** Fan-shaped mask of a curvilinear probe, apex above the picture's top centre. */
function sectorMask(w: number, h: number, rng: Rng): Uint8Array {
  const half = ((28 + rng.next() * 14) * Math.PI) / 180;
  const apexY = -h * (0.15 + rng.next() * 0.25);
  const cx = w / 2;
  const r0 = -apexY + h * 0.02;
  const r1 = h - apexY;
  const m = new Uint8Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const dx = x - cx,
        dy = y - apexY;
      const r = Math.hypot(dx, dy);
      const a = Math.atan2(dx, dy);
      m[y * w + x] = r >= r0 && r <= r1 && Math.abs(a) <= half ? 1 : 0;
    }
  return m;
}

function drawChrome(screen: RgbaImage, pic: RoiRect, bg: Rgb, rng: Rng): void {
  const textColours: Rgb[] = [
    [230, 230, 230],
    [250, 220, 60],
    [90, 220, 120],
    [120, 200, 255],
  ];
  const pick = () => textColours[Math.floor(rng.next() * textColours.length)]!;
  drawText(screen, 6, 6, 'ACME US-9 L12-4 NECK', pick(), pic.y > 40 ? 2 : 1);
  // A coloured parameter column to the right of the picture.
  const colX = pic.x + pic.width + 18 + Math.floor(rng.next() * 20);
  for (let k = 0; k < 8; k++)
    drawText(
      screen,
      colX,
      pic.y + 4 + k * 14,
      ['FR 27', 'GN 54', 'DR 66', 'PWR 100', 'MI 1.1', 'TIS 0.2', 'D 4.0', 'F 12M'][k]!,
      pick(),
    );
  // Depth ruler a few pixels right of the picture, with ticks.
  const rx = pic.x + pic.width + 3 + Math.floor(rng.next() * 6);
  for (let y = pic.y; y < pic.y + pic.height; y++) setPx(screen, rx, y, [200, 200, 200]);
  for (let y = pic.y; y < pic.y + pic.height; y += Math.max(8, Math.round(pic.height / 8)))
    for (let d = 0; d < 5; d++) setPx(screen, rx + d, y, [200, 200, 200]);
  // Gray bar on the left.
  const gx = Math.max(2, pic.x - 22);
  for (let y = 0; y < Math.min(120, pic.height); y++)
    fillRect(screen, gx, pic.y + y, 8, 1, [255 - y * 2, 255 - y * 2, 255 - y * 2]);
  // Calipers and a label drawn on the picture (yellow '+', green label).
  for (let k = 0; k < 2; k++) {
    const cx = pic.x + Math.floor(pic.width * (0.3 + 0.4 * rng.next()));
    const cy = pic.y + Math.floor(pic.height * (0.3 + 0.4 * rng.next()));
    for (let d = -4; d <= 4; d++) {
      setPx(screen, cx + d, cy, [250, 250, 110]);
      setPx(screen, cx, cy + d, [250, 250, 110]);
    }
  }
  drawText(screen, pic.x + 6, pic.y + 6, 'RT NECK LN', [90, 230, 120]);
  drawText(screen, 6, screen.height - 14, 'D1 12.4MM D2 7.1MM', [250, 250, 110]);
  void bg;
}

function jpegRoundTrip(img: RgbaImage, q: number): RgbaImage {
  const enc = jpeg.encode(
    { width: img.width, height: img.height, data: Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length) },
    q,
  );
  const dec = jpeg.decode(enc.data, { useTArray: true, formatAsRGBA: true });
  return { width: dec.width, height: dec.height, data: new Uint8ClampedArray(dec.data) };
}

function tint(img: RgbaImage): RgbaImage {
  const out = { width: img.width, height: img.height, data: new Uint8ClampedArray(img.data) };
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < img.width; x++) {
      const p = (y * img.width + x) * 4;
      const g = img.data[p]!;
      const t = Math.sin(x / 17) * Math.cos(y / 23);
      out.data.set(t > 0 ? [40, 110 + g / 3, 60] : [60, 60, 140 + g / 3], p);
    }
  return out;
}

/** One variant of `src`, chosen by `kind`, with random parameters from `seed`. */
export function makeVariant(src: RgbaImage, kind: VariantKind, seed: number): Variant {
  const rng = createRng(seed);
  let pic = src;
  if (kind === 'crop-chrome') {
    const fw = 0.7 + rng.next() * 0.25,
      fh = 0.7 + rng.next() * 0.25;
    const w = Math.round(src.width * fw),
      h = Math.round(src.height * fh);
    pic = cropRgba(src, {
      x: Math.floor(rng.next() * (src.width - w)),
      y: Math.floor(rng.next() * (src.height - h)),
      width: w,
      height: h,
    });
  }
  const scale = kind === 'small-dark' ? 0.55 + rng.next() * 0.3 : 0.6 + rng.next() * 2;
  pic = resizeBilinearAntialias(pic, Math.max(48, Math.round(pic.width * scale)), Math.max(48, Math.round(pic.height * scale)));
  if (kind === 'small-dark') {
    // Low gain: the whole picture dimmed to a third, as a dark, low-contrast frame.
    for (let p = 0; p < pic.data.length; p += 4)
      for (let c = 0; c < 3; c++) pic.data[p + c] = Math.round(pic.data[p + c]! * 0.35);
  }
  let keep: Uint8Array | null = null;
  if (kind === 'sector') {
    keep = sectorMask(pic.width, pic.height, rng);
    for (let i = 0; i < keep.length; i++) if (!keep[i]) pic.data.set([0, 0, 0], i * 4);
  }
  const bgChoices: Rgb[] = [
    [0, 0, 0],
    [0, 0, 0],
    [14, 16, 22],
    [26, 28, 36],
  ];
  const bg =
    kind === 'sector' || kind === 'letterbox' ? ([0, 0, 0] as Rgb) : bgChoices[Math.floor(rng.next() * bgChoices.length)]!;
  if (kind === 'sector' && keep) for (let i = 0; i < keep.length; i++) if (!keep[i]) pic.data.set(bg, i * 4);
  let screen: RgbaImage;
  let truth: RoiRect;
  let tight: RoiRect;
  const inner = tightBox(pic, keep);
  if (kind === 'plain') {
    screen = pic;
    truth = { x: 0, y: 0, width: pic.width, height: pic.height };
    tight = inner;
  } else if (kind === 'letterbox') {
    const top = Math.round(pic.height * (0.08 + rng.next() * 0.15));
    screen = createImage(pic.width, pic.height + 2 * top, bg);
    blitRgba(screen, pic, 0, top);
    truth = { x: 0, y: top, width: pic.width, height: pic.height };
    tight = { ...inner, y: inner.y + top };
  } else if (kind === 'dual') {
    const gap = 8 + Math.floor(rng.next() * 20);
    const left = 30 + Math.floor(rng.next() * 40),
      top = 40 + Math.floor(rng.next() * 40);
    screen = createImage(left + 2 * pic.width + gap + 60, top + pic.height + 40, bg);
    blitRgba(screen, pic, left, top);
    blitRgba(screen, tint(pic), left + pic.width + gap, top);
    drawText(screen, 6, 6, 'ELASTO  DUAL', [230, 230, 230], 2);
    truth = { x: left, y: top, width: pic.width, height: pic.height };
    tight = { ...inner, x: inner.x + left, y: inner.y + top };
  } else {
    const left = 40 + Math.floor(rng.next() * 120),
      right = 90 + Math.floor(rng.next() * 110),
      top = 30 + Math.floor(rng.next() * 60),
      bottom = 24 + Math.floor(rng.next() * 56);
    screen = createImage(left + pic.width + right, top + pic.height + bottom, bg);
    blitRgba(screen, pic, left, top);
    truth = { x: left, y: top, width: pic.width, height: pic.height };
    tight = { ...inner, x: inner.x + left, y: inner.y + top };
    drawChrome(screen, truth, bg, rng);
  }
  const q = kind === 'plain' && rng.next() < 0.5 ? null : 40 + Math.floor(rng.next() * 56);
  if (q !== null) screen = jpegRoundTrip(screen, q);
  return { kind, image: screen, modality: 'bmode', truth, tight, jpegQuality: q, scale };
}

/** Correct: every visible picture pixel inside, and nothing beyond the picture (a small tolerance). */
export function areaCorrect(p: RoiRect, v: Variant): boolean {
  const tol = (side: number) => Math.max(3, Math.round(0.03 * side));
  const tx = tol(v.truth.width),
    ty = tol(v.truth.height);
  const inside =
    p.x <= v.tight.x + tx &&
    p.y <= v.tight.y + ty &&
    p.x + p.width >= v.tight.x + v.tight.width - tx &&
    p.y + p.height >= v.tight.y + v.tight.height - ty;
  const noChrome =
    p.x >= v.truth.x - tx &&
    p.y >= v.truth.y - ty &&
    p.x + p.width <= v.truth.x + v.truth.width + tx &&
    p.y + p.height <= v.truth.y + v.truth.height + ty;
  return inside && noChrome;
}
