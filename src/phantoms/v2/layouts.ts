/**
 * Screen layouts of generator version 2: four made-up vendors whose screenshots differ the way real
 * scanners' do (screen size and aspect, where the image sits, background, where the parameters and
 * the depth ruler are, caliper colours and shapes, the dual-view elastography arrangement). None is
 * a copy of a real product's screen.
 */

import type { Rgb } from '../draw';
import type { VendorLayout } from './params';
import type { Rect } from './probe';

export interface LayoutSpec {
  screen: { width: number; height: number };
  /** Imaging area of the B-mode and CDFI screenshots. */
  area: Rect;
  elastoScreen: { width: number; height: number };
  /** Dual view: left and right panels; `strainLeft` puts the strain panel on the left. */
  elastoPanels: [Rect, Rect];
  strainLeft: boolean;
  background: Rgb;
  headerBar: Rgb | null;
  footerBar: Rgb | null;
  text: Rgb;
  accent: Rgb;
  /** Parameter column: x and first line's y. */
  params: { x: number; y: number };
  ruler: 'left' | 'right';
  rulerDots: boolean;
  textScale: 1 | 2;
}

export const LAYOUTS: Record<VendorLayout, LayoutSpec> = {
  classic: {
    screen: { width: 640, height: 480 },
    area: { x: 120, y: 60, width: 420, height: 390 },
    elastoScreen: { width: 960, height: 480 },
    elastoPanels: [
      { x: 40, y: 60, width: 420, height: 390 },
      { x: 490, y: 60, width: 420, height: 390 },
    ],
    strainLeft: false,
    background: [0, 0, 0],
    headerBar: [18, 22, 30],
    footerBar: null,
    text: [215, 215, 215],
    accent: [120, 200, 235],
    params: { x: 8, y: 80 },
    ruler: 'right',
    rulerDots: false,
    textScale: 1,
  },
  blackright: {
    screen: { width: 800, height: 600 },
    area: { x: 50, y: 46, width: 540, height: 520 },
    elastoScreen: { width: 1024, height: 600 },
    elastoPanels: [
      { x: 24, y: 56, width: 470, height: 500 },
      { x: 520, y: 56, width: 470, height: 500 },
    ],
    strainLeft: true,
    background: [0, 0, 0],
    headerBar: null,
    footerBar: null,
    text: [230, 230, 200],
    accent: [240, 190, 60],
    params: { x: 612, y: 60 },
    ruler: 'left',
    rulerDots: true,
    textScale: 1,
  },
  greyframe: {
    screen: { width: 720, height: 540 },
    area: { x: 100, y: 34, width: 480, height: 450 },
    elastoScreen: { width: 1000, height: 540 },
    elastoPanels: [
      { x: 20, y: 40, width: 470, height: 450 },
      { x: 510, y: 40, width: 470, height: 450 },
    ],
    strainLeft: false,
    background: [38, 40, 44],
    headerBar: null,
    footerBar: [24, 34, 62],
    text: [225, 225, 225],
    accent: [140, 230, 140],
    params: { x: 8, y: 44 },
    ruler: 'right',
    rulerDots: true,
    textScale: 1,
  },
  widescreen: {
    screen: { width: 1024, height: 576 },
    area: { x: 252, y: 36, width: 520, height: 500 },
    elastoScreen: { width: 1024, height: 576 },
    elastoPanels: [
      { x: 24, y: 50, width: 480, height: 480 },
      { x: 520, y: 50, width: 480, height: 480 },
    ],
    strainLeft: true,
    background: [4, 6, 10],
    headerBar: [30, 30, 36],
    footerBar: null,
    text: [200, 220, 235],
    accent: [90, 170, 255],
    params: { x: 12, y: 70 },
    ruler: 'right',
    rulerDots: false,
    textScale: 1,
  },
};

export const CALIPER_COLOURS: readonly Rgb[] = [
  [250, 250, 110],
  [90, 240, 90],
  [70, 220, 250],
  [255, 150, 40],
  [255, 255, 255],
];
export const CALIPER_SHAPES = ['plus', 'cross', 'ring'] as const;
export type CaliperShape = (typeof CALIPER_SHAPES)[number];
