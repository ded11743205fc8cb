/**
 * `npm run soak`: many full analyses in the real app (built dist/, served by scripts/serve.mjs with
 * its production headers, Chromium), per backend, checking that memory and the tensor count stay
 * flat. Writes bench/results/soak-<timestamp>.json, prints a summary, exits 1 when anything grows
 * past its limit. See bench/README.md, "Soak".
 *
 *   npm run soak                                    # wasm ×1000, webgl as many as fit in 600 s
 *   npm run soak -- --runs wasm=200 --backends wasm # one backend, fewer analyses
 *   npm run soak -- --runs wasm=1000,cpu=5 --backends wasm,cpu --budget cpu=300
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from '@playwright/test';
import { isBackendId, type BackendId } from '../src/domain';
import {
  analyseDemoCase,
  judgeFlatness,
  pageModalities,
  SoakProbe,
  type FlatnessLimits,
  type FlatnessVerdict,
  type SoakSample,
} from './soak-loop';
import { stat } from './stats';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MiB = 1024 * 1024;

interface Args {
  backends: BackendId[];
  runs: Map<BackendId, number>;
  /** Seconds of analyses per backend; the loop stops at the first of count and budget (0: none). */
  budgetS: Map<BackendId, number>;
  every: Map<BackendId, number>;
  warmup: Map<BackendId, number>;
  jsHeapToleranceMiB: number;
  wasmHeapToleranceMiB: number;
  domNodeTolerance: number;
  port: number;
  build: boolean;
  out: string | null;
}

function backendMap(spec: string, what: string): Map<BackendId, number> {
  const m = new Map<BackendId, number>();
  for (const part of spec.split(',').filter(Boolean)) {
    const [b, v] = part.split('=');
    const n = Number(v);
    if (!b || !isBackendId(b) || !Number.isFinite(n) || n < 0) throw new Error(`${what}: expected backend=number, got "${part}"`);
    m.set(b, n);
  }
  return m;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    backends: ['wasm', 'webgl'],
    runs: new Map([
      ['wasm', 1000],
      ['webgl', 1000],
      ['webgpu', 1000],
      ['cpu', 1000],
    ]),
    budgetS: new Map([
      ['webgl', 600],
      ['webgpu', 600],
      ['cpu', 600],
    ]),
    every: new Map([['wasm', 25]]),
    warmup: new Map([['wasm', 50]]),
    jsHeapToleranceMiB: 4,
    wasmHeapToleranceMiB: 32,
    domNodeTolerance: 100,
    port: Number(process.env.SOAK_PORT ?? 4650),
    build: true,
    out: null,
  };
  const merge = (into: Map<BackendId, number>, from: Map<BackendId, number>) => from.forEach((v, k) => into.set(k, v));
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const v = argv[i + 1] ?? '';
    if (flag === '--no-build') {
      a.build = false;
      continue;
    }
    if (flag === '--backends') {
      const list = v.split(',');
      if (!list.every(isBackendId)) throw new Error(`--backends: unknown backend in "${v}"`);
      a.backends = list;
    } else if (flag === '--runs') merge(a.runs, backendMap(v, flag));
    else if (flag === '--budget') merge(a.budgetS, backendMap(v, flag));
    else if (flag === '--every') merge(a.every, backendMap(v, flag));
    else if (flag === '--warmup') merge(a.warmup, backendMap(v, flag));
    else if (flag === '--js-heap-tolerance-mib') a.jsHeapToleranceMiB = Number(v);
    else if (flag === '--wasm-heap-tolerance-mib') a.wasmHeapToleranceMiB = Number(v);
    else if (flag === '--dom-tolerance') a.domNodeTolerance = Number(v);
    else if (flag === '--port') a.port = Number(v);
    else if (flag === '--out') a.out = v;
    else throw new Error(`unknown option ${flag}`);
    i++;
  }
  return a;
}

