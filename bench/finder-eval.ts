/**
 * The node finder as the app runs it (TF.js on WASM, the pack's verified files, imaging's
 * coarse-to-fine and geometry), on the held-out test images of BUSI and DDTI that
 * `train-node-finder` lists in its metrics (`testIds`): how often the automatic proposal's outline
 * and click-to-outline give axes within 10 % of those of the data set's mask, and how long a click
 * takes. Reads ../shared/data in place (never copies it). Prints the Markdown tables docs/node-finder.md quotes.
 *
 *   npx tsx bench/finder-eval.ts [--pack public/models/<pack>/manifest.json] [--metrics <run>/metrics.json]
 */

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { NodeFinding } from '../src/domain';
import {
  axesFromOutline,
  findingFromLogits,
  finderInput,
  findNodeCoarseToFine,
  outlineFromSeed,
  traceBoundary,
  type RgbaImage,
} from '../src/imaging';
import { NodeFinderModel } from '../src/runtime/node-finder';
import { initBackend } from '../scripts/pack-logits';
import { loadFinderPack } from '../scripts/node-finder-check';
import { busi, ddti, type MaskedImage } from './roi/data';
import { largestBlob, seedOf } from './roi/outline-eval';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const packPath = resolve(arg('--pack', 'public/models/lymphscope-demo-r18/manifest.json'));
const metrics = JSON.parse(readFileSync(resolve(arg('--metrics', 'training/results/node-finder/metrics.json')), 'utf8')) as {
  testIds?: Record<string, string[]>;
};
if (!metrics.testIds) throw new Error('the metrics file lists no testIds (re-run train-node-finder --evaluate-only)');
const testIds = metrics.testIds;

const backend = await initBackend();
const pack = await loadFinderPack(packPath);
const spec = pack.manifest.nodeFinder;
if (!spec || !pack.nodeFinder) throw new Error(`${packPath} has no node finder`);
const model = await NodeFinderModel.build(spec, pack.nodeFinder, { built: () => undefined, disposing: () => undefined }, true);
const pass = (input: Float32Array) => model.run(input);

type Axes = { longPx: number; shortPx: number };
const within = (got: Axes | null, ref: Axes) =>
  !!got && Math.abs(got.longPx - ref.longPx) <= 0.1 * ref.longPx && Math.abs(got.shortPx - ref.shortPx) <= 0.1 * ref.shortPx;
const axesOf = (f: NodeFinding | null) => (f && f.outline.length >= 3 ? axesFromOutline(f.outline) : null);

interface Row {
  n: number;
  single: number;
  singleFound: number;
  auto: number;
  autoFound: number;
  click: number;
  clickLong: number;
  clickShort: number;
  clickFinder: number;
  ms: number[];
}
const rows = new Map<string, Row>();

async function measure(it: MaskedImage): Promise<void> {
  const { width: w, height: h } = it.image;
  const mask = largestBlob(w, h, it.mask!);
  const ref = axesFromOutline(traceBoundary(w, h, mask).map(([x, y]) => [x + 0.5, y + 0.5] as const));
  if (!ref) return;
  const r = rows.get(it.source) ?? {
    n: 0,
    single: 0,
    singleFound: 0,
    auto: 0,
    autoFound: 0,
    click: 0,
    clickLong: 0,
    clickShort: 0,
    clickFinder: 0,
    ms: [],
  };
  rows.set(it.source, r);
  r.n++;
  const single = findingFromLogits(await pass(finderInput(it.image, spec!)), spec!, w, h);
  r.singleFound += single ? 1 : 0;
  r.single += within(axesOf(single), ref) ? 1 : 0;
  const auto = await findNodeCoarseToFine(it.image, spec!, pass);
  r.autoFound += auto ? 1 : 0;
  r.auto += within(axesOf(auto), ref) ? 1 : 0;
  // Click-to-outline as the app runs it (node.svelte.ts): the finder when it is reasonably sure
  // (score ≥ 0.5), else the seeded segmentation; timed from the click to the outline.
  const seed = seedOf(w, mask);
  const t0 = performance.now();
  let f = await findNodeCoarseToFine(it.image, spec!, pass, seed);
  if (f && f.score >= 0.5 && f.outline.length >= 3) r.clickFinder++;
  else {
    const s = outlineFromSeed(it.image as RgbaImage, seed);
    f = s.ok ? s.finding : null;
  }
  r.ms.push(performance.now() - t0);
  const got = axesOf(f);
  r.click += within(got, ref) ? 1 : 0;
  r.clickLong += got && Math.abs(got.longPx - ref.longPx) <= 0.1 * ref.longPx ? 1 : 0;
  r.clickShort += got && Math.abs(got.shortPx - ref.shortPx) <= 0.1 * ref.shortPx ? 1 : 0;
}

const ids = { busi: new Set(testIds.busi ?? []), ddti: new Set(testIds.ddti ?? []) };
for (const it of busi()) if (it.mask && ids.busi.has(it.name)) await measure(it);
for (const it of ddti()) if (it.mask && ids.ddti.has(it.name)) await measure(it);
model.dispose();

const pct = (k: number, n: number) => `${k} (${((100 * k) / n).toFixed(1)} %)`;
const sorted = (a: number[]) => [...a].sort((p, q) => p - q);
console.log(`\n### Axes within 10 % of the mask's (long and short), held-out test images, ${backend}\n`);
console.log(
  '| source | n | automatic, single pass | automatic, coarse-to-fine | click: both axes | click: long | click: short | click answered by the finder | click ms median / p95 / max |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const [src, r] of rows) {
  const ms = sorted(r.ms);
  console.log(
    `| ${src} | ${r.n} | ${pct(r.single, r.n)} | ${pct(r.auto, r.n)} | ${pct(r.click, r.n)} | ${pct(r.clickLong, r.n)} | ${pct(r.clickShort, r.n)} | ${pct(r.clickFinder, r.n)} | ${ms[Math.floor(ms.length / 2)]!.toFixed(0)} / ${ms[Math.floor(ms.length * 0.95)]!.toFixed(0)} / ${ms[ms.length - 1]!.toFixed(0)} |`,
  );
}
console.log(
  '\n(A proposal the finder is unsure of counts as a miss; automatic found: ' +
    [...rows].map(([s, r]) => `${s} single ${r.singleFound}/${r.n}, coarse-to-fine ${r.autoFound}/${r.n}`).join('; ') +
    '.)',
);
