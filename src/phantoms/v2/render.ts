/**
 * Generator version 2: turns sampled parameters into the three screenshots, ROIs and masks.
 * Scene → B-mode → Doppler → strain on the beam grid, then scan conversion into the vendor layout,
 * chrome, and JPEG re-encoding. Deterministic: every random stream is seeded from (seed, class).
 */

import { clampRect, type Rect, type RgbaImage } from '../../imaging';
import { flowColour } from '../doppler';
import { createImage, drawLine, drawText, type Rgb } from '../draw';
import { fromNodeFrame, type NodeShape } from '../node-shape';
import { reusableFloat32, reusableUint8 } from '../pool';
import { createRng, hashSeed, type Rng } from '../rng';
import { CLASS_NAMES, type PhantomCase, type PhantomMasks } from '../types';
import { buildAnatomy, LABEL, type SceneArrays } from './anatomy';
import { renderBmodeBeams } from './bmode';
import {
  bmodeParamLines,
  chromeLabelsV2,
  drawBeamOutline,
  drawCaliper,
  drawColourBarV2,
  drawFrame,
  drawGreyBar,
  drawMarkers,
  drawParams,
  drawRuler,
  type ChromeLabelsV2,
} from './chrome';
import { colourFlow, type ColourFlow } from './doppler';
import { elastoBox, relativeStrainV2, strainOpacity, strainScaleColour, strainScalePosition } from './elasto';
import { jpegRoundTrip } from './jpeg';
import { CALIPER_COLOURS, CALIPER_SHAPES, LAYOUTS, type LayoutSpec } from './layouts';
import { clusterExtent, clusterShapes, paintNodes, UNITS_PER_MM } from './nodes';
import type { PhantomParamsV2 } from './params';
import {
  beamGeometry,
  LINES,
  nearestIndex,
  paintGreyMapped,
  SAMPLES,
  screenMap,
  shiftMap,
  toScreen,
  type BeamGeometry,
  type ScreenMap,
} from './probe';

const BOX_LINE: Rgb = [200, 200, 200];

