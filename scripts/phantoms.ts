/**
 * Writes a training data set of simulated cervical lymph node ultrasound.
 *
 *   npm run phantoms -- --out DIR --per-class N --seed S [--full] [--workers W] [--generator 1|2]
 *
 * --generator V picks the generator version (default 1, the one the bundled pack was trained on;
 * 2 adds anatomy, morphology, probes, vendors' screens and JPEG re-encoding; docs/phantoms.md).
 *
 * --workers W spreads cases over W worker threads (default 1: the CPU is usually shared); each writes
 * its own cases, rows are merged in case order, output is identical to a single-threaded run.
 *
 * Layout (same case id in every folder = same node):
 *   DIR/2d/<class-index>/<case>.png       B-mode ROI crop (what the model sees), native resolution
 *   DIR/cdfi/<class-index>/<case>.png     colour Doppler ROI crop
 *   DIR/elastic/<class-index>/<case>.png  elastography ROI crop (strain panel)
 *   DIR/masks/<case>_<structure>.png      0/255 masks, cropped to the 2d ROI (pixel-aligned with DIR/2d)
 *   DIR/full/<modality>/<class-index>/<case>.png  full screenshots, with --full
 *   DIR/full/masks/<case>_<structure>.png  0/255 masks of the whole B-mode/CDFI screenshot, with --full
 *                                          (pixel-aligned with DIR/full/2d and DIR/full/cdfi; node finder training)
 *   DIR/classes.txt, DIR/labels.csv
 *   DIR/generator.json                    generator version, git revision, whether src/phantoms was clean
 */

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { PNG } from 'pngjs';
import { datasetFolder, MODALITY_IDS, type ModalityId } from '../src/domain';
import { clampRect, fullRect, type Rect } from '../src/imaging/roi';
import type { RgbaImage } from '../src/imaging/resize';
import {
  CLASS_NAMES,
  MASK_NAMES,
  PHANTOM_GENERATOR_VERSIONS,
  caseId,
  generateCase,
  isPhantomGeneratorVersion,
  type NodeClass,
  type PhantomCase,
  type PhantomGeneratorVersion,
} from '../src/phantoms';

// Every registry modality, each in the folder the training code reads it from (src/domain).
const MODALITIES = MODALITY_IDS;
const MODALITY_DIRS = Object.fromEntries(MODALITIES.map((m) => [m, datasetFolder(m)])) as Record<ModalityId, string>;

interface Options {
  out: string;
  perClass: number;
  seed: number;
  full: boolean;
  workers: number;
  generator: PhantomGeneratorVersion;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { out: '', perClass: 10, seed: 1, full: false, workers: 1, generator: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--out') opts.out = value();
    else if (a === '--per-class') opts.perClass = Number(value());
    else if (a === '--seed') opts.seed = Number(value());
    else if (a === '--full') opts.full = true;
    else if (a === '--workers') opts.workers = Number(value());
    else if (a === '--generator') {
      const v = Number(value());
      if (!isPhantomGeneratorVersion(v)) throw new Error(`--generator must be one of ${PHANTOM_GENERATOR_VERSIONS.join(', ')}`);
      opts.generator = v;
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(
        [
          'Usage: npm run phantoms -- --out DIR [--per-class N] [--seed S] [--full] [--workers W] [--generator 1|2]',
          '',
          '  --out DIR          output folder (required)',
          '  --per-class N      cases per class (default 10)',
          '  --seed S           first seed; seeds S … S+N-1 per class (default 1)',
          '  --full             also write whole screenshots and their masks (node finder training)',
          '  --workers W        worker threads, output identical to 1 (default 1)',
          '  --generator V      generator version: 1 (default; the bundled pack) or 2 (docs/phantoms.md)',
          '',
          'Example: npm run phantoms -- --out /tmp/ph --per-class 50 --seed 2025 --generator 2',
          '',
        ].join('\n'),
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!opts.out) throw new Error('--out DIR is required');
  if (!Number.isInteger(opts.perClass) || opts.perClass < 1) throw new Error('--per-class must be a positive integer');
  if (!Number.isInteger(opts.seed) || opts.seed < 0) throw new Error('--seed must be a non-negative integer');
  if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new Error('--workers must be a positive integer');
  return opts;
}

/** PNG (RGB) of `rect` of an RGBA image; the alpha is dropped here so pngjs can skip its own repacking. */
function encodeRgbCrop(img: RgbaImage, rect: Rect): Buffer {
  const r = clampRect(rect, img.width, img.height);
  const rgb = Buffer.alloc(r.width * r.height * 3);
  for (let y = 0; y < r.height; y++) {
    let s = ((r.y + y) * img.width + r.x) * 4;
    let d = y * r.width * 3;
    for (let x = 0; x < r.width; x++, s += 4, d += 3) {
      rgb[d] = img.data[s]!;
      rgb[d + 1] = img.data[s + 1]!;
      rgb[d + 2] = img.data[s + 2]!;
    }
  }
  const png = new PNG({ width: r.width, height: r.height });
  png.data = rgb;
  // One fixed row filter: pngjs otherwise tries all five per row, which dominates encoding time.
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false, deflateLevel: 4, filterType: 1 });
}

