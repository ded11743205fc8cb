/**
 * `npm run bench`: LymphScope's runtime side by side with ONNX Runtime Web and native PyTorch, on
 * the same weights, in the same headless Chromium, on this machine. Writes
 * bench/results/<timestamp>.json and prints a markdown table. See bench/README.md.
 *
 *   npm run bench                       # default pack (or a random-weight ResNet-18 until one exists)
 *   npm run bench -- --quick            # fixture pack, few runs (what npm test exercises)
 *   npm run bench -- --pack path/to/manifest.json --runs 50 --only app-wasm,ort-wasm,native
 *   npm run bench -- --ablations        # also the app with one optimisation off at a time
 */

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from '@playwright/test';
import { preprocess } from '../src/imaging/preprocess';
import { parseManifest, type Manifest } from '../src/model-pack/manifest';
import { benchImage } from './image';
import type { PageResult, Stat } from './page/types';
import { HeapSampler } from './heap';
import { median, mergeStats } from './stats';
import { startBenchServer, type BenchServer } from './server';
import { buildReport, markdownTable, type BenchReport, type NativeResult, type ScenarioResult } from './report';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = join(REPO, 'node_modules/.cache/lymphscope-bench');
const DEFAULT_PACK = join(REPO, 'public/models/lymphscope-demo-r18/manifest.json');
const RANDOM_PACK = join(CACHE, 'packs/random-r18/manifest.json');
const FIXTURE_PACK = join(REPO, 'tests/.generated/models/fixture-tiny/manifest.json');
const PYTHON = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

export interface Scenario {
  id: string;
  label: string;
  engine: 'app' | 'ort';
  backend: 'webgpu' | 'webgl' | 'wasm' | 'cpu';
  /** Served with COOP/COEP (cross-origin isolated: wasm threads possible). */
  isolated: boolean;
  /** Only a correctness reference: one analysis, no leak or three-modality runs. */
  referenceOnly?: boolean;
  /**
   * Runtime speed switches (JSON of RuntimeTuning, src/runtime/tuning.ts), to measure what one
   * optimisation gains: the page runs the benchmark's worker entry with them (bench-worker.ts).
   */
  tune?: string;
}

export const SCENARIOS: Scenario[] = [
  { id: 'app-wasm', label: 'LymphScope WASM (threads+SIMD)', engine: 'app', backend: 'wasm', isolated: true },
  { id: 'app-wasm-1t', label: 'LymphScope WASM (no COOP/COEP: 1 thread)', engine: 'app', backend: 'wasm', isolated: false },
  { id: 'ort-wasm', label: 'ONNX Runtime Web wasm (threads+SIMD)', engine: 'ort', backend: 'wasm', isolated: true },
  { id: 'ort-wasm-1t', label: 'ONNX Runtime Web wasm (no COOP/COEP: 1 thread)', engine: 'ort', backend: 'wasm', isolated: false },
  { id: 'app-webgpu', label: 'LymphScope WebGPU', engine: 'app', backend: 'webgpu', isolated: true },
  { id: 'ort-webgpu', label: 'ONNX Runtime Web webgpu', engine: 'ort', backend: 'webgpu', isolated: true },
  { id: 'app-webgl', label: 'LymphScope WebGL', engine: 'app', backend: 'webgl', isolated: true },
  {
    id: 'app-cpu',
    label: 'LymphScope plain JS (correctness reference)',
    engine: 'app',
    backend: 'cpu',
    isolated: true,
    referenceOnly: true,
  },
];
/**
 * `--ablations`: the app with one optimisation off (or one variant on) at a time: on wasm, and on
 * webgpu the app's WGSL kernels against tfjs's and in f16 (bench/gpu/run-device.sh, a real GPU).
 */
