/**
 * Reproducible evaluation of the image-area finder (auto-ROI) and, with --outline, of the seeded
 * outline and the axes. Reads BUSI and DDTI from ../shared/data (never copies them), builds
 * screenshot variants around each image (bench/roi/variants.ts), and simulated scanner screenshots
 * from src/phantoms. Prints per-source tables (Markdown) that docs/roi.md quotes.
 *
 *   npx tsx bench/roi-eval.ts [--every N] [--phantoms N] [--outline | --outline-only]
 */

import { proposeRoi } from '../src/imaging';
import { BMODE_FIELD_ORIGIN, ELASTO_STRAIN_ORIGIN, FIELD_HEIGHT, FIELD_WIDTH, generateCase, CLASS_NAMES } from '../src/phantoms';
import { busi, dataAvailable, ddti, type MaskedImage } from './roi/data';
import { areaCorrect, makeVariant, VARIANT_KINDS, type Variant } from './roi/variants';
import { evaluateOutlines } from './roi/outline-eval';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const every = arg('--every', 1);
const phantoms = arg('--phantoms', 60);

type Tally = Map<string, { n: number; ok: number; whole: number }>;
function count(t: Tally, key: string, ok: boolean, whole: boolean): void {
  const e = t.get(key) ?? { n: 0, ok: 0, whole: 0 };
  e.n++;
  if (ok) e.ok++;
  if (whole) e.whole++;
  t.set(key, e);
}
function table(title: string, t: Tally): void {
  console.log(`\n### ${title}\n\n| set | images | area correct | % | whole image proposed |\n|---|---:|---:|---:|---:|`);
  let n = 0,
    ok = 0;
  for (const [k, e] of [...t.entries()].sort()) {
    console.log(`| ${k} | ${e.n} | ${e.ok} | ${((100 * e.ok) / e.n).toFixed(1)} | ${e.whole} |`);
    n += e.n;
    ok += e.ok;
  }
  console.log(`| **all** | ${n} | ${ok} | **${((100 * ok) / n).toFixed(1)}** | |`);
}

function realImages(): MaskedImage[] {
  return [...busi(every), ...ddti(every)];
}

const tally: Tally = new Map();
const failures: string[] = [];
let timeMs = 0,
  calls = 0;
const areaRun = !process.argv.includes('--outline-only');
if (areaRun && dataAvailable()) {
  let i = 0;
  for (const item of realImages()) {
    const kind = VARIANT_KINDS[i % VARIANT_KINDS.length]!;
    const v: Variant = makeVariant(item.image, kind, 1000 + i);
    i++;
    const t0 = performance.now();
    const p = proposeRoi(v.image, v.modality);
    timeMs += performance.now() - t0;
    calls++;
    const ok = areaCorrect(p.rect, v);
    count(tally, `${item.source} ${kind}`, ok, p.source === 'whole');
    if (!ok && failures.length < 40)
      failures.push(
        `${item.source}/${item.name} ${kind} q${v.jpegQuality} s${v.scale.toFixed(2)} ${v.image.width}x${v.image.height} truth ${JSON.stringify(v.truth)} tight ${JSON.stringify(v.tight)} got ${JSON.stringify(p)}`,
      );
  }
} else if (areaRun) console.log('(BUSI/DDTI not found in ../shared/data: real-image rows skipped)');

// Simulated screenshots: the B-mode, CDFI and elastography views of each case.
const bField = { x: BMODE_FIELD_ORIGIN.x, y: BMODE_FIELD_ORIGIN.y, width: FIELD_WIDTH, height: FIELD_HEIGHT };
const sField = { ...bField, x: ELASTO_STRAIN_ORIGIN.x };
for (let s = 0; s < (areaRun ? phantoms : 0); s++) {
  const c = generateCase({ seed: 5000 + s, cls: CLASS_NAMES[s % 3]! });
  for (const [m, img, field] of [
    ['bmode', c.images.bmode, bField],
    ['cdfi', c.images.cdfi, bField],
    ['elastography', c.images.elastography, sField],
  ] as const) {
    const v: Variant = { kind: 'chrome', image: img, modality: m, truth: field, tight: field, jpegQuality: null, scale: 1 };
    const t0 = performance.now();
    const p = proposeRoi(img, m);
    timeMs += performance.now() - t0;
    calls++;
    const ok = areaCorrect(p.rect, v);
    count(tally, `phantom ${m}`, ok, p.source === 'whole');
    if (!ok && failures.length < 60) failures.push(`phantom ${s} ${m} got ${JSON.stringify(p)}`);
  }
}
if (areaRun) table('Image area (auto-ROI)', tally);
if (calls) console.log(`\nMean time per proposal: ${(timeMs / calls).toFixed(1)} ms (${calls} proposals, Node, one core).`);
if (failures.length) console.log('\nFailures (first ones):\n' + failures.map((f) => '- ' + f).join('\n'));

if ((process.argv.includes('--outline') || !areaRun) && dataAvailable()) evaluateOutlines(realImages());