export function renderCaseV2(p: PhantomParamsV2): PhantomCase {
  const rng = createRng(hashSeed(p.seed, p.cls, 'render-v2'));
  const chromeRng = createRng(hashSeed(p.seed, p.cls, 'chrome-v2'));
  const labels = chromeLabelsV2(p, chromeRng);
  const g = beamGeometry(p);
  const n = LINES * SAMPLES;
  // Working buffers of this case only (fully overwritten by the anatomy pass): pooled.
  const scene: SceneArrays = {
    echo: reusableFloat32('v2.scene.echo', n),
    atten: reusableFloat32('v2.scene.atten', n),
    stiffness: reusableFloat32('v2.scene.stiffness', n),
    labels: reusableUint8('v2.scene.labels', n),
  };
  const shapes = clusterShapes(p, rng, g);
  buildAnatomy(p, g, rng, clusterExtent(shapes), scene);
  paintNodes(p, g, rng, shapes, scene);
  const grey = renderBmodeBeams(p, g, scene, rng);
  const L = LAYOUTS[p.layout];
  const map = screenMap(g, L.area, L.screen.width);
  const tint: Rgb = [1, chromeRng.uniform(0.95, 1), chromeRng.uniform(0.88, 1)];

  // B-mode.
  const bmode = createImage(L.screen.width, L.screen.height, L.background);
  paintGrey(bmode, map, grey, tint);
  const cdfi: RgbaImage = { width: bmode.width, height: bmode.height, data: bmode.data.slice() };
  drawScreen(bmode, L, map, p, labels, 'B', bmodeParamLines(p, labels), chromeRng);
  if (chromeRng.bool(0.5)) drawNodeCalipers(bmode, L, map, shapes[0]!, p, chromeRng);

  // Colour Doppler.
  const flow = colourFlow(p, g, scene.labels, grey, shapes, rng);
  const bright = chromeRng.bool(0.4);
  const colourOf = (f: number): [number, number, number] => (bright ? brightFlowColour(f) : flowColour(f));
  paintFlow(cdfi, map, flow, colourOf);
  drawScreen(
    cdfi,
    L,
    map,
    p,
    labels,
    'CDFI',
    [
      ...bmodeParamLines(p, labels).slice(0, 3),
      'CF',
      `PRF ${(4 * p.nyquistCms * 0.0154 * p.frequencyMHz * 0.6).toFixed(1)}K`,
      `CG ${Math.round(30 + 50 * p.colourGain)}`,
      `ST ${p.steeringDeg}`,
    ],
    chromeRng,
  );
  drawBeamOutline(cdfi, g, map, flow.box, BOX_LINE);
  // Left of the image, or (parameters on the right) under the parameter column, clear of its text.
  const barRight = L.params.x > L.area.x;
  drawColourBarV2(
    cdfi,
    barRight ? L.params.x + 8 : L.area.x - 24,
    barRight ? L.params.y + 130 : L.area.y + 30,
    90,
    (t) => colourOf(2 * t - 1),
    `+${p.nyquistCms.toFixed(1)}`,
    `-${p.nyquistCms.toFixed(1)}`,
    L.text,
  );

  // Strain elastography, dual view.
  const elastography = renderElastography(p, g, scene, shapes, grey, tint, L, labels, rng, chromeRng);

  const masks = screenMasks(map, scene.labels, flow.vesselMask, L.screen.width * L.screen.height);
  const nodeRect = roiFromMask(masks.node, L.screen.width, L.area, p.roiMarginFrac, rng);
  const strainPanel = L.elastoPanels[L.strainLeft ? 0 : 1];
  const strainMap = elastography.strainMap;
  const strainNode = new Uint8Array(L.elastoScreen.width * L.elastoScreen.height);
  for (let k = 0; k < strainMap.pix.length; k++)
    if (scene.labels[nearestIndex(strainMap, k)]! & LABEL.node) strainNode[strainMap.pix[k]!] = 1;
  const elastoRect = roiFromMask(strainNode, L.elastoScreen.width, strainPanel, p.roiMarginFrac, rng);

  if (p.jpegQuality > 0) {
    for (const img of [bmode, cdfi, elastography.img]) jpegRoundTrip(img, p.jpegQuality);
  }
  return {
    seed: p.seed,
    cls: p.cls,
    classIndex: CLASS_NAMES.indexOf(p.cls),
    params: p,
    images: { bmode, cdfi, elastography: elastography.img },
    rois: { bmode: nodeRect, cdfi: nodeRect, elastography: elastoRect },
    masks,
    maskWidth: L.screen.width,
    maskHeight: L.screen.height,
    generatorVersion: 2,
    pixelSpacingMm: 1 / map.pxPerMm,
  };
}