function encodeMask(mask: Uint8Array, width: number, rect: Rect): Buffer {
  const data = Buffer.alloc(rect.width * rect.height);
  for (let y = 0; y < rect.height; y++) {
    for (let x = 0; x < rect.width; x++) data[y * rect.width + x] = mask[(rect.y + y) * width + rect.x + x] ? 255 : 0;
  }
  const png = new PNG({ width: rect.width, height: rect.height });
  png.data = data;
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false, deflateLevel: 4, filterType: 1 });
}

function csvValue(v: unknown): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function writeCase(opts: Options, pc: PhantomCase, id: string): void {
  for (const m of MODALITIES) {
    const dir = join(opts.out, MODALITY_DIRS[m], String(pc.classIndex));
    writeFileSync(join(dir, `${id}.png`), encodeRgbCrop(pc.images[m], pc.rois[m]));
    if (opts.full)
      writeFileSync(
        join(opts.out, 'full', MODALITY_DIRS[m], String(pc.classIndex), `${id}.png`),
        encodeRgbCrop(pc.images[m], fullRect(pc.images[m].width, pc.images[m].height)),
      );
  }
  for (const name of MASK_NAMES)
    writeFileSync(join(opts.out, 'masks', `${id}_${name}.png`), encodeMask(pc.masks[name], pc.maskWidth, pc.rois.bmode));
  if (opts.full) {
    const whole = fullRect(pc.maskWidth, pc.maskHeight);
    for (const name of MASK_NAMES)
      writeFileSync(join(opts.out, 'full', 'masks', `${id}_${name}.png`), encodeMask(pc.masks[name], pc.maskWidth, whole));
  }
}

/**
 * Which generator made the set: its version, the git revision and whether the generator's files
 * differed from it (same rule as training/default_pack.py's generator_provenance). Same seed +
 * version + clean revision → same bytes (tests/unit/phantoms/*-pinned.test.ts).
 */
function generatorProvenance(version: PhantomGeneratorVersion): Record<string, unknown> {
  const git = (...args: string[]): string | null => {
    try {
      return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null; // not a git checkout (e.g. an unpacked release): say so rather than guess
    }
  };
  const commit = git('rev-parse', 'HEAD');
  const status = git('status', '--porcelain', '--', 'src/phantoms', 'scripts/phantoms.ts');
  return { version, commit, uncommittedChanges: status === null ? null : status.length > 0 };
}

interface Job {
  index: number;
  cls: NodeClass;
  seed: number;
}

/** Case k of each class, classes interleaved so that a partial run stays balanced. */
function jobs(opts: Options): Job[] {
  const out: Job[] = [];
  for (let k = 0; k < opts.perClass; k++) {
    for (const cls of CLASS_NAMES) out.push({ index: out.length, cls, seed: opts.seed + k });
  }
  return out;
}