export const ABLATIONS: Scenario[] = [
  {
    id: 'app-webgpu-tfjs-conv',
    label: "ablation: tfjs's own WebGPU convolutions",
    engine: 'app',
    backend: 'webgpu',
    isolated: true,
    tune: '{"webgpuConvKernels":false}',
  },
  {
    id: 'app-webgpu-f16',
    label: "LymphScope WebGPU, the app's kernels in f16 (shader-f16 adapters)",
    engine: 'app',
    backend: 'webgpu',
    isolated: true,
    tune: '{"webgpuF16":true}',
  },
  {
    id: 'app-wasm-no-fused-relu',
    label: 'ablation: Conv2D and ReLU unfused',
    engine: 'app',
    backend: 'wasm',
    isolated: true,
    tune: '{"fuseConvRelu":false}',
  },
  {
    id: 'app-wasm-xnnpack',
    label: "ablation: tfjs's XNNPACK convolutions and thread pool",
    engine: 'app',
    backend: 'wasm',
    isolated: true,
    tune: '{"convKernels":false}',
  },
  {
    id: 'app-wasm-autograd-cam',
    label: 'ablation: Grad-CAM by autograd',
    engine: 'app',
    backend: 'wasm',
    isolated: true,
    tune: '{"closedFormGradCam":false}',
  },
  {
    id: 'app-wasm-warm-all',
    label: 'ablation: warm up every model at init',
    engine: 'app',
    backend: 'wasm',
    isolated: true,
    tune: '{"warmAllModels":true}',
  },
  {
    id: 'app-wasm-no-background-warmup',
    label: 'ablation: no background warm-up',
    engine: 'app',
    backend: 'wasm',
    isolated: true,
    tune: '{"backgroundWarmUp":false}',
  },
  {
    id: 'app-wasm-sequential-load',
    label: 'ablation: models downloaded one after the other',
    engine: 'app',
    backend: 'wasm',
    isolated: true,
    tune: '{"parallelPackLoad":false}',
  },
  {
    id: 'app-wasm-simd128',
    label: 'ablation: kernels without Relaxed SIMD (SIMD128 build, no FMA)',
    engine: 'app',
    backend: 'wasm',
    isolated: true,
    tune: '{"relaxedSimd":false}',
  },
  {
    id: 'app-wasm-fma',
    label: 'ablation: no int8 compute (Relaxed SIMD float32 kernels, FMA)',
    engine: 'app',
    backend: 'wasm',
    isolated: true,
    tune: '{"int8Compute":false}',
  },
  {
    id: 'app-wasm-1thread-isolated',
    label: 'ablation: 1 wasm thread (isolated page)',
    engine: 'app',
    backend: 'wasm',
    isolated: true,
    tune: '{"wasmThreads":1}',
  },
];
const QUICK_SCENARIOS = ['app-wasm', 'app-wasm-1t', 'ort-wasm', 'native'];

interface Args {
  quick: boolean;
  pack: string | null;
  runs: number;
  leak: number;
  triple: number;
  /** Images in the throughput batch of the app's wasm scenarios (0 skips it). */
  throughput: number;
  only: string[] | null;
  out: string | null;
  build: boolean;
  port: number;
  /** Runs on a software GPU adapter (SwiftShader): a ResNet-18 takes seconds there. */
  softwareGpuRuns: number;
  timeoutS: number;
  ablations: boolean;
  /** Every scenario runs this many times, round-robin, and the samples are pooled (noisy machines). */
  rounds: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    quick: false,
    pack: null,
    runs: 30,
    leak: 100,
    triple: 10,
    throughput: 100,
    only: null,
    out: null,
    build: true,
    // Two ports: this one (cross-origin isolated) and the next (no COOP/COEP). 0: any free ports.
    port: Number(process.env.BENCH_PORT ?? 4600),
    softwareGpuRuns: 3,
    timeoutS: 900,
    ablations: false,
    rounds: 1,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = argv[i + 1];
    const take = () => {
      i++;
      if (v === undefined) throw new Error(`${k} needs a value`);
      return v;
    };
    if (k === '--quick') a.quick = true;
    else if (k === '--pack') a.pack = resolve(take());
    else if (k === '--runs') a.runs = Number(take());
    else if (k === '--leak') a.leak = Number(take());
    else if (k === '--triple') a.triple = Number(take());
    else if (k === '--throughput') a.throughput = Number(take());
    else if (k === '--only') a.only = take().split(',');
    else if (k === '--out') a.out = resolve(take());
    else if (k === '--no-build') a.build = false;
    else if (k === '--ablations') a.ablations = true;
    else if (k === '--rounds') a.rounds = Math.max(1, Number(take()));
    else if (k === '--port') a.port = Number(take());
    else if (k === '--software-gpu-runs') a.softwareGpuRuns = Number(take());
    else if (k === '--timeout') a.timeoutS = Number(take());
    else if (k === '--help') {
      console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]);
      process.exit(0);
    } else throw new Error(`unknown option ${k}`);
  }
  if (a.quick) {
    a.runs = Math.min(a.runs, 5);
    a.leak = Math.min(a.leak, 10);
    a.triple = Math.min(a.triple, 2);
    a.throughput = Math.min(a.throughput, 3);
    a.only ??= QUICK_SCENARIOS;
  }
  return a;
}