function renderElastography(
  p: PhantomParamsV2,
  g: BeamGeometry,
  scene: SceneArrays,
  shapes: NodeShape[],
  grey: Uint8Array,
  tint: Rgb,
  L: LayoutSpec,
  labels: ChromeLabelsV2,
  rng: Rng,
  chromeRng: Rng,
): { img: RgbaImage; strainMap: ScreenMap } {
  const img = createImage(L.elastoScreen.width, L.elastoScreen.height, L.background);
  const [left, right] = L.elastoPanels;
  const bPanel = L.strainLeft ? right : left;
  const sPanel = L.strainLeft ? left : right;
  // Both panels have the same size (layouts.ts): one scan conversion, shifted.
  const bMap = screenMap(g, bPanel, img.width);
  const sMap = shiftMap(bMap, sPanel);
  paintGrey(img, bMap, grey, tint);
  const shift = (sMap.pix[0] ?? 0) - (bMap.pix[0] ?? 0);
  const d = img.data;
  for (let k = 0; k < bMap.pix.length; k++) {
    const o = bMap.pix[k]! * 4;
    const t = o + shift * 4;
    d[t] = d[o]!;
    d[t + 1] = d[o + 1]!;
    d[t + 2] = d[o + 2]!;
  }
  const box = elastoBox(g, shapes, rng);
  const strain = relativeStrainV2(g, scene, box, rng);
  const opacity = strainOpacity(p.strainScale, rng);
  const lut = new Uint8Array(256 * 3);
  for (let k = 0; k < 256; k++) lut.set(strainScaleColour(p.strainScale, k / 255).map(Math.round), k * 3);
  // Colour-table offset per beam sample of the box (a logarithm each), then one lookup per pixel.
  const colourAt = new Int16Array(LINES * SAMPLES).fill(-1);
  for (let j = box.j0; j <= box.j1; j++) {
    for (let l = box.l0; l <= box.l1; l++)
      colourAt[j * LINES + l] = Math.round(strainScalePosition(strain[j * LINES + l]!) * 255) * 3;
  }
  for (let k = 0; k < sMap.pix.length; k++) {
    const c = colourAt[nearestIndex(sMap, k)]!;
    if (c < 0) continue;
    const o = sMap.pix[k]! * 4;
    img.data[o] = img.data[o]! * (1 - opacity) + lut[c]! * opacity;
    img.data[o + 1] = img.data[o + 1]! * (1 - opacity) + lut[c + 1]! * opacity;
    img.data[o + 2] = img.data[o + 2]! * (1 - opacity) + lut[c + 2]! * opacity;
  }
  drawBeamOutline(img, g, sMap, box, BOX_LINE);
  drawFrame(img, { ...L, params: { x: 8, y: img.height - 12 } }, labels, '');
  drawText(img, bPanel.x + 4, bPanel.y - 12, 'B', L.accent, 1);
  drawText(img, sPanel.x + 4, sPanel.y - 12, 'ELASTO', L.accent, 1);
  drawRuler(img, L, bMap, p, bPanel);
  drawRuler(img, L, sMap, p, sPanel);
  // The scale bar says which end is hard: the colour convention differs between vendors.
  const barX = sPanel.x + sPanel.width - 16;
  drawColourBarV2(img, barX, sPanel.y + 24, 120, (t) => strainScaleColour(p.strainScale, t), 'SOFT', 'HARD', L.text);
  const level = chromeRng.int(2, 7);
  for (let k = 0; k < 7; k++) {
    const c: Rgb = k < level ? [90, 210, 90] : [45, 45, 45];
    for (let y = 0; y < 8; y++)
      drawLine(
        img,
        sPanel.x + 8 + k * 9,
        sPanel.y + sPanel.height - 14 + y,
        sPanel.x + 14 + k * 9,
        sPanel.y + sPanel.height - 14 + y,
        c,
      );
  }
  return { img, strainMap: sMap };
}

function drawScreen(
  img: RgbaImage,
  L: LayoutSpec,
  map: ScreenMap,
  p: PhantomParamsV2,
  labels: ChromeLabelsV2,
  mode: string,
  lines: string[],
  rng: Rng,
): void {
  drawFrame(img, L, labels, mode);
  drawParams(img, L, L.params.x, L.params.y, lines);
  const gx = L.ruler === 'right' ? L.area.x - 16 : L.area.x + L.area.width + 30;
  drawGreyBar(img, gx, L.area.y + L.area.height - 130, 120, [120, 120, 120]);
  drawRuler(img, L, map, p);
  drawMarkers(img, L, L.area, rng);
  if (labels.annotation) drawText(img, L.area.x + 40, L.area.y + L.area.height - 14, labels.annotation, L.text);
}

function paintGrey(img: RgbaImage, map: ScreenMap, grey: Uint8Array, tint: Rgb): void {
  // createImage makes clamped bytes, whose stores round: the same arithmetic as version 1's grey map.
  paintGreyMapped(map, grey, img.data as Uint8ClampedArray, tint[0], tint[1], tint[2]);
}

function paintFlow(img: RgbaImage, map: ScreenMap, flow: ColourFlow, colour: (f: number) => [number, number, number]): void {
  for (let k = 0; k < map.pix.length; k++) {
    const i = nearestIndex(map, k);
    if (!flow.coloured[i]) continue;
    const c = colour(flow.shown[i]!);
    const o = map.pix[k]! * 4;
    img.data[o] = c[0];
    img.data[o + 1] = c[1];
    img.data[o + 2] = c[2];
  }
}

