/**
 * Every ResNet-18 convolution on the WebGPU backend: tfjs's kernels vs the app's WGSL kernels
 * (f32, and f16 where the device has `shader-f16`), in headless Chromium.
 *
 *   npx tsx bench/gpu/layers.ts --out FILE [--reps 100] [--allow-software]
 *
 * Chromium switches for a real GPU differ by machine: each set in BENCH_GPU_FLAG_SETS (sets
 * separated by "|", switches by spaces; default: DEFAULT_FLAG_SETS) is tried in turn until one
 * gives a hardware adapter. Without one the figures are a software rasteriser's: the JSON says
 * `judged: false` and the run stops there unless --allow-software (this file's own check on a
 * machine without a GPU). The chosen switches are written to FILE's folder as chromium-flags.txt
 * for the whole-model benchmark (bench/gpu/run-device.sh).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright';
import { CHROMIUM_ARGS } from '../../playwright.config';
import { isSoftwareAdapter } from '../run';
import { startBenchServer } from '../server';
import { bundlePage } from './bundle';
import type { GpuLayersPage, LayersReport } from './layers-page';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CACHE = join(REPO, 'node_modules/.cache/lymphscope-bench/gpu-layers');

/** Headless Linux Chromium on a GPU: Vulkan through ANGLE (what Dawn uses there), blocklist off. */
export const DEFAULT_FLAG_SETS = [
  '--enable-features=Vulkan --use-vulkan=native --use-angle=vulkan --ignore-gpu-blocklist --enable-gpu --disable-vulkan-surface',
  '--enable-features=Vulkan --use-angle=vulkan --ignore-gpu-blocklist',
  '--ignore-gpu-blocklist',
];

declare global {
  interface Window {
    gpuLayers: GpuLayersPage;
  }
}

function args(argv: string[]) {
  const a = { out: join(REPO, 'bench/results/gpu-layers.json'), reps: 100, allowSoftware: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--out') a.out = resolve(argv[++i]!);
    else if (k === '--reps') a.reps = Number(argv[++i]);
    else if (k === '--allow-software') a.allowSoftware = true;
    else throw new Error(`unknown option ${k}`);
  }
  if (!Number.isInteger(a.reps) || a.reps < 1) throw new Error('--reps: expected a whole number ≥ 1');
  return a;
}

async function main(): Promise<void> {
  const a = args(process.argv.slice(2));
  mkdirSync(CACHE, { recursive: true });
  await bundlePage(join(REPO, 'bench/gpu/layers-page.ts'), CACHE);
  const server = await startBenchServer({ port: 0, root: CACHE, mounts: {}, isolated: true });
  const sets = (process.env.BENCH_GPU_FLAG_SETS ? process.env.BENCH_GPU_FLAG_SETS.split('|') : DEFAULT_FLAG_SETS).map((s) =>
    s.split(/\s+/).filter((x) => x),
  );
  const executablePath = process.env.CHROMIUM_PATH ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
  const tried: { flags: string[]; adapter: string | null; error?: string }[] = [];
  let report: LayersReport | null = null;
  let chosen: string[] | null = null;
  let browserVersion = '';
  try {
    for (const flags of sets) {
      const browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS, ...flags] });
      try {
        browserVersion = browser.version();
        const page = await browser.newPage();
        await page.goto(server.url);
        await page.waitForFunction(() => 'gpuLayers' in window);
        const adapter = await page.evaluate(() => window.gpuLayers.adapter());
        tried.push({ flags, adapter });
        console.log(`flags ${flags.join(' ') || '(none)'}: adapter ${adapter ?? 'none'}`);
        const software = !adapter || isSoftwareAdapter(adapter);
        if (software && !(a.allowSoftware && flags === sets[sets.length - 1])) continue;
        chosen = flags;
        report = await page.evaluate((reps) => window.gpuLayers.run(reps), a.reps);
        break;
      } catch (e) {
        tried.push({ flags, adapter: null, error: (e as Error).message.split('\n')[0] });
      } finally {
        await browser.close();
      }
    }
  } finally {
    await server.close();
  }
  const hardware =
    !!report && !isSoftwareAdapter(Object.values(report.adapter).join(' ')) && report.adapter.isFallbackAdapter !== true;
  const out = {
    schema: 1,
    started: new Date().toISOString(),
    browser: `Chromium ${browserVersion}`,
    method:
      'per layer: one warm call (pipelines ready), then `reps` calls queued back to back and one read back of the last output; ms = wall time / reps. relErr: largest |output − tfjs output| / largest |tfjs output|',
    tried,
    chromiumFlags: chosen,
    /** Figures from a hardware adapter; false: a software rasteriser's or none (GPU speed not judged). */
    judged: hardware,
    report,
  };
  mkdirSync(dirname(a.out), { recursive: true });
  writeFileSync(a.out, JSON.stringify(out, null, 1) + '\n');
  if (chosen) writeFileSync(join(dirname(a.out), 'chromium-flags.txt'), chosen.join(' ') + '\n');
  if (!report) {
    console.log(`No hardware WebGPU adapter with any switch set; GPU speed not judged. ${a.out}`);
    process.exitCode = 3;
    return;
  }
  console.log(`\n${hardware ? 'Hardware' : 'SOFTWARE (not a GPU figure)'} adapter: ${JSON.stringify(report.adapter)}`);
  console.log(`| Layer | × | ${report.variants.map((v) => `${v} ms`).join(' | ')} | f32 rel. err | f16 rel. err | app calls |`);
  console.log(`|---|---|${report.variants.map(() => '---|').join('')}---|---|---|`);
  for (const l of report.layers) {
    const ms = report.variants.map((v) => l.ms[v]!.toFixed(3)).join(' | ');
    const err = (v: 'f32' | 'f16') => l.relErr[v]?.toExponential(1) ?? '–';
    console.log(`| ${l.name} | ${l.count} | ${ms} | ${err('f32')} | ${err('f16')} | ${Object.values(l.ownCalls).join(', ')} |`);
  }
  console.log(`| **all 20** | | ${report.variants.map((v) => report.totalMs[v]!.toFixed(2)).join(' | ')} | | | |`);
  console.log(a.out);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