function sh(cmd: string, args: string[], what: string): string {
  const r = spawnSync(cmd, args, { cwd: REPO, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${what} failed (${cmd} ${args.join(' ')}):\n${r.stderr || r.stdout}`);
  return r.stdout;
}

function choosePack(a: Args): string {
  if (a.pack) return a.pack;
  if (a.quick) {
    if (!existsSync(FIXTURE_PACK)) sh('npx', ['tsx', 'scripts/make-fixture-pack.ts'], 'writing the fixture pack');
    return FIXTURE_PACK;
  }
  if (existsSync(DEFAULT_PACK)) return DEFAULT_PACK;
  if (!existsSync(RANDOM_PACK)) {
    console.log('No default pack yet: exporting a random-weight ResNet-18 through the training exporter…');
    sh(PYTHON, ['bench/make_random_pack.py', '--out', dirname(RANDOM_PACK)], 'exporting a random ResNet-18 pack');
  }
  return RANDOM_PACK;
}

function exportOnnx(manifestPath: string, modality: string): string {
  const key = createHash('sha256').update(readFileSync(manifestPath)).digest('hex').slice(0, 16);
  const out = join(CACHE, 'onnx', key, `${modality}.onnx`);
  if (!existsSync(out)) sh(PYTHON, ['bench/export_onnx.py', manifestPath, out, '--modality', modality], 'ONNX export');
  return out;
}

function machine() {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const flags = /^flags\s*:(.*)$/m.exec(info)?.[1]?.trim().split(/\s+/) ?? [];
  const vendor = /^vendor_id\s*:\s*(.*)$/m.exec(info)?.[1] ?? 'unknown';
  const mhz = Number(/^cpu MHz\s*:\s*(.*)$/m.exec(info)?.[1] ?? cpus()[0]?.speed ?? 0);
  const cores = cpus().length;
  // FP32 FLOP per cycle per core: FMA pipes × lanes × 2. Zen 4 runs AVX-512 on two 256-bit FMA
  // pipes (32); Intel server cores with AVX-512 have two 512-bit FMA units (64); AVX2+FMA: 32.
  const fma = flags.includes('fma') && flags.includes('avx2');
  const nativePerCycle = flags.includes('avx512f') && vendor === 'GenuineIntel' ? 64 : fma ? 32 : 8;
  // WebAssembly SIMD is 128-bit without FMA (tfjs 4.22 does not use relaxed SIMD): 2 mul + 2 add
  // pipes × 4 lanes.
  const wasmPerCycle = 16;
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    vendor,
    cores,
    mhz,
    memoryBytes: totalmem(),
    kernel: release(),
    node: process.version,
    flags: flags.filter((f) => /^(avx|fma|sse4|avx512)/.test(f)),
    peakGflops: { native: (cores * mhz * nativePerCycle) / 1000, wasmSimd128: (cores * mhz * wasmPerCycle) / 1000 },
  };
}

async function runScenario(
  browser: Browser,
  server: BenchServer,
  s: Scenario,
  a: Args,
  runs: number,
  extra: Record<string, string>,
  firstRound: boolean,
): Promise<ScenarioResult> {
  const full = !s.referenceOnly && runs >= a.runs;
  const q = new URLSearchParams({
    engine: s.engine,
    backend: s.backend,
    runs: String(s.referenceOnly ? 1 : runs),
    leak: String(full && firstRound ? a.leak : 0),
    triple: String(full ? a.triple : 0),
    // Once per scenario (first round), on the app's wasm only: a software GPU would take hours.
    throughput: String(full && firstRound && s.engine === 'app' && s.backend === 'wasm' ? a.throughput : 0),
    ...extra,
    ...(s.tune ? { tune: s.tune } : {}),
  });
  const context = await browser.newContext();
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text().slice(0, 300));
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e).slice(0, 300)));
  const heap = new HeapSampler();
  await heap.attach(page);
  server.reset();
  const started = Date.now();
  heap.start();
  let result: PageResult;
  try {
    await page.goto(`${server.url}?${q}`);
    await page.waitForFunction(() => window.__benchResult !== undefined, null, { timeout: a.timeoutS * 1000, polling: 250 });
    result = (await page.evaluate(() => window.__benchResult))!;
  } catch (e) {
    const progress = await page.evaluate(() => window.__benchProgress).catch(() => undefined);
    result = { ok: false, error: `${(e as Error).message.split('\n')[0]} (last step: ${progress ?? 'none'})` } as PageResult;
  }
  const bytes = server.bytes();
  await heap.stop();
  await context.close();
  return {
    ...result,
    id: s.id,
    label: s.label,
    engine: s.engine,
    backend: s.backend,
    isolated: s.isolated,
    referenceOnly: !!s.referenceOnly,
    bytesDownloaded: bytes,
    heap: { peakBytes: heap.peakBytes, samples: heap.samples, method: 'CDP Runtime.getHeapUsage, page + workers, every 0.5 s' },
    wallS: (Date.now() - started) / 1000,
    consoleErrors: consoleErrors.slice(0, 5),
  };
}

/** A scenario that could not start (its `error` says why). */
function notRun(s: Scenario): ScenarioResult {
  return {
    ok: false,
    id: s.id,
    label: s.label,
    engine: s.engine,
    backend: s.backend,
    isolated: s.isolated,
    referenceOnly: !!s.referenceOnly,
    bytesDownloaded: 0,
    wallS: 0,
    consoleErrors: [],
  } as unknown as ScenarioResult;
}

/** One result from a scenario's rounds: samples pooled, one-off numbers as the median round's. */
function pool(results: ScenarioResult[]): ScenarioResult {
  const first = results[0]!;
  const failed = results.find((r) => !r.ok);
  if (results.length === 1 || failed) return failed ?? first;
  const inference = mergeStats(results.map((r) => r.inference))!;
  return {
    ...first,
    runs: inference.n,
    rounds: results.length,
    coldStartMs: median(results.map((r) => r.coldStartMs)),
    coldStartRoundsMs: results.map((r) => r.coldStartMs),
    secondAnalysisMs: median(results.map((r) => r.secondAnalysisMs)),
    inference,
    gradcam: mergeStats(results.map((r) => r.gradcam)),
    analysis: mergeStats(results.map((r) => r.analysis))!,
    triple: mergeStats(results.map((r) => r.triple)),
    heap: { ...first.heap!, peakBytes: Math.max(...results.map((r) => r.heap?.peakBytes ?? 0)) },
    wallS: results.reduce((t, r) => t + r.wallS, 0),
  };
}

function poolNative(results: NativeResult[]): NativeResult | null {
  if (results.length === 0) return null;
  const failed = results.find((r) => !r.ok);
  if (results.length === 1 || failed) return failed ?? results[0]!;
  const samples = results.flatMap((r) => r.inference.samples ?? []);
  const inference = mergeStats(results.map((r) => ({ ...r.inference, samples: r.inference.samples ?? [] })))!;
  return {
    ...results[0]!,
    runs: samples.length,
    coldStartMs: median(results.map((r) => r.coldStartMs)),
    inference,
    gradcam: { p50: median(results.map((r) => r.gradcam.p50)), p95: Math.max(...results.map((r) => r.gradcam.p95)) },
    analysis: { p50: median(results.map((r) => r.analysis.p50)), p95: Math.max(...results.map((r) => r.analysis.p95)) },
  };
}

function runNative(manifestPath: string, modality: string, inputFile: string, threads: number, runs: number): NativeResult {
  try {
    const out = sh(
      PYTHON,
      [
        'bench/native.py',
        manifestPath,
        '--modality',
        modality,
        '--threads',
        String(threads),
        '--runs',
        String(runs),
        '--input',
        inputFile,
      ],
      'native PyTorch',
    );
    return { ok: true, ...(JSON.parse(out) as Omit<NativeResult, 'ok'>) };
  } catch (e) {
    return { ok: false, error: (e as Error).message.slice(0, 2000) } as NativeResult;
  }
}

/** Asks a page which GPU adapters this browser has (software ones make a ResNet-18 take seconds). */
async function probeGpu(browser: Browser, server: BenchServer): Promise<{ webgpu: string | null; webgl: string | null }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}?probe=1`);
  await page.waitForFunction(() => (window as unknown as { __benchProbe?: unknown }).__benchProbe !== undefined, null, {
    timeout: 60_000,
  });
  const probe = await page.evaluate(
    () => (window as unknown as { __benchProbe: { webgpu: string | null; webgl: string | null } }).__benchProbe,
  );
  await context.close();
  return probe;
}

export const isSoftwareAdapter = (name: string | null) =>
  !!name && /swiftshader|llvmpipe|software|fallback|basic render/i.test(name);

export async function runBench(argv: string[]): Promise<{ report: BenchReport; file: string }> {
  const a = parseArgs(argv);
  const manifestPath = choosePack(a);
  const manifest: Manifest = parseManifest(JSON.parse(readFileSync(manifestPath, 'utf8')));
  const modality = manifest.modalities.bmode ? 'bmode' : Object.keys(manifest.modalities)[0]!;
  const spec = manifest.modalities[modality as keyof Manifest['modalities']]!;
  const loadStart = loadavg();
  const started = new Date();

  console.log(`Pack: ${manifestPath}`);
  // Without Python + PyTorch (a GPU machine may have neither) ONNX Runtime's scenarios report the
  // failure; the others still run.
  let onnx: string | null = null;
  let onnxError = '';
  try {
    onnx = exportOnnx(manifestPath, modality);
  } catch (e) {
    onnxError = (e as Error).message.split('\n').slice(0, 3).join(' ');
    console.log(`ONNX export failed, ONNX Runtime scenarios skipped: ${onnxError}`);
  }
  // Quick mode (npm test) builds into its own folder, so it never races a full run's page.
  const distDir = join(CACHE, a.quick ? 'dist-quick' : 'dist');
  if (a.build || !existsSync(join(distDir, 'index.html'))) {
    sh('npx', ['vite', 'build', '--config', 'bench/vite.config.ts', '--outDir', distDir], 'building the bench page');
  }

  // The same preprocessed image every engine gets, for native PyTorch.
  mkdirSync(join(CACHE, 'tmp'), { recursive: true });
  const inputFile = join(CACHE, 'tmp', `input-${spec.input.width}x${spec.input.height}.f32`);
  writeFileSync(inputFile, preprocess(benchImage(), spec.input));

  const mounts = {
    // Under a `models` folder: the pack address rule (src/model-pack/pack-url.ts) holds for the bench too.
    '/models/pack/': dirname(manifestPath),
    '/onnx/': onnx ? dirname(onnx) : join(CACHE, 'onnx'),
    '/ort/': join(REPO, 'node_modules/onnxruntime-web/dist'),
  };
  const isolatedServer = await startBenchServer({ port: a.port, root: distDir, mounts, isolated: true });
  const plainServer = await startBenchServer({ port: a.port ? a.port + 1 : 0, root: distDir, mounts, isolated: false });
  const { CHROMIUM_ARGS } = await import('../playwright.config');
  const executablePath = process.env.CHROMIUM_PATH ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
  // BENCH_CHROMIUM_ARGS: extra switches, e.g. for a real GPU in headless Linux Chromium
  // (bench/gpu/run-device.sh: Vulkan, no GPU blocklist).
  const extraArgs = (process.env.BENCH_CHROMIUM_ARGS ?? '').split(/\s+/).filter((x) => x);
  const browser = await chromium.launch({
    executablePath,
    args: [...CHROMIUM_ARGS, '--enable-precise-memory-info', '--enable-blink-features=ForceEagerMeasureMemory', ...extraArgs],
  });
  const scenarios: ScenarioResult[] = [];
  let native: NativeResult | null = null;
  let browserVersion = '';
  let gpu = { webgpu: null as string | null, webgl: null as string | null };
  try {
    browserVersion = browser.version();
    gpu = await probeGpu(browser, isolatedServer);
    const extra = { manifest: 'models/pack/manifest.json', onnx: `onnx/${modality}.onnx`, modality };
    const chosen = [...SCENARIOS, ...ABLATIONS].filter((s) =>
      ABLATIONS.includes(s) ? a.ablations || !!a.only?.includes(s.id) : !a.only || a.only.includes(s.id),
    );
    const rounds: ScenarioResult[][] = chosen.map(() => []);
    const nativeRounds: NativeResult[] = [];
    for (let round = 0; round < a.rounds; round++) {
      if (a.rounds > 1) console.log(`round ${round + 1}/${a.rounds}`);
      // Rotated each round, so no scenario always follows the same neighbour (load drifts).
      const order = chosen.map((_, k) => (k + round) % chosen.length);
      for (const i of order) {
        const s = chosen[i]!;
        const adapter = s.backend === 'webgpu' ? gpu.webgpu : s.backend === 'webgl' ? gpu.webgl : null;
        const software = (s.backend === 'webgpu' || s.backend === 'webgl') && isSoftwareAdapter(adapter);
        if ((software || s.referenceOnly) && round > 0) continue; // seconds per run: once is enough
        const runs = s.referenceOnly ? 1 : software ? a.softwareGpuRuns : a.runs;
        process.stdout.write(`${s.id} (${runs} runs)… `);
        if (s.engine === 'ort' && !onnx) {
          console.log('skipped: no ONNX export');
          rounds[i]!.push({ ...notRun(s), error: `ONNX export failed: ${onnxError}` });
          continue;
        }
        const r = await runScenario(browser, s.isolated ? isolatedServer : plainServer, s, a, runs, extra, round === 0);
        r.softwareAdapter = adapter ? isSoftwareAdapter(adapter) : null;
        r.adapter ??= adapter;
        console.log(r.ok ? `inference p50 ${r.inference.p50.toFixed(1)} ms (${r.wallS.toFixed(0)} s)` : `failed: ${r.error}`);
        rounds[i]!.push(r);
      }
      if (!a.only || a.only.includes('native')) {
        process.stdout.write('native PyTorch… ');
        const n = runNative(manifestPath, modality, inputFile, cpus().length, a.runs);
        console.log(n.ok ? `inference p50 ${n.inference.p50.toFixed(1)} ms` : `failed: ${n.error}`);
        nativeRounds.push(n);
      }
    }
    scenarios.push(...rounds.map(pool));
    native = poolNative(nativeRounds);
  } finally {
    await browser.close();
    await isolatedServer.close();
    await plainServer.close();
  }

  const report = buildReport({
    started,
    quick: a.quick,
    machine: { ...machine(), loadavgStart: loadStart, loadavgEnd: loadavg(), browser: `Chromium ${browserVersion}`, gpu },
    pack: {
      id: manifest.id,
      manifest: manifestPath.startsWith(REPO) ? manifestPath.slice(REPO.length + 1) : manifestPath,
      fixture: manifest.fixture,
      modality,
      modalities: Object.keys(manifest.modalities),
      input: [spec.input.height, spec.input.width],
      weightsDtype: spec.weightsDtype ?? null,
      onnxBytes: onnx ? readFileSync(onnx).byteLength : null,
    },
    runs: a.runs,
    scenarios,
    native,
  });
  const file =
    a.out ?? join(REPO, 'bench/results', `${started.toISOString().replace(/[:.]/g, '-')}${a.quick ? '-quick' : ''}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(report, null, 1) + '\n');
  return { report, file };
}

export type { Stat };

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runBench(process.argv.slice(2)).then(
    ({ report, file }) => {
      console.log(`\n${markdownTable(report)}\nResults: ${file}`);
    },
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