/** A second common colour map: red → yellow towards the probe, blue → cyan away. */
function brightFlowColour(f: number): [number, number, number] {
  const t = Math.min(1, Math.abs(f));
  if (f >= 0) return [150 + 105 * t, 255 * t * t, 40 * t * t];
  return [20 * t, 60 * t + 195 * t * t, 160 + 95 * t];
}

function drawNodeCalipers(img: RgbaImage, L: LayoutSpec, map: ScreenMap, sh: NodeShape, p: PhantomParamsV2, rng: Rng): void {
  const colour = CALIPER_COLOURS[rng.int(0, CALIPER_COLOURS.length - 1)]!;
  const second = rng.bool(0.5) ? CALIPER_COLOURS[rng.int(0, CALIPER_COLOURS.length - 1)]! : colour;
  const shape = CALIPER_SHAPES[rng.int(0, CALIPER_SHAPES.length - 1)]!;
  const dotted = rng.bool(0.5);
  const pairs: [number, number, number, number, Rgb, string][] = [
    [-sh.a, 0, sh.a, 0, colour, `1 D ${(p.longAxisMm / 10).toFixed(2)}CM`],
    [0, -sh.b, 0, sh.b, second, `2 D ${(p.shortAxisMm / 10).toFixed(2)}CM`],
  ];
  pairs.forEach(([u0, v0, u1, v1, c, text], k) => {
    const a = fromNodeFrame(sh, u0, v0);
    const b = fromNodeFrame(sh, u1, v1);
    const pa = toScreen(map, a.x / UNITS_PER_MM, a.y / UNITS_PER_MM);
    const pb = toScreen(map, b.x / UNITS_PER_MM, b.y / UNITS_PER_MM);
    drawCaliper(img, Math.round(pa.x), Math.round(pa.y), c, shape);
    drawCaliper(img, Math.round(pb.x), Math.round(pb.y), c, shape);
    if (dotted) drawLine(img, pa.x, pa.y, pb.x, pb.y, c, 2);
    drawText(img, L.area.x + 6, L.area.y + 14 + k * 11, text, c);
  });
}

function screenMasks(map: ScreenMap, labels: Uint8Array, vessels: Uint8Array, size: number): PhantomMasks {
  const masks: PhantomMasks = {
    node: new Uint8Array(size),
    hilum: new Uint8Array(size),
    necrosis: new Uint8Array(size),
    calcifications: new Uint8Array(size),
    vessels: new Uint8Array(size),
  };
  for (let k = 0; k < map.pix.length; k++) {
    const i = nearestIndex(map, k);
    const lab = labels[i]!;
    const px = map.pix[k]!;
    if (lab & LABEL.node) masks.node[px] = 1;
    if (lab & LABEL.hilum) masks.hilum[px] = 1;
    if (lab & LABEL.necrosis) masks.necrosis[px] = 1;
    if (lab & LABEL.calcification) masks.calcifications[px] = 1;
    if (vessels[i]) masks.vessels[px] = 1;
  }
  return masks;
}

/** The sonographer's box: the node (cluster) extent plus a margin that varies per side, inside the area. */
function roiFromMask(mask: Uint8Array, width: number, area: Rect, marginFrac: number, rng: Rng): Rect {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -1;
  let y1 = -1;
  for (let y = area.y; y < area.y + area.height; y++) {
    for (let x = area.x; x < area.x + area.width; x++) {
      if (!mask[y * width + x]) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (x1 < 0) return area;
  const m = marginFrac * Math.max(x1 - x0 + 1, y1 - y0 + 1);
  const side = (): number => m * rng.uniform(0.6, 1.4);
  const left = Math.max(area.x, x0 - side());
  const top = Math.max(area.y, y0 - side());
  const right = Math.min(area.x + area.width, x1 + 1 + side());
  const bottom = Math.min(area.y + area.height, y1 + 1 + side());
  const r = clampRect({ x: left, y: top, width: right - left, height: bottom - top }, area.x + area.width, area.y + area.height);
  return r;
}