export interface BackendSoak {
  backend: BackendId;
  planned: number;
  budgetS: number | null;
  analyses: number;
  stoppedBy: 'count' | 'budget';
  /** Page load to the backend being ready (pack download, model build). */
  startS: number;
  loopS: number;
  analysisMs: { p50: number; p95: number; max: number };
  sampleEvery: number;
  limits: FlatnessLimits;
  verdict: FlatnessVerdict;
  samples: SoakSample[];
}

export interface SoakReport {
  kind: 'lymphscope-soak';
  started: string;
  machine: { cpus: number; cpuModel: string; memGiB: number; loadavgStart: number[]; loadavgEnd: number[]; browser: string };
  pack: string;
  ok: boolean;
  backends: BackendSoak[];
}

async function startAppServer(port: number): Promise<{ url: string; stop(): void }> {
  const child: ChildProcess = spawn(process.execPath, ['scripts/serve.mjs', '--port', String(port)], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`scripts/serve.mjs exited (${child.exitCode}); is port ${port} free?`);
    try {
      if ((await fetch(url)).ok) return { url, stop: () => child.kill() };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error(`scripts/serve.mjs did not answer on ${url}`);
}

async function soakBackend(browser: Browser, url: string, backend: BackendId, a: Args): Promise<BackendSoak & { pack: string }> {
  const planned = a.runs.get(backend) ?? 1000;
  const budget = a.budgetS.get(backend) ?? 0;
  const every = a.every.get(backend) ?? 2;
  const limits: FlatnessLimits = {
    warmupAnalyses: a.warmup.get(backend) ?? 4,
    jsHeapToleranceBytes: a.jsHeapToleranceMiB * MiB,
    wasmHeapToleranceBytes: a.wasmHeapToleranceMiB * MiB,
    domNodeTolerance: a.domNodeTolerance,
  };
  // The tests' setting: no service worker, so nothing installs the offline copy mid-soak.
  const context = await browser.newContext({ serviceWorkers: 'block', locale: 'en-US' });
  try {
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`  page error: ${e.message}`));
    // The app's backend setting (BackendPanel), as the user would have chosen it earlier.
    await page.addInitScript((b) => localStorage.setItem('lymphscope.backend', b), backend);
    const probe = new SoakProbe(page);
    const t0 = Date.now();
    await page.goto(url);
    await probe.attach();
    await page.waitForFunction(() => document.querySelector('[data-testid="backend"]')?.textContent?.trim() !== '—', null, {
      timeout: 600_000,
    });
    const startS = (Date.now() - t0) / 1000;
    const running = (await probe.stats()).backend;
    if (running !== backend) throw new Error(`asked for ${backend}, the app runs ${running}`);
    const pack = (await page.getByTestId('model-id').innerText()).trim();
    console.log(
      `${backend}: ready in ${startS.toFixed(1)} s (${pack}); ${planned} analyses${budget ? `, at most ${budget} s` : ''}`,
    );

    const modalities = await pageModalities(page);
    if (modalities.length !== 3) throw new Error(`expected three modality slots, the page has ${modalities.join(', ')}`);
    const samples: SoakSample[] = [await probe.sample(0)];
    const times: number[] = [];
    const loopStart = Date.now();
    let stoppedBy: 'count' | 'budget' = 'count';
    for (let i = 1; i <= planned; i++) {
      const begun = Date.now();
      await analyseDemoCase(page, modalities);
      times.push(Date.now() - begun);
      if (i % every === 0 || i === planned) {
        const s = await probe.sample(i);
        samples.push(s);
        const heap = (s.jsHeapPageBytes + s.jsHeapWorkersBytes) / MiB;
        const wasm = s.wasmHeapBytes === null ? '' : `, wasm ${(s.wasmHeapBytes / MiB).toFixed(1)} MiB`;
        console.log(`  ${i}: ${s.numTensors} tensors, JS heap ${heap.toFixed(2)} MiB${wasm}, ${s.domNodes} nodes`);
      }
      if (budget && (Date.now() - loopStart) / 1000 >= budget && i < planned) {
        stoppedBy = 'budget';
        if (i % every !== 0) samples.push(await probe.sample(i));
        break;
      }
    }
    const loopS = (Date.now() - loopStart) / 1000;
    const t = stat(times);
    return {
      backend,
      pack,
      planned,
      budgetS: budget || null,
      analyses: times.length,
      stoppedBy,
      startS,
      loopS,
      analysisMs: { p50: t.p50, p95: t.p95, max: t.max },
      sampleEvery: every,
      limits,
      verdict: judgeFlatness(samples, limits),
      samples,
    };
  } finally {
    await context.close();
  }
}

