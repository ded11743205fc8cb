/**
 * Small committed fixtures for the image-area, outline and axes tests, generated from the phantom
 * simulator (never from BUSI/DDTI): a B-mode screenshot whose picture is cut to a sector
 * (curvilinear probe) and saved as JPEG at quality 55, and a dimmed (low-gain) one at quality 45,
 * each with where its picture lies and its node's mask centroid and axes.
 *
 *   npx tsx scripts/make-roi-fixtures.ts
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { axesFromOutline, traceBoundary } from '../src/imaging';
import { BMODE_FIELD_ORIGIN, FIELD_HEIGHT, FIELD_WIDTH, generateCase } from '../src/phantoms';

const out = join(import.meta.dirname, '../tests/fixtures/roi');

function make(name: string, seed: number, sector: boolean, gain: number, quality: number): void {
  const c = generateCase({ seed, cls: 'metastatic' });
  const img = c.images.bmode;
  const f = { x: BMODE_FIELD_ORIGIN.x, y: BMODE_FIELD_ORIGIN.y, width: FIELD_WIDTH, height: FIELD_HEIGHT };
  const apex = { x: f.x + f.width / 2, y: f.y - 120 };
  const half = (34 * Math.PI) / 180;
  for (let y = f.y; y < f.y + f.height; y++)
    for (let x = f.x; x < f.x + f.width; x++) {
      const p = (y * img.width + x) * 4;
      const r = Math.hypot(x - apex.x, y - apex.y);
      const outside = sector && (Math.abs(Math.atan2(x - apex.x, y - apex.y)) > half || r < 125);
      for (let k = 0; k < 3; k++) img.data[p + k] = outside ? 0 : Math.round(img.data[p + k]! * gain);
    }
  const enc = jpeg.encode({ width: img.width, height: img.height, data: Buffer.from(img.data) }, quality);
  writeFileSync(join(out, `${name}.jpg`), enc.data);
  const m = c.masks.node;
  let sx = 0,
    sy = 0,
    n = 0;
  for (let i = 0; i < m.length; i++)
    if (m[i]) {
      sx += i % c.maskWidth;
      sy += Math.floor(i / c.maskWidth);
      n++;
    }
  const axes = axesFromOutline(traceBoundary(c.maskWidth, c.maskHeight, m).map(([x, y]) => [x + 0.5, y + 0.5] as const))!;
  const meta = {
    source: `phantom seed ${seed} (metastatic), ${sector ? 'sector mask, ' : ''}gain ${gain}, JPEG q${quality}`,
    field: f,
    nodeCentroid: { x: sx / n + 0.5, y: sy / n + 0.5 },
    nodeArea: n,
    nodeAxesPx: { long: +axes.longPx.toFixed(2), short: +axes.shortPx.toFixed(2) },
    mmPerPx: 0.1,
  };
  writeFileSync(join(out, `${name}.json`), JSON.stringify(meta, null, 2) + '\n');
}

make('phantom-sector-q55', 1206, true, 1, 55);
make('phantom-dim-q45', 1305, false, 0.4, 45);
