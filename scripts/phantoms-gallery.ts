/**
 * Writes docs/phantoms-gallery.png: one row per class and seed (metastatic, lymphoma, benign × two
 * seeds), columns B-mode, CDFI and elastography screenshots at half size, with the sonographer's ROI
 * dashed in yellow.
 *
 *   npm run phantoms:gallery [-- --out PATH --seeds 1,2]
 */

import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { resizeBilinearAntialias, type RgbaImage } from '../src/imaging/resize';
import type { Rect } from '../src/imaging/roi';
import { CLASS_NAMES, blitRgba, createImage, drawText, generateCase, strokeRect } from '../src/phantoms';

const SCALE = 0.5;
const LABEL_WIDTH = 120;
const HEADER = 28;
const GAP = 6;
const MODALITIES = [
  ['bmode', 'B-MODE'],
  ['cdfi', 'COLOUR DOPPLER (CDFI)'],
  ['elastography', 'STRAIN ELASTOGRAPHY'],
] as const;

function parseArgs(argv: string[]): { out: string; seeds: number[] } {
  let out = 'docs/phantoms-gallery.png';
  let seeds = [1, 2];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out = argv[++i] ?? out;
    else if (argv[i] === '--seeds') seeds = (argv[++i] ?? '').split(',').map(Number);
  }
  return { out, seeds };
}

function scaled(img: RgbaImage, roi: Rect): RgbaImage {
  const small = resizeBilinearAntialias(img, Math.round(img.width * SCALE), Math.round(img.height * SCALE));
  strokeRect(small, roi.x * SCALE, roi.y * SCALE, roi.width * SCALE, roi.height * SCALE, [250, 220, 60], 3);
  return small;
}

function main(): void {
  const { out, seeds } = parseArgs(process.argv.slice(2));
  const rows = CLASS_NAMES.flatMap((cls) => seeds.map((seed) => generateCase({ seed, cls })));
  const first = rows[0]!;
  const colWidths = MODALITIES.map(([m]) => Math.round(first.images[m].width * SCALE));
  const rowHeight = Math.round(first.images.bmode.height * SCALE);
  const width = LABEL_WIDTH + colWidths.reduce((a, b) => a + b + GAP, 0);
  const height = HEADER + rows.length * (rowHeight + GAP);
  const sheet = createImage(width, height, [32, 32, 36]);

  let x = LABEL_WIDTH;
  MODALITIES.forEach(([, title], k) => {
    drawText(sheet, x + 4, 10, title, [230, 230, 230]);
    x += colWidths[k]! + GAP;
  });
  rows.forEach((pc, r) => {
    const y = HEADER + r * (rowHeight + GAP);
    drawText(sheet, 8, y + 8, pc.cls.toUpperCase(), [250, 220, 60]);
    drawText(sheet, 8, y + 22, `SEED ${pc.seed}`, [200, 200, 200]);
    const p = pc.params;
    const facts = [
      `S/L ${p.shortLongRatio.toFixed(2)}`,
      `SHORT ${p.shortAxisMm.toFixed(1)}MM`,
      `HILUM ${p.hilumPresent ? 'YES' : 'NO'}`,
      p.texture.toUpperCase(),
      p.necrosisPresent ? 'NECROSIS' : '',
      p.calcificationCount > 0 ? 'CALCIFIED' : '',
      p.vascularPattern.toUpperCase(),
      `ELASTO ${p.elasticityScore}`,
    ].filter(Boolean);
    facts.forEach((f, k) => drawText(sheet, 8, y + 42 + k * 12, f, [170, 170, 170]));
    let cx = LABEL_WIDTH;
    MODALITIES.forEach(([m], k) => {
      blitRgba(sheet, scaled(pc.images[m], pc.rois[m]), cx, y);
      cx += colWidths[k]! + GAP;
    });
  });

  const png = new PNG({ width, height });
  png.data = Buffer.from(sheet.data.buffer, sheet.data.byteOffset, sheet.data.byteLength);
  writeFileSync(out, PNG.sync.write(png, { colorType: 2, inputColorType: 6, inputHasAlpha: true, deflateLevel: 9 }));
  process.stderr.write(`Wrote ${out} (${width}×${height})\n`);
}

main();