const mib = (b: number) => (b / MiB).toFixed(2);

export function summary(r: SoakReport): string {
  const rows = r.backends.map((b) => {
    const v = b.verdict;
    const first = b.samples[0]!;
    const wasm = v.wasmHeapBytes
      ? `${mib(v.wasmHeapBytes.start)} / ${mib(v.wasmHeapBytes.peak)} / ${mib(v.wasmHeapBytes.end)}`
      : '–';
    return (
      `| ${b.backend} | ${b.analyses}${b.stoppedBy === 'budget' ? ` (budget ${b.budgetS} s)` : ''} | ${b.loopS.toFixed(0)} | ` +
      `${b.analysisMs.p50.toFixed(0)} / ${b.analysisMs.p95.toFixed(0)} | ${first.numTensors} → ${v.tensors.start} → ${v.tensors.end} | ` +
      `${mib(v.jsHeapBytes.start)} / ${mib(v.jsHeapBytes.peak)} / ${mib(v.jsHeapBytes.end)} | ${wasm} | ` +
      `${v.domNodes.start} → ${v.domNodes.end} | ${v.ok ? 'yes' : 'NO'} |`
    );
  });
  return [
    '| Backend | Analyses | Loop s | Analysis p50 / p95 ms | Tensors load → warm → end | JS heap MiB start / peak / end | WASM heap MiB start / peak / end | DOM nodes | Flat |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

export async function runSoak(argv: string[]): Promise<{ report: SoakReport; file: string }> {
  const a = parseArgs(argv);
  const started = new Date();
  const loadavgStart = loadavg();
  if (a.build || !existsSync(join(REPO, 'dist/index.html'))) {
    console.log('building the app…');
    const r = spawnSync('npx', ['vite', 'build'], { cwd: REPO, encoding: 'utf8', maxBuffer: 64 * MiB });
    if (r.status !== 0) throw new Error(`vite build failed:\n${r.stderr || r.stdout}`);
  }
  const server = await startAppServer(a.port);
  const { CHROMIUM_ARGS } = await import('../playwright.config');
  const executablePath = process.env.CHROMIUM_PATH ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  const browserVersion = `Chromium ${browser.version()}`;
  const results: (BackendSoak & { pack: string })[] = [];
  try {
    for (const b of a.backends) results.push(await soakBackend(browser, server.url, b, a));
  } finally {
    await browser.close();
    server.stop();
  }
  const cpu = cpus();
  const report: SoakReport = {
    kind: 'lymphscope-soak',
    started: started.toISOString(),
    machine: {
      cpus: cpu.length,
      cpuModel: cpu[0]?.model ?? '',
      memGiB: Math.round(totalmem() / 1024 ** 3),
      loadavgStart,
      loadavgEnd: loadavg(),
      browser: browserVersion,
    },
    pack: results[0]?.pack ?? '',
    ok: results.every((r) => r.verdict.ok),
    backends: results.map(({ pack: _pack, ...r }) => r),
  };
  const file = a.out ?? join(REPO, 'bench/results', `soak-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(report, null, 1) + '\n');
  return { report, file };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runSoak(process.argv.slice(2)).then(
    ({ report, file }) => {
      console.log(`\n${summary(report)}\n`);
      for (const b of report.backends) for (const f of b.verdict.failures) console.error(`${b.backend}: ${f}`);
      console.log(`Results: ${file}`);
      process.exit(report.ok ? 0 : 1);
    },
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
