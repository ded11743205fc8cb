/**
 * Scanner chrome around the imaging field, as on real screenshots: header with site/probe/preset
 * and date, acquisition parameters, grey-scale bar, depth scale with focus marker, orientation mark,
 * colour bars. None of it depends on the class.
 */

import type { RgbaImage } from '../imaging';
import { drawLine, drawText, fillRect, setPixel, strokeRect, type Rgb } from './draw';
import { FIELD_HEIGHT, FIELD_WIDTH, MM_PER_PX, pxFromMm } from './layout';
import type { Rng } from './rng';
import type { PhantomParams } from './types';

const TEXT: Rgb = [215, 215, 215];
const DIM: Rgb = [140, 140, 140];
const ACCENT: Rgb = [120, 200, 235];

export interface ChromeLabels {
  site: string;
  probe: string;
  preset: string;
  side: string;
  date: string;
  frameRate: number;
}

export function chromeLabels(rng: Rng): ChromeLabels {
  const pad = (v: number): string => String(v).padStart(2, '0');
  return {
    site: ['LS HOSPITAL', 'ENT CLINIC', 'RADIOLOGY 2', 'US ROOM 3'][rng.int(0, 3)]!,
    probe: ['L12-5', 'L15-4', 'L18-4', 'ML6-15'][rng.int(0, 3)]!,
    preset: ['SMALL PARTS', 'THYROID', 'NECK'][rng.int(0, 2)]!,
    side: `${rng.bool(0.5) ? 'RT' : 'LT'} NECK ${['IB', 'II', 'III', 'IV', 'V'][rng.int(0, 4)]!}`,
    date: `20${rng.int(19, 26)}/${pad(rng.int(1, 12))}/${pad(rng.int(1, 28))} ${pad(rng.int(7, 18))}:${pad(rng.int(0, 59))}`,
    frameRate: rng.int(18, 42),
  };
}

export function drawHeader(img: RgbaImage, labels: ChromeLabels, mode: string): void {
  fillRect(img, 0, 0, img.width, 22, [18, 22, 30]);
  drawText(img, 8, 7, labels.site, TEXT);
  drawText(img, 100, 7, `${labels.probe}  ${labels.preset}`, ACCENT);
  drawText(img, img.width - 8 - 16 * 6, 7, labels.date, TEXT);
  drawText(img, 8, 30, mode, TEXT, 2);
}

export function drawAcquisitionPanel(img: RgbaImage, x: number, y: number, lines: string[]): void {
  lines.forEach((line, k) => drawText(img, x, y + k * 11, line, k === 0 ? ACCENT : TEXT));
}

export function bmodeLines(p: PhantomParams, labels: ChromeLabels): string[] {
  return [
    'B',
    `${p.frequencyMHz.toFixed(1)}MHZ`,
    `G ${Math.round(50 + p.gainDb * 2)}`,
    `DR ${p.dynamicRangeDb}`,
    `FR ${labels.frameRate}`,
    `D ${((FIELD_HEIGHT * MM_PER_PX) / 10).toFixed(1)}CM`,
    'AO 100%',
  ];
}

/** Depth ruler to the right of a field: ticks every 5 mm, labels every centimetre, focus marker. */
export function drawDepthScale(img: RgbaImage, fieldX: number, fieldY: number, focusDepthMm: number): void {
  const x = fieldX + FIELD_WIDTH + 4;
  drawLine(img, x, fieldY, x, fieldY + FIELD_HEIGHT, DIM);
  for (let mm = 0; mm * 10 <= FIELD_HEIGHT * MM_PER_PX * 10; mm += 5) {
    const y = fieldY + pxFromMm(mm);
    if (y > fieldY + FIELD_HEIGHT) break;
    const major = mm % 10 === 0;
    drawLine(img, x, y, x + (major ? 7 : 4), y, TEXT);
    if (major) drawText(img, x + 10, y - 3, String(mm / 10), TEXT);
  }
  // Focus marker: a small left-pointing triangle.
  const fy = fieldY + pxFromMm(focusDepthMm);
  for (let k = 0; k < 5; k++) drawLine(img, x - 2 - k, fy - k, x - 2 - k, fy + k, [240, 200, 60]);
}

/** Vertical grey map bar. */
export function drawGrayBar(img: RgbaImage, x: number, y: number, h: number): void {
  for (let k = 0; k < h; k++) {
    const g = Math.round(255 * (1 - k / (h - 1)));
    fillRect(img, x, y + k, 8, 1, [g, g, g]);
  }
  strokeRect(img, x - 1, y - 1, 9, h + 1, DIM);
}

/** Probe orientation mark at the top-left corner of the field. */
export function drawOrientationMark(img: RgbaImage, fieldX: number, fieldY: number): void {
  fillRect(img, fieldX + 4, fieldY - 10, 7, 7, ACCENT);
}

/** Vertical colour bar: colour(t) with t = 1 at the top, 0 at the bottom; labels above and below. */
export function drawColourBar(
  img: RgbaImage,
  x: number,
  y: number,
  h: number,
  colour: (t: number) => readonly [number, number, number],
  top: string,
  bottom: string,
): void {
  for (let k = 0; k < h; k++) {
    const c = colour(1 - k / (h - 1));
    fillRect(img, x, y + k, 10, 1, [c[0], c[1], c[2]]);
  }
  strokeRect(img, x - 1, y - 1, 11, h + 1, DIM);
  drawText(img, x - 6, y - 11, top, TEXT);
  drawText(img, x - 6, y + h + 4, bottom, TEXT);
}

export function drawFooter(img: RgbaImage, labels: ChromeLabels, x: number): void {
  drawText(img, x, img.height - 18, labels.side, TEXT);
  drawText(img, img.width - 60, img.height - 18, '1/1', DIM);
}

/** Compression-quality indicator of strain elastography: a row of segments, some lit. */
export function drawPressureIndicator(img: RgbaImage, x: number, y: number, level: number): void {
  for (let k = 0; k < 7; k++) {
    const lit = k < level;
    fillRect(img, x + k * 9, y, 7, 10, lit ? [90, 210, 90] : [45, 45, 45]);
  }
}

/** Measurement calipers ('+') with their readout, as left on many archived screenshots. */
export function drawCalipers(
  img: RgbaImage,
  points: { x: number; y: number }[],
  readout: string,
  textX: number,
  textY: number,
): void {
  for (const pt of points) {
    for (let d = -3; d <= 3; d++) {
      setPixel(img, pt.x + d, pt.y, [250, 250, 120]);
      setPixel(img, pt.x, pt.y + d, [250, 250, 120]);
    }
  }
  drawText(img, textX, textY, readout, [250, 250, 120]);
}
