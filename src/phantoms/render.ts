/**
 * Turns sampled parameters into the three scanner screenshots, the ROIs and the masks.
 * Deterministic: the render stream is seeded from (seed, class), independent of the sampler's.
 */

import { type RgbaImage, clampRect, type Rect } from '../imaging';
import { renderBmodeField } from './bmode';
import {
  bmodeLines,
  chromeLabels,
  drawAcquisitionPanel,
  drawCalipers,
  drawColourBar,
  drawDepthScale,
  drawFooter,
  drawGrayBar,
  drawHeader,
  drawOrientationMark,
  drawPressureIndicator,
  type ChromeLabels,
} from './chrome';
import { colourBoxFor, dopplerMap, flowColour, paintColourFlow, type ColourBox } from './doppler';
import { blitRgb, createImage, drawLine, grayToRgb, strokeRect, type Rgb } from './draw';
import { elastoBoxFor, paintStrain, relativeStrain, strainColour } from './elastography';
import {
  BMODE_FIELD_ORIGIN,
  BMODE_SCREEN,
  ELASTO_BMODE_ORIGIN,
  ELASTO_SCREEN,
  ELASTO_STRAIN_ORIGIN,
  FIELD_HEIGHT,
  FIELD_WIDTH,
  MM_PER_PX,
} from './layout';
import { fromNodeFrame } from './node-shape';
import { createRng, hashSeed, type Rng } from './rng';
import { buildScene, type Scene } from './scene';
import { CLASS_NAMES, type PhantomCase, type PhantomMasks, type PhantomParams } from './types';
import { generateVessels } from './vessels';

const BOX_LINE: Rgb = [200, 200, 200];

export function renderCase(p: PhantomParams): PhantomCase {
  const rng = createRng(hashSeed(p.seed, p.cls, 'render'));
  const chromeRng = createRng(hashSeed(p.seed, p.cls, 'chrome'));
  const labels = chromeLabels(chromeRng);
  const scene = buildScene(p, rng);
  const gray = renderBmodeField(scene, p, rng);
  // A slight warm/cool tint, as scanners' grey maps have.
  const tint: Rgb = [1, chromeRng.uniform(0.96, 1), chromeRng.uniform(0.9, 1)];
  const bmodeRgb = grayToRgb(gray, tint);
  const calipers = chromeRng.bool(0.35);

  const bmode = createImage(BMODE_SCREEN.width, BMODE_SCREEN.height);
  blitRgb(bmode, bmodeRgb, FIELD_WIDTH, FIELD_HEIGHT, BMODE_FIELD_ORIGIN.x, BMODE_FIELD_ORIGIN.y);
  drawScreenChrome(bmode, p, labels, 'B', BMODE_FIELD_ORIGIN, bmodeLines(p, labels));
  if (calipers) drawNodeCalipers(bmode, scene, p);

  const vessels = generateVessels(p, rng, scene.shape);
  const doppler = dopplerMap(scene, vessels, p, rng);
  const box = colourBoxFor(p, scene, rng);
  const cdfiRgb = bmodeRgb.slice();
  paintColourFlow(cdfiRgb, gray, doppler, box, p, rng, FIELD_WIDTH, FIELD_HEIGHT);
  const cdfi = createImage(BMODE_SCREEN.width, BMODE_SCREEN.height);
  blitRgb(cdfi, cdfiRgb, FIELD_WIDTH, FIELD_HEIGHT, BMODE_FIELD_ORIGIN.x, BMODE_FIELD_ORIGIN.y);
  drawScreenChrome(cdfi, p, labels, 'CDFI', BMODE_FIELD_ORIGIN, [
    ...bmodeLines(p, labels).slice(0, 3),
    'CF',
    `PRF ${((4 * p.nyquistCms * 0.0154 * p.frequencyMHz * 0.6) / 1).toFixed(1)}K`,
    `CG ${Math.round(30 + 50 * p.colourGain)}`,
    `WF ${Math.round(30 + 10 * p.nyquistCms)}`,
    `ST ${p.steeringDeg}`,
  ]);
  drawColourBox(cdfi, box);
  drawColourBar(cdfi, 40, 330, 90, (t) => flowColour(2 * t - 1), `+${p.nyquistCms.toFixed(1)}`, `-${p.nyquistCms.toFixed(1)}`);

  const ebox = elastoBoxFor(scene, rng);
  const strain = relativeStrain(scene, ebox, rng);
  const strainRgb = bmodeRgb.slice();
  paintStrain(strainRgb, strain, ebox, FIELD_WIDTH, rng.uniform(0.5, 0.7));
  const elastography = createImage(ELASTO_SCREEN.width, ELASTO_SCREEN.height);
  blitRgb(elastography, bmodeRgb, FIELD_WIDTH, FIELD_HEIGHT, ELASTO_BMODE_ORIGIN.x, ELASTO_BMODE_ORIGIN.y);
  blitRgb(elastography, strainRgb, FIELD_WIDTH, FIELD_HEIGHT, ELASTO_STRAIN_ORIGIN.x, ELASTO_STRAIN_ORIGIN.y);
  drawHeader(elastography, labels, 'ELASTO');
  for (const o of [ELASTO_BMODE_ORIGIN, ELASTO_STRAIN_ORIGIN]) {
    drawDepthScale(elastography, o.x, o.y, p.focusDepthMm);
    drawOrientationMark(elastography, o.x, o.y);
  }
  strokeRect(
    elastography,
    ELASTO_STRAIN_ORIGIN.x + ebox.x0,
    ELASTO_STRAIN_ORIGIN.y + ebox.y0,
    ebox.x1 - ebox.x0,
    ebox.y1 - ebox.y0,
    BOX_LINE,
  );
  drawColourBar(elastography, ELASTO_SCREEN.width - 40, 110, 160, strainColour, 'SOFT', 'HARD');
  drawPressureIndicator(elastography, ELASTO_STRAIN_ORIGIN.x, ELASTO_SCREEN.height - 36, chromeRng.int(3, 7));
  drawAcquisitionPanel(elastography, ELASTO_BMODE_ORIGIN.x, ELASTO_SCREEN.height - 40, [
    `${p.frequencyMHz.toFixed(1)}MHZ  G ${Math.round(50 + p.gainDb * 2)}  FR ${labels.frameRate}`,
  ]);
  drawFooter(elastography, labels, ELASTO_BMODE_ORIGIN.x + 250);

  const masks = screenMasks(scene, doppler.vesselMask);
  const nodeRect = fieldRoi(scene, p, rng);
  return {
    seed: p.seed,
    cls: p.cls,
    classIndex: CLASS_NAMES.indexOf(p.cls),
    params: p,
    images: { bmode, cdfi, elastography },
    rois: {
      bmode: shift(nodeRect, BMODE_FIELD_ORIGIN),
      cdfi: shift(nodeRect, BMODE_FIELD_ORIGIN),
      elastography: shift(nodeRect, ELASTO_STRAIN_ORIGIN),
    },
    masks,
    maskWidth: BMODE_SCREEN.width,
    maskHeight: BMODE_SCREEN.height,
    generatorVersion: 1,
    pixelSpacingMm: MM_PER_PX,
  };
}

