/**
 * Scanner chrome of generator version 2, drawn per vendor layout (layouts.ts): header and title,
 * parameter column, depth ruler (ticks or dots, either side, with the focus marker), grey bar,
 * colour bars, body marker, annotation text and measurement calipers in several colours and
 * shapes with numbered read-outs. None of it depends on the class.
 */

import type { RgbaImage } from '../../imaging';
import { drawLine, drawText, fillRect, setPixel, strokeRect, type Rgb } from '../draw';
import type { Rng } from '../rng';
import type { CaliperShape, LayoutSpec } from './layouts';
import type { PhantomParamsV2 } from './params';
import { beamToWorld, toScreen, type BeamGeometry, type ScreenMap } from './probe';

export interface ChromeLabelsV2 {
  site: string;
  probe: string;
  preset: string;
  annotation: string;
  date: string;
  frameRate: number;
  mi: string;
  tis: string;
}

export function chromeLabelsV2(p: PhantomParamsV2, rng: Rng): ChromeLabelsV2 {
  const pad = (v: number): string => String(v).padStart(2, '0');
  const probes =
    p.probe === 'linear'
      ? ['L12-5', 'L15-7', '14L5', 'LA523', 'L18-4', 'ML6-15', '11L']
      : ['C5-1', 'C8-5', 'MC9-4', 'C6-2', '8C'];
  const side = rng.bool(0.5) ? 'RT' : 'LT';
  const annotations = [
    `${side} NECK ${p.level}`,
    `${side} LEVEL ${p.level}`,
    `${side} LN`,
    `${side} CERVICAL`,
    `LEVEL ${p.level} ${side}`,
    '',
  ];
  return {
    site: ['LS HOSPITAL', 'ENT CLINIC', 'RADIOLOGY 2', 'US ROOM 3', 'HEAD NECK', 'IMAGING DEPT'][rng.int(0, 5)]!,
    probe: probes[rng.int(0, probes.length - 1)]!,
    preset: ['SMALL PARTS', 'THYROID', 'NECK', 'SMP', 'SUPERFICIAL'][rng.int(0, 4)]!,
    annotation: annotations[rng.int(0, annotations.length - 1)]!,
    date: `20${rng.int(15, 26)}/${pad(rng.int(1, 12))}/${pad(rng.int(1, 28))} ${pad(rng.int(7, 18))}:${pad(rng.int(0, 59))}`,
    frameRate: rng.int(12, 48),
    mi: rng.uniform(0.4, 1.3).toFixed(1),
    tis: rng.uniform(0.1, 0.9).toFixed(1),
  };
}

export function drawFrame(img: RgbaImage, L: LayoutSpec, labels: ChromeLabelsV2, mode: string): void {
  if (L.headerBar) fillRect(img, 0, 0, img.width, 22, L.headerBar);
  drawText(img, 8, 7, labels.site, L.text);
  drawText(img, 8 + 6 * (labels.site.length + 2), 7, `${labels.probe}  ${labels.preset}`, L.accent);
  drawText(img, img.width - 8 - 16 * 6, 7, labels.date, L.text);
  drawText(img, img.width - 8 - 16 * 6, 16, `MI ${labels.mi} TIS ${labels.tis}`, L.text);
  if (L.footerBar) fillRect(img, 0, img.height - 26, img.width, 26, L.footerBar);
  drawText(img, L.params.x, L.params.y - 22 < 24 ? L.params.y + 150 : L.params.y - 22, mode, L.accent, 2);
}

export function drawParams(img: RgbaImage, L: LayoutSpec, x: number, y: number, lines: string[]): void {
  lines.forEach((line, k) => drawText(img, x, y + k * 11, line, k === 0 ? L.accent : L.text));
}

export function bmodeParamLines(p: PhantomParamsV2, labels: ChromeLabelsV2): string[] {
  return [
    p.probe === 'linear' ? 'B  LINEAR' : 'B  CONVEX',
    `${p.frequencyMHz.toFixed(1)}MHZ`,
    `G ${Math.round(50 + p.gainDb * 2)}`,
    `DR ${p.dynamicRangeDb}`,
    `FR ${labels.frameRate}`,
    `D ${(p.depthMm / 10).toFixed(1)}CM`,
    `SRI ${p.speckleSmoothing}`,
  ];
}