function csvHeader(pc: PhantomCase): string[] {
  return [
    'case_id',
    'class_index',
    'class',
    'seed',
    ...MODALITIES.flatMap((m) => ['x', 'y', 'w', 'h'].map((s) => `roi_${MODALITY_DIRS[m]}_${s}`)),
    ...paramKeys(pc),
  ];
}

function paramKeys(pc: PhantomCase): string[] {
  return Object.keys(pc.params).filter((key) => key !== 'seed' && key !== 'cls');
}

/** Generates and writes one case; returns its labels.csv header and row. */
function runJob(opts: Options, job: Job): { header: string[]; row: string } {
  const id = caseId(job.cls, job.seed);
  const pc = generateCase({ seed: job.seed, cls: job.cls, version: opts.generator });
  writeCase(opts, pc, id);
  const params = pc.params as unknown as Record<string, unknown>;
  const rois = MODALITIES.flatMap((m) => {
    const r = pc.rois[m];
    return [r.x, r.y, r.width, r.height];
  });
  const row = [id, pc.classIndex, job.cls, job.seed, ...rois, ...paramKeys(pc).map((key) => params[key])].map(csvValue).join(',');
  return { header: csvHeader(pc), row };
}

interface WorkerMessage {
  index: number;
  header: string[];
  row: string;
}

function workerMain(): void {
  const { opts, slice } = workerData as { opts: Options; slice: Job[] };
  for (const job of slice) parentPort!.postMessage({ index: job.index, ...runJob(opts, job) } satisfies WorkerMessage);
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  for (const m of MODALITIES) {
    for (let c = 0; c < CLASS_NAMES.length; c++) {
      mkdirSync(join(opts.out, MODALITY_DIRS[m], String(c)), { recursive: true });
      if (opts.full) mkdirSync(join(opts.out, 'full', MODALITY_DIRS[m], String(c)), { recursive: true });
    }
  }
  mkdirSync(join(opts.out, 'masks'), { recursive: true });
  if (opts.full) mkdirSync(join(opts.out, 'full', 'masks'), { recursive: true });
  writeFileSync(join(opts.out, 'classes.txt'), CLASS_NAMES.join('\n') + '\n');
  writeFileSync(join(opts.out, 'generator.json'), JSON.stringify(generatorProvenance(opts.generator), null, 1) + '\n');

  const all = jobs(opts);
  const total = all.length;
  const rows: string[] = new Array<string>(total);
  let header: string[] = [];
  const start = performance.now();
  let done = 0;
  const record = (m: WorkerMessage): void => {
    rows[m.index] = m.row;
    header = m.header;
    done++;
    if (done % 15 === 0 || done === total) {
      const rate = done / ((performance.now() - start) / 1000);
      process.stderr.write(`\r${done}/${total} cases  ${rate.toFixed(1)} cases/s  `);
    }
  };
  const workers = Math.min(opts.workers, total);
  if (workers <= 1) {
    for (const job of all) record({ index: job.index, ...runJob(opts, job) });
  } else {
    await Promise.all(
      Array.from({ length: workers }, (_, w) => {
        const slice = all.filter((job) => job.index % workers === w);
        // Workers run this same TypeScript file: register the tsx loader in the worker first.
        const boot = `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(import.meta.url)}); })`;
        const worker = new Worker(boot, { eval: true, workerData: { opts, slice } });
        worker.on('message', record);
        return new Promise<void>((resolve, reject) => {
          worker.on('error', reject);
          worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with code ${code}`))));
        });
      }),
    );
  }
  writeFileSync(join(opts.out, 'labels.csv'), [header.join(','), ...rows].join('\n') + '\n');
  const seconds = (performance.now() - start) / 1000;
  process.stderr.write(
    `\nWrote ${total} cases (${MODALITIES.length} modalities + ${MASK_NAMES.length} masks each) to ${opts.out} in ${seconds.toFixed(1)} s ` +
      `with ${workers} worker(s): ${(total / seconds).toFixed(1)} cases/s per modality\n`,
  );
}

if (isMainThread) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
} else {
  workerMain();
}
