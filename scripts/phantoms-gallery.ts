/**
 * Writes docs/phantoms-gallery.png (generator version 1) and docs/phantoms-gallery-v2.png (version
 * 2): one row per class and seed (metastatic, lymphoma, benign × the seeds), columns B-mode, CDFI and
 * elastography screenshots scaled to fixed cells, with the sonographer's ROI in yellow. Only
 * simulated images: no real data is ever shown or committed.
 *
 *   npm run phantoms:gallery [-- --generator 1|2 --out PATH --seeds 1,2]   (no --generator: both)
 */

import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { resizeBilinearAntialias, type RgbaImage } from '../src/imaging/resize';
import type { Rect } from '../src/imaging/roi';
import {
  CLASS_NAMES,
  blitRgba,
  createImage,
  drawText,
  generateCase,
  isPhantomGeneratorVersion,
  strokeRect,
  type PhantomCase,
  type PhantomGeneratorVersion,
} from '../src/phantoms';

/** Cell sizes: version 1's screenshots at half size; version 2's (several layouts) fitted into them. */
const CELL = { bmode: { w: 320, h: 240 }, cdfi: { w: 320, h: 240 }, elastography: { w: 480, h: 240 } } as const;
const LABEL_WIDTH = 120;
const HEADER = 28;
const GAP = 6;
const MODALITIES = [
  ['bmode', 'B-MODE'],
  ['cdfi', 'COLOUR DOPPLER (CDFI)'],
  ['elastography', 'STRAIN ELASTOGRAPHY'],
] as const;

const DEFAULT_OUT: Record<PhantomGeneratorVersion, string> = {
  1: 'docs/phantoms-gallery.png',
  2: 'docs/phantoms-gallery-v2.png',
};
const DEFAULT_SEEDS: Record<PhantomGeneratorVersion, number[]> = { 1: [1, 2], 2: [1, 2, 3] };

function parseArgs(argv: string[]): { out: string | null; seeds: number[] | null; versions: PhantomGeneratorVersion[] } {
  let out: string | null = null;
  let seeds: number[] | null = null;
  let versions: PhantomGeneratorVersion[] = [1, 2];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out = argv[++i] ?? out;
    else if (argv[i] === '--seeds') seeds = (argv[++i] ?? '').split(',').map(Number);
    else if (argv[i] === '--generator') {
      const v = Number(argv[++i]);
      if (!isPhantomGeneratorVersion(v)) throw new Error('--generator must be 1 or 2');
      versions = [v];
    }
  }
  return { out, seeds, versions };
}

/** The screenshot fitted into its cell (aspect kept), with the ROI drawn. */
function scaled(img: RgbaImage, roi: Rect, cell: { w: number; h: number }): RgbaImage {
  const s = Math.min(cell.w / img.width, cell.h / img.height);
  const small = resizeBilinearAntialias(img, Math.round(img.width * s), Math.round(img.height * s));
  strokeRect(small, roi.x * s, roi.y * s, roi.width * s, roi.height * s, [250, 220, 60], 3);
  return small;
}

function facts(pc: PhantomCase): string[] {
  const p = pc.params;
  const base = [
    `S/L ${p.shortLongRatio.toFixed(2)}`,
    `SHORT ${p.shortAxisMm.toFixed(1)}MM`,
    `HILUM ${p.hilumPresent ? 'YES' : 'NO'}`,
    p.texture.toUpperCase(),
    p.necrosisPresent ? 'NECROSIS' : '',
    p.calcificationCount > 0 ? 'CALCIFIED' : '',
    p.vascularPattern.toUpperCase(),
    `ELASTO ${p.elasticityScore}`,
  ];
  if (pc.generatorVersion === 2 && 'probe' in p) {
    const q = p as unknown as Record<string, unknown>;
    base.push(
      `LEVEL ${String(q.level)}`,
      String(q.probe).toUpperCase(),
      String(q.layout).toUpperCase(),
      Number(q.mattedCount) > 0 ? 'MATTED' : '',
      q.coagulativeNecrosis ? 'COAG NECROSIS' : '',
      Number(q.jpegQuality) > 0 ? `JPEG Q${String(q.jpegQuality)}` : 'PNG',
    );
  }
  return base.filter(Boolean);
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  for (const version of args.versions) gallery(version, args.out ?? DEFAULT_OUT[version], args.seeds ?? DEFAULT_SEEDS[version]);
}

function gallery(version: PhantomGeneratorVersion, out: string, seeds: number[]): void {
  const rows = CLASS_NAMES.flatMap((cls) => seeds.map((seed) => generateCase({ seed, cls, version })));
  const colWidths = MODALITIES.map(([m]) => CELL[m].w);
  const rowHeight = CELL.bmode.h;
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
    // Version 2 lists more signs, so its lines are a little tighter (version 1's sheet is unchanged).
    const [top, step] = version === 1 ? [42, 12] : [38, 11];
    facts(pc).forEach((f, k) => drawText(sheet, 8, y + top + k * step, f, [170, 170, 170]));
    let cx = LABEL_WIDTH;
    MODALITIES.forEach(([m], k) => {
      blitRgba(sheet, scaled(pc.images[m], pc.rois[m], CELL[m]), cx, y);
      cx += colWidths[k]! + GAP;
    });
  });

  const png = new PNG({ width, height });
  png.data = Buffer.from(sheet.data.buffer, sheet.data.byteOffset, sheet.data.byteLength);
  writeFileSync(out, PNG.sync.write(png, { colorType: 2, inputColorType: 6, inputHasAlpha: true, deflateLevel: 9 }));
  process.stderr.write(`Wrote ${out} (${width}×${height})\n`);
}

main();