/** Depth ruler beside the imaging area: a tick or dot every 5 mm, labels every centimetre, focus marker. */
export function drawRuler(img: RgbaImage, L: LayoutSpec, m: ScreenMap, p: PhantomParamsV2, area = m.area): void {
  const x = L.ruler === 'right' ? area.x + area.width + 5 : area.x - 8;
  const top = m.originY;
  if (!L.rulerDots) drawLine(img, x, top, x, top + p.depthMm * m.pxPerMm, [140, 140, 140]);
  for (let mm = 0; mm <= p.depthMm; mm += 5) {
    const y = Math.round(top + mm * m.pxPerMm);
    const major = mm % 10 === 0;
    if (L.rulerDots) fillRect(img, x - (major ? 1 : 0), y - (major ? 1 : 0), major ? 3 : 2, major ? 3 : 2, L.text);
    else drawLine(img, x, y, x + (major ? 6 : 3) * (L.ruler === 'right' ? 1 : -1), y, L.text);
    if (major && mm > 0) drawText(img, L.ruler === 'right' ? x + 9 : x - 16, y - 3, String(mm / 10), L.text);
  }
  const fy = top + p.focusDepthMm * m.pxPerMm;
  const dir = L.ruler === 'right' ? -1 : 1;
  for (let k = 0; k < 5; k++) drawLine(img, x + dir * (2 + k), fy - k, x + dir * (2 + k), fy + k, [240, 200, 60]);
}

export function drawGreyBar(img: RgbaImage, x: number, y: number, h: number, frame: Rgb): void {
  for (let k = 0; k < h; k++) {
    const g = Math.round(255 * (1 - k / (h - 1)));
    fillRect(img, x, y + k, 8, 1, [g, g, g]);
  }
  strokeRect(img, x - 1, y - 1, 9, h + 1, frame);
}

/** Vertical colour bar: colour(t) with t = 1 at the top; labels above and below. */
export function drawColourBarV2(
  img: RgbaImage,
  x: number,
  y: number,
  h: number,
  colour: (t: number) => readonly [number, number, number],
  top: string,
  bottom: string,
  text: Rgb,
): void {
  for (let k = 0; k < h; k++) {
    const c = colour(1 - k / (h - 1));
    fillRect(img, x, y + k, 10, 1, [c[0], c[1], c[2]]);
  }
  strokeRect(img, x - 1, y - 1, 11, h + 1, [120, 120, 120]);
  drawText(img, x - 6, y - 11, top, text);
  drawText(img, x - 6, y + h + 4, bottom, text);
}

/** Probe-orientation mark and a small body marker (neck outline with the probe's position). */
export function drawMarkers(
  img: RgbaImage,
  L: LayoutSpec,
  area: { x: number; y: number; width: number; height: number },
  rng: Rng,
): void {
  fillRect(img, area.x + 4, area.y + 2, 6, 6, L.accent);
  const bx = area.x + (rng.bool(0.5) ? 8 : area.width - 46);
  const by = area.y + area.height - 44;
  strokeRect(img, bx, by, 36, 36, [150, 150, 150]);
  for (let t = 0; t < 40; t++) {
    const a = (t / 40) * Math.PI;
    setPixel(img, bx + 18 + 10 * Math.cos(a), by + 26 - 16 * Math.sin(a), [200, 200, 200]);
  }
  const py = by + rng.int(10, 26);
  const px = bx + rng.int(8, 26);
  fillRect(img, px - 5, py, 10, 2, L.accent);
}

/** Outline of a region given in beam coordinates, through the scan conversion (sector or steered box). */
export function drawBeamOutline(
  img: RgbaImage,
  g: BeamGeometry,
  m: ScreenMap,
  box: { l0: number; l1: number; j0: number; j1: number; skew?: number },
  colour: Rgb,
  dx = 0,
): void {
  const skew = box.skew ?? 0;
  const edge = (l0: number, j0: number, l1: number, j1: number): void => {
    const steps = 60;
    let prev: { x: number; y: number } | null = null;
    for (let k = 0; k <= steps; k++) {
      const t = k / steps;
      const j = j0 + (j1 - j0) * t;
      const w = beamToWorld(g, l0 + (l1 - l0) * t + (j - box.j0) * skew, j);
      const q = toScreen(m, w.x, w.z);
      if (prev) drawLine(img, prev.x + dx, prev.y, q.x + dx, q.y, colour);
      prev = q;
    }
  };
  edge(box.l0, box.j0, box.l1, box.j0);
  edge(box.l0, box.j1, box.l1, box.j1);
  edge(box.l0, box.j0, box.l0, box.j1);
  edge(box.l1, box.j0, box.l1, box.j1);
}

export function drawCaliper(img: RgbaImage, x: number, y: number, colour: Rgb, shape: CaliperShape): void {
  for (let d = -4; d <= 4; d++) {
    if (shape === 'plus') {
      setPixel(img, x + d, y, colour);
      setPixel(img, x, y + d, colour);
    } else if (shape === 'cross') {
      setPixel(img, x + d * 0.75, y + d * 0.75, colour);
      setPixel(img, x + d * 0.75, y - d * 0.75, colour);
    }
  }
  if (shape === 'ring') {
    for (let t = 0; t < 16; t++) setPixel(img, x + 3 * Math.cos((t * Math.PI) / 8), y + 3 * Math.sin((t * Math.PI) / 8), colour);
  }
}
