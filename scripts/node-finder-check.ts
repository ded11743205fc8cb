/**
 * Runs a pack's node finder with TF.js the way the app does (manifest validation, SHA-256 of every
 * file it uses, imaging's finderInput, runtime's NodeFinderModel, imaging's geometry) and reproduces
 * its golden outputs: sampled logits within tolerance and the same proposal box.
 *
 *   npx tsx scripts/node-finder-check.ts <pack>/manifest.json     # JSON report, exit 1 on mismatch
 *
 * Used by training's export (`export-node-finder`), its parity test and the unit tests.
 */

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findingFromLogits, finderInput } from '../src/imaging/node-geometry';
import { loadPack, loadPackFile, type LoadedPack } from '../src/model-pack/loader';
import type { ModelHooks } from '../src/runtime/model-set';
import { NodeFinderModel } from '../src/runtime/node-finder';
import { decodePng, fileFetch, initBackend, manifestUrl } from './pack-logits';

export interface FinderGoldenCase {
  name: string;
  input: string;
  click: [number, number] | null;
  logits: number[];
  box: [number, number, number, number] | null;
  score: number | null;
}

export interface FinderGoldenResult {
  name: string;
  /** max over sampled logits of |got − want| − (abs + rel·|want|); ≤ 0 means within tolerance. */
  excess: number;
  wantBox: [number, number, number, number] | null;
  gotBox: [number, number, number, number] | null;
  wantScore: number | null;
  gotScore: number | null;
  ms: number;
}

const NO_HOOKS: ModelHooks = { built: () => undefined, disposing: () => undefined };

export async function loadFinderPack(manifestPath: string): Promise<LoadedPack> {
  // Only the finder: its files are verified, the classifiers are not loaded.
  return loadPack(manifestUrl(manifestPath), { fetchFn: fileFetch, modalities: [] });
}

/** Reproduces every golden case of the pack's finder on the active tfjs backend. */
export async function checkFinderGolden(
  pack: LoadedPack,
  manifestPath: string,
  hooks: ModelHooks = NO_HOOKS,
): Promise<FinderGoldenResult[]> {
  const spec = pack.manifest.nodeFinder;
  if (!spec?.golden || !pack.nodeFinder) throw new Error('the pack has no node finder with golden outputs');
  const url = manifestUrl(manifestPath);
  const golden = JSON.parse(new TextDecoder().decode(await loadPackFile(url, pack.manifest, spec.golden, fileFetch))) as {
    stride: number;
    tolerance: { abs: number; rel: number };
    cases: FinderGoldenCase[];
  };
  const model = await NodeFinderModel.build(spec, pack.nodeFinder, hooks, true);
  const s = spec.inputSize;
  const results: FinderGoldenResult[] = [];
  try {
    for (const c of golden.cases) {
      const img = decodePng(await loadPackFile(url, pack.manifest, c.input, fileFetch));
      const click = c.click ? { x: c.click[0], y: c.click[1] } : undefined;
      const start = performance.now();
      const logits = await model.run(finderInput(img, spec, click));
      // Golden boxes are the proposals before the confidence threshold, so every case checks the geometry.
      const finding = findingFromLogits(logits, { ...spec, threshold: 0 }, img.width, img.height, click);
      const ms = performance.now() - start;
      let excess = -Infinity;
      let k = 0;
      for (let y = 0; y < s; y += golden.stride) {
        for (let x = 0; x < s; x += golden.stride) {
          const want = c.logits[k++]!;
          excess = Math.max(
            excess,
            Math.abs(logits[y * s + x]! - want) - (golden.tolerance.abs + golden.tolerance.rel * Math.abs(want)),
          );
        }
      }
      if (k !== c.logits.length) excess = Infinity; // a golden file for another input size
      const gotBox = finding
        ? ([finding.box.x, finding.box.y, finding.box.x + finding.box.width, finding.box.y + finding.box.height] as [
            number,
            number,
            number,
            number,
          ])
        : null;
      results.push({ name: c.name, excess, wantBox: c.box, gotBox, wantScore: c.score, gotScore: finding?.score ?? null, ms });
    }
  } finally {
    model.dispose();
  }
  return results;
}

export function goldenPassed(results: FinderGoldenResult[]): boolean {
  return results.every(
    (r) =>
      r.excess <= 0 &&
      JSON.stringify(r.gotBox) === JSON.stringify(r.wantBox) &&
      (r.wantScore === null ? r.gotScore === null : r.gotScore !== null && Math.abs(r.gotScore - r.wantScore) <= 1e-3),
  );
}

async function main(argv: string[]): Promise<number> {
  const [manifestPath] = argv;
  if (!manifestPath) {
    console.error('usage: node-finder-check.ts <manifest.json>');
    return 2;
  }
  const backend = await initBackend();
  const pack = await loadFinderPack(manifestPath);
  const cases = await checkFinderGolden(pack, manifestPath);
  console.log(JSON.stringify({ backend, cases }, null, 1));
  return goldenPassed(cases) ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
