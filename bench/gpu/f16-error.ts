/**
 * What the f16 variant of the app's WebGPU kernels does to a pack's answers: one modality's model
 * run with the kernels in f32 and in f16 (f16 operands, f32 sums) on real ultrasound images, and
 * the largest change of a logit and of a calibrated probability, per image source.
 *
 *   npx tsx bench/gpu/f16-error.ts --out FILE [--pack manifest.json] [--modality bmode] [--per-source 3] [--data DIR]
 *
 * Images: the first `--per-source` of BUSI (one class after the other) and of DDTI, from
 * ../shared/data (never copied into the repository); where that folder is missing (a GPU machine),
 * the benchmark's synthetic image (bench/image.ts) alone. On a device with `shader-f16` the f16 kernel
 * runs as such; elsewhere (a software adapter) the same kernel runs with the f16 rounding emulated
 * (`half: "f16-emulated"` in the JSON), which gives the arithmetic's error, not the GPU's.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright';
import { PNG } from 'pngjs';
import { CHROMIUM_ARGS } from '../../playwright.config';
import { calibratedSoftmax } from '../../src/analysis';
import { preprocess } from '../../src/imaging/preprocess';
import { parseManifest, type Modality } from '../../src/model-pack';
import { benchImage } from '../image';
import { startBenchServer } from '../server';
import { bundlePage } from './bundle';
import type { F16ErrorPage, F16Run } from './f16-error-page';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CACHE = join(REPO, 'node_modules/.cache/lymphscope-bench/f16-error');

declare global {
  interface Window {
    f16Error: F16ErrorPage;
  }
}

function args(argv: string[]) {
  const a = {
    out: join(REPO, 'bench/results/f16-error.json'),
    pack: join(REPO, 'public/models/lymphscope-demo-r18/manifest.json'),
    modality: 'bmode' as Modality,
    perSource: 3,
    data: resolve(REPO, '../shared/data'),
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--out') a.out = resolve(argv[++i]!);
    else if (k === '--pack') a.pack = resolve(argv[++i]!);
    else if (k === '--modality') a.modality = argv[++i] as Modality;
    else if (k === '--per-source') a.perSource = Number(argv[++i]);
    else if (k === '--data') a.data = resolve(argv[++i]!);
    else throw new Error(`unknown option ${k}`);
  }
  if (!Number.isInteger(a.perSource) || a.perSource < 1) throw new Error('--per-source: expected a whole number ≥ 1');
  return a;
}

type Source = 'busi' | 'ddti' | 'synthetic';

/** The first `n` images of a source, as files: BUSI's classes in turn, DDTI in its list's order. */
function pickImages(DATA: string, n: number): { source: Source; file: string }[] {
  if (!existsSync(DATA)) return [{ source: 'synthetic', file: 'bench/image.ts' }];
  const rows = (path: string) =>
    readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',')[0]!);
  const busi = rows(join(DATA, 'busi/labels.csv'));
  const byClass = ['benign', 'malignant', 'normal'].map((c) => busi.filter((f) => f.startsWith(`${c}/`)));
  const busiPicked = Array.from({ length: n }, (_, i) => byClass[i % 3]![Math.floor(i / 3)]!);
  const ddti = rows(join(DATA, 'ddti/labels.csv')).slice(0, n);
  return [
    ...busiPicked.map((f) => ({ source: 'busi' as const, file: join(DATA, 'busi', f) })),
    ...ddti.map((f) => ({ source: 'ddti' as const, file: join(DATA, 'ddti', f) })),
  ];
}

const maxAbs = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

async function main(): Promise<void> {
  const a = args(process.argv.slice(2));
  const manifest = parseManifest(JSON.parse(readFileSync(a.pack, 'utf8')));
  const spec = manifest.modalities[a.modality];
  if (!spec) throw new Error(`the pack has no ${a.modality} model`);
  const images = pickImages(a.data, a.perSource);
  const inputs = images.map(({ source, file }) => {
    if (source === 'synthetic') return [...preprocess(benchImage(), spec.input)];
    const png = PNG.sync.read(readFileSync(file));
    return [...preprocess({ width: png.width, height: png.height, data: new Uint8ClampedArray(png.data) }, spec.input)];
  });

  await bundlePage(join(REPO, 'bench/gpu/f16-error-page.ts'), CACHE);
  const server = await startBenchServer({ port: 0, root: CACHE, mounts: { '/models/pack/': dirname(a.pack) }, isolated: true });
  const extra = (process.env.BENCH_CHROMIUM_ARGS ?? '').split(/\s+/).filter((x) => x);
  const executablePath = process.env.CHROMIUM_PATH ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
  const browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS, ...extra] });
  let run: F16Run;
  try {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => 'f16Error' in window);
    run = await page.evaluate(([m, mod, x]) => window.f16Error.run(m, mod, x), [
      `${server.url}models/pack/manifest.json`,
      a.modality,
      inputs,
    ] as const);
  } finally {
    await browser.close();
    await server.close();
  }
  const perImage = images.map((img, i) => {
    const f32 = run.logits.f32[i]!;
    const f16 = run.logits.f16[i]!;
    return {
      source: img.source,
      file: img.source === 'synthetic' ? img.file : img.file.slice(a.data.length + 1),
      maxAbsLogitDiff: maxAbs(f32, f16),
      maxAbsProbDiff: maxAbs(calibratedSoftmax(f32, run.temperature), calibratedSoftmax(f16, run.temperature)),
      sameTopClass: f32.indexOf(Math.max(...f32)) === f16.indexOf(Math.max(...f16)),
    };
  });
  const sources = [...new Set(perImage.map((r) => r.source))];
  const bySource = sources.map((source) => {
    const rows = perImage.filter((r) => r.source === source);
    return {
      source,
      images: rows.length,
      maxAbsLogitDiff: Math.max(...rows.map((r) => r.maxAbsLogitDiff)),
      maxAbsProbDiff: Math.max(...rows.map((r) => r.maxAbsProbDiff)),
      sameTopClass: rows.filter((r) => r.sameTopClass).length,
    };
  });
  const out = {
    schema: 1,
    started: new Date().toISOString(),
    pack: { id: manifest.id, version: manifest.version, modality: a.modality },
    adapter: run.adapter,
    half: run.half,
    ownCalls: run.ownCalls,
    bySource,
    perImage,
    logits: run.logits,
  };
  mkdirSync(dirname(a.out), { recursive: true });
  writeFileSync(a.out, JSON.stringify(out, null, 1) + '\n');
  console.log(
    `${run.half} on ${run.adapter}; the app's kernels ran ${run.ownCalls.f32} (f32) and ${run.ownCalls.f16} (f16) convolutions`,
  );
  for (const s of bySource) {
    console.log(
      `${s.source}: ${s.images} images, max |Δlogit| ${s.maxAbsLogitDiff.toExponential(2)}, max |Δp| ${s.maxAbsProbDiff.toExponential(2)}, same top class ${s.sameTopClass}/${s.images}`,
    );
  }
  console.log(a.out);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