function drawScreenChrome(
  img: RgbaImage,
  p: PhantomParams,
  labels: ChromeLabels,
  mode: string,
  o: { x: number; y: number },
  lines: string[],
): void {
  drawHeader(img, labels, mode);
  drawAcquisitionPanel(img, 8, 80, lines);
  drawGrayBar(img, o.x - 16, o.y, 120);
  drawDepthScale(img, o.x, o.y, p.focusDepthMm);
  drawOrientationMark(img, o.x, o.y);
  drawFooter(img, labels, 8);
}

function drawColourBox(img: RgbaImage, b: ColourBox): void {
  const ox = BMODE_FIELD_ORIGIN.x;
  const oy = BMODE_FIELD_ORIGIN.y;
  const dy = b.y1 - b.y0;
  drawLine(img, ox + b.x0, oy + b.y0, ox + b.x1, oy + b.y0, BOX_LINE);
  drawLine(img, ox + b.x0 + dy * b.slope, oy + b.y1, ox + b.x1 + dy * b.slope, oy + b.y1, BOX_LINE);
  drawLine(img, ox + b.x0, oy + b.y0, ox + b.x0 + dy * b.slope, oy + b.y1, BOX_LINE);
  drawLine(img, ox + b.x1, oy + b.y0, ox + b.x1 + dy * b.slope, oy + b.y1, BOX_LINE);
}

function drawNodeCalipers(img: RgbaImage, scene: Scene, p: PhantomParams): void {
  const s = scene.shape;
  const ends = [fromNodeFrame(s, -s.a, 0), fromNodeFrame(s, s.a, 0), fromNodeFrame(s, 0, -s.b), fromNodeFrame(s, 0, s.b)];
  const pts = ends.map((e) => ({ x: Math.round(e.x + BMODE_FIELD_ORIGIN.x), y: Math.round(e.y + BMODE_FIELD_ORIGIN.y) }));
  const readout = `D1 ${(p.longAxisMm / 10).toFixed(2)}CM  D2 ${(p.shortAxisMm / 10).toFixed(2)}CM`;
  drawCalipers(img, pts, readout, BMODE_FIELD_ORIGIN.x, BMODE_SCREEN.height - 34);
}

/** Field masks placed into B-mode screenshot coordinates. */
function screenMasks(scene: Scene, vessels: Uint8Array): PhantomMasks {
  const place = (m: Uint8Array): Uint8Array => {
    const out = new Uint8Array(BMODE_SCREEN.width * BMODE_SCREEN.height);
    for (let y = 0; y < FIELD_HEIGHT; y++) {
      out.set(
        m.subarray(y * FIELD_WIDTH, (y + 1) * FIELD_WIDTH),
        (y + BMODE_FIELD_ORIGIN.y) * BMODE_SCREEN.width + BMODE_FIELD_ORIGIN.x,
      );
    }
    return out;
  };
  return {
    node: place(scene.node),
    hilum: place(scene.hilum),
    necrosis: place(scene.necrosis),
    calcifications: place(scene.calcifications),
    vessels: place(vessels),
  };
}

/** The sonographer's box: the node's extent plus a margin that varies per side, kept inside the field. */
function fieldRoi(scene: Scene, p: PhantomParams, rng: Rng): Rect {
  const { width, height, node } = scene;
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!node[y * width + x]) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (x1 < 0) return { x: 0, y: 0, width: FIELD_WIDTH, height: FIELD_HEIGHT };
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const m = p.roiMarginFrac * Math.max(w, h);
  const side = (): number => m * rng.uniform(0.6, 1.4);
  const left = Math.max(0, x0 - side());
  const top = Math.max(0, y0 - side());
  const right = Math.min(FIELD_WIDTH, x1 + 1 + side());
  const bottom = Math.min(FIELD_HEIGHT, y1 + 1 + side());
  return clampRect({ x: left, y: top, width: right - left, height: bottom - top }, FIELD_WIDTH, FIELD_HEIGHT);
}

function shift(r: Rect, o: { x: number; y: number }): Rect {
  return { x: r.x + o.x, y: r.y + o.y, width: r.width, height: r.height };
}

/** Millimetres per pixel of the imaging field in every screenshot. */
export const PIXEL_SPACING_MM = MM_PER_PX;
