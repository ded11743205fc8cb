/**
 * Turns the benchmark's raw measurements into the report: ratios to the peers and to the native
 * reference, the compute bound, the targets (met or not, as measured: never asserted), and the
 * markdown table. `validateReport` is the sanity check the quick-mode test applies.
 */

import type { PageResult, Stat } from './page/types';

export interface ScenarioResult extends PageResult {
  id: string;
  label: string;
  isolated: boolean;
  referenceOnly: boolean;
  bytesDownloaded: number;
  wallS: number;
  consoleErrors: string[];
  softwareAdapter?: boolean | null;
  /** Interleaved rounds pooled into this result (--rounds). */
  rounds?: number;
  coldStartRoundsMs?: number[];
}

export interface NativeResult {
  ok: boolean;
  error?: string;
  engine: 'pytorch-native';
  torch: string;
  threads: number;
  coldStartMs: number;
  firstInferenceMs: number;
  runs: number;
  inference: Omit<Stat, 'samples'> & { samples?: number[] };
  gradcam: { p50: number; p95: number };
  analysis: { p50: number; p95: number };
  logits: number[];
  peakRssBytes: number;
  flops: number;
}

export interface Target {
  id: string;
  description: string;
  value: number | null;
  limit: number;
  unit: 'ratio' | 'ms';
  met: boolean | null;
  note?: string;
}

export interface BenchReport {
  schema: 1;
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  machine: Record<string, unknown> & { peakGflops: { native: number; wasmSimd128: number }; cores: number };
  pack: Record<string, unknown> & { id: string; input: number[] };
  runs: number;
  flops: number | null;
  computeBound: { nativeMs: number; wasmSimd128Ms: number } | null;
  scenarios: ScenarioResult[];
  native: NativeResult | null;
  /** Largest |logit − native logit| per scenario: the same weights must give the same answer. */
  logitsMaxAbsDiffVsNative: Record<string, number | null>;
  ratios: Record<string, number | null>;
  targets: Target[];
}

const ratio = (a: number | undefined | null, b: number | undefined | null) =>
  a != null && b != null && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : null;

export function buildReport(input: {
  started: Date;
  quick: boolean;
  machine: BenchReport['machine'];
  pack: BenchReport['pack'];
  runs: number;
  scenarios: ScenarioResult[];
  native: NativeResult | null;
}): BenchReport {
  const by = (id: string) => input.scenarios.find((s) => s.id === id && s.ok);
  const native = input.native?.ok ? input.native : null;
  const flops = native?.flops ?? null;
  const computeBound = flops
    ? {
        nativeMs: (flops / (input.machine.peakGflops.native * 1e9)) * 1e3,
        wasmSimd128Ms: (flops / (input.machine.peakGflops.wasmSimd128 * 1e9)) * 1e3,
      }
    : null;
  const diff: Record<string, number | null> = {};
  for (const s of input.scenarios) {
    diff[s.id] =
      s.ok && native && s.logits?.length === native.logits.length
        ? Math.max(...s.logits.map((v, i) => Math.abs(v - native.logits[i]!)))
        : null;
  }
  const appWasm = by('app-wasm');
  const app1t = by('app-wasm-1t');
  const ortWasm = by('ort-wasm');
  const ort1t = by('ort-wasm-1t');
  const appGpu = by('app-webgpu');
  const ortGpu = by('ort-webgpu');
  const appFma = by('app-wasm-fma');
  const r: Record<string, number | null> = {
    'app-wasm / ort-wasm (inference p50)': ratio(appWasm?.inference.p50, ortWasm?.inference.p50),
    'app-wasm-1t / ort-wasm-1t (inference p50, both 1 thread)': ratio(app1t?.inference.p50, ort1t?.inference.p50),
    'app-wasm / native (inference p50)': ratio(appWasm?.inference.p50, native?.inference.p50),
    'ort-wasm / native (inference p50)': ratio(ortWasm?.inference.p50, native?.inference.p50),
    'app-wasm-1t / app-wasm (threads gain)': ratio(app1t?.inference.p50, appWasm?.inference.p50),
    'app-wasm / app-wasm-fma (int8 compute vs float32 FMA, inference p50)': ratio(appWasm?.inference.p50, appFma?.inference.p50),
    'app-webgpu / ort-webgpu (inference p50)': ratio(appGpu?.inference.p50, ortGpu?.inference.p50),
    'app-wasm Grad-CAM / inference (p50)': ratio(appWasm?.gradcam?.p50, appWasm?.inference.p50),
    'app-wasm three modalities / one analysis (p50)': ratio(appWasm?.triple?.p50, appWasm?.analysis.p50),
    'app-wasm inference / compute bound (wasm SIMD128)': ratio(appWasm?.inference.p50, computeBound?.wasmSimd128Ms),
    'native inference / compute bound (native)': ratio(native?.inference.p50, computeBound?.nativeMs),
  };
  const gpuReal = appGpu && appGpu.softwareAdapter === false && ortGpu;
  const t = (
    id: string,
    description: string,
    value: number | null,
    limit: number,
    unit: Target['unit'],
    note?: string,
  ): Target => ({
    id,
    description,
    value,
    limit,
    unit,
    met: value == null ? null : value <= limit,
    ...(note ? { note } : {}),
  });
  const targets: Target[] = [
    t('wasm-vs-ort', 'WASM warm inference ≤ 0.5× ONNX Runtime Web WASM', r['app-wasm / ort-wasm (inference p50)']!, 0.5, 'ratio'),
    t('wasm-vs-native', 'WASM warm inference ≤ 1.0× native PyTorch CPU', r['app-wasm / native (inference p50)']!, 1, 'ratio'),
    {
      ...t(
        'webgpu-vs-ort',
        'WebGPU warm inference ≤ ONNX Runtime Web WebGPU',
        r['app-webgpu / ort-webgpu (inference p50)']!,
        1,
        'ratio',
      ),
      ...(gpuReal ? {} : { met: null, note: 'software WebGPU adapter (or none): recorded, not judged' }),
    },
    t('gradcam-overhead', 'Grad-CAM adds ≤ 30% to an inference', r['app-wasm Grad-CAM / inference (p50)']!, 0.3, 'ratio'),
    t(
      'three-modalities',
      'Three-modality analysis ≤ 3.3× one modality',
      r['app-wasm three modalities / one analysis (p50)']!,
      3.3,
      'ratio',
    ),
    t('cold-start', 'Cold start to first result ≤ 3 s (WASM, localhost)', appWasm?.coldStartMs ?? null, 3000, 'ms'),
    t('second-analysis', 'Second analysis ≤ 1 s (WASM)', appWasm?.secondAnalysisMs ?? null, 1000, 'ms'),
  ];
  return {
    schema: 1,
    startedAt: input.started.toISOString(),
    finishedAt: new Date().toISOString(),
    quick: input.quick,
    machine: input.machine,
    pack: input.pack,
    runs: input.runs,
    flops,
    computeBound,
    scenarios: input.scenarios,
    native: input.native,
    logitsMaxAbsDiffVsNative: diff,
    ratios: r,
    targets,
  };
}

const ms = (v: number | null | undefined, digits = 0) => (v == null || !Number.isFinite(v) ? '–' : v.toFixed(digits));
const mib = (b: number | null | undefined) => (b == null || !b ? '–' : (b / 2 ** 20).toFixed(1));

export function markdownTable(rep: BenchReport): string {
  const lines: string[] = [];
  const m = rep.machine as Record<string, unknown>;
  lines.push(
    `**${rep.pack.id}** (${rep.pack.modality}, ${rep.pack.input.join('×')}, ${rep.flops ? (rep.flops / 1e9).toFixed(2) + ' GFLOP' : '? FLOP'}) · ` +
      `${String(m.cpu)} × ${rep.machine.cores} · ${String(m.browser)} · load avg ${JSON.stringify(m.loadavgStart)} → ${JSON.stringify(m.loadavgEnd)}`,
    '',
    '| Engine | Backend | Cold start ms | 2nd analysis ms | Inference p50 / p95 ms | Grad-CAM p50 ms | Analysis p50 ms | 3 modalities p50 ms | Downloaded MiB | Peak heap MiB | WASM heap MiB | Tensors before→after | max Δlogit vs native |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const s of rep.scenarios) {
    if (!s.ok) {
      lines.push(`| ${s.label} | ${s.backend} | failed: ${(s.error ?? '').slice(0, 120).replace(/\|/g, '/')} |||||||||||`);
      continue;
    }
    const backend = `${s.activeBackend}${s.wasmThreads ? ` ×${s.wasmThreads}` : ''}${s.softwareAdapter ? ' (software)' : ''}`;
    lines.push(
      `| ${s.label} | ${backend} | ${ms(s.coldStartMs)} | ${ms(s.secondAnalysisMs)} | ${ms(s.inference.p50, 1)} / ${ms(s.inference.p95, 1)} (n=${s.inference.n}) | ${ms(s.gradcam?.p50, 1)} | ${ms(s.analysis.p50, 1)} | ${ms(s.triple?.p50)} | ${mib(s.bytesDownloaded)} | ${mib(s.heap?.peakBytes)} | ${mib(s.wasmHeapBytes)} | ${s.tensors ? `${s.tensors.before}→${s.tensors.after} (${s.tensors.analyses})` : '–'} | ${ms(rep.logitsMaxAbsDiffVsNative[s.id], 5)} |`,
    );
  }
  const n = rep.native;
  if (n?.ok) {
    lines.push(
      `| PyTorch ${n.torch} native | cpu ×${n.threads} | ${ms(n.coldStartMs)} | – | ${ms(n.inference.p50, 1)} / ${ms(n.inference.p95, 1)} (n=${n.runs}) | ${ms(n.gradcam.p50, 1)} | ${ms(n.analysis.p50, 1)} | – | – | RSS ${mib(n.peakRssBytes)} | – | – | 0 |`,
    );
  } else if (n) lines.push(`| PyTorch native | cpu | failed: ${(n.error ?? '').slice(0, 120)} |||||||||||`);
  const batches = rep.scenarios.filter((s) => s.ok && s.throughput);
  if (batches.length > 0) {
    lines.push(
      '',
      '| Throughput (one request at a time, decoded image) | Kernels | Batch | 1 modality images/s | All modalities images/s | Cases/s |',
      '|---|---|---|---|---|---|',
    );
    for (const s of batches) {
      const b = s.throughput!;
      const kernels = s.wasmKernels
        ? `${s.wasmKernels.convolutions}${s.wasmKernels.simd ? ` (${s.wasmKernels.simd})` : ''}${s.wasmKernels.int8?.length ? `, int8: ${s.wasmKernels.int8.join('+')}` : ''}`
        : '–';
      lines.push(
        `| ${s.label} | ${kernels} | ${b.images} | ${b.oneModality.imagesPerS.toFixed(1)} | ${b.allModalities.imagesPerS.toFixed(1)} (×${b.allModalities.modalities}) | ${b.allModalities.casesPerS.toFixed(2)} |`,
      );
    }
    const ab = batches.filter((s) => s.throughput!.batched);
    if (ab.length > 0) {
      lines.push(
        '',
        '| Batched (B-mode, interleaved) | Images | analyze images/s | classify ×1 images/s | classify ×group images/s | ×group / analyze | ×group / ×1 |',
        '|---|---|---|---|---|---|---|',
      );
      for (const s of ab) {
        const b = s.throughput!.batched!;
        lines.push(
          `| ${s.label} | ${s.throughput!.images} (${b.rounds} rounds) | ${b.analyze.imagesPerS.toFixed(2)} | ${b.classifyOne.imagesPerS.toFixed(2)} | ${b.classifyBatch.imagesPerS.toFixed(2)} (×${b.group}) | ${(b.analyze.ms / b.classifyBatch.ms).toFixed(3)} | ${(b.classifyOne.ms / b.classifyBatch.ms).toFixed(3)} |`,
        );
      }
    }
  }
  if (rep.computeBound) {
    lines.push(
      '',
      `Compute bound: ${(rep.flops! / 1e9).toFixed(2)} GFLOP / ${rep.machine.peakGflops.native.toFixed(0)} GFLOP/s (FMA peak of ${rep.machine.cores} cores) = ${rep.computeBound.nativeMs.toFixed(1)} ms; ` +
        `with 128-bit WASM SIMD (no FMA, ${rep.machine.peakGflops.wasmSimd128.toFixed(0)} GFLOP/s) = ${rep.computeBound.wasmSimd128Ms.toFixed(1)} ms.`,
    );
  }
  lines.push('', '| Ratio | Value |', '|---|---|');
  for (const [k, v] of Object.entries(rep.ratios)) lines.push(`| ${k} | ${v == null ? '–' : v.toFixed(2)} |`);
  lines.push('', '| Target | Measured | Limit | Met |', '|---|---|---|---|');
  for (const t of rep.targets) {
    const val = t.value == null ? '–' : t.unit === 'ms' ? `${t.value.toFixed(0)} ms` : `${t.value.toFixed(2)}×`;
    const lim = t.unit === 'ms' ? `${t.limit} ms` : `${t.limit}×`;
    lines.push(
      `| ${t.description} | ${val} | ${lim} | ${t.met == null ? `n/a${t.note ? ` (${t.note})` : ''}` : t.met ? 'yes' : 'no'} |`,
    );
  }
  return lines.join('\n');
}

const posFinite = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
const nonNeg = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** Problems with a report (empty = complete and sane). Checks shape and sanity, never speed. */
export function validateReport(rep: BenchReport, expectScenarios: string[]): string[] {
  const errs: string[] = [];
  if (rep.schema !== 1) errs.push('schema must be 1');
  if (!posFinite(rep.flops)) errs.push('flops missing');
  if (!rep.computeBound || !posFinite(rep.computeBound.nativeMs)) errs.push('compute bound missing');
  const checkStat = (where: string, s: { p50: number; p95: number } | null | undefined, zeroOk = false) => {
    if (!s) return errs.push(`${where}: missing`);
    const ok = zeroOk ? nonNeg : posFinite;
    if (!ok(s.p50) || !ok(s.p95)) errs.push(`${where}: p50/p95 not ${zeroOk ? 'non-negative' : 'positive'} (${s.p50}, ${s.p95})`);
    if (s.p50 > s.p95) errs.push(`${where}: p50 ${s.p50} > p95 ${s.p95}`);
  };
  for (const id of expectScenarios) {
    if (id === 'native') {
      const n = rep.native;
      if (!n?.ok) errs.push(`native: ${n?.error ?? 'missing'}`);
      else {
        checkStat('native inference', n.inference);
        if (!posFinite(n.coldStartMs)) errs.push('native cold start');
      }
      continue;
    }
    const s = rep.scenarios.find((x) => x.id === id);
    if (!s) {
      errs.push(`${id}: missing`);
      continue;
    }
    if (!s.ok) {
      errs.push(`${id}: ${s.error}`);
      continue;
    }
    checkStat(`${id} inference`, s.inference);
    checkStat(`${id} analysis`, s.analysis);
    if (s.engine === 'app') checkStat(`${id} gradcam`, s.gradcam, true);
    if (!posFinite(s.coldStartMs)) errs.push(`${id}: cold start`);
    if (!posFinite(s.secondAnalysisMs)) errs.push(`${id}: second analysis`);
    if (!posFinite(s.bytesDownloaded)) errs.push(`${id}: bytes downloaded`);
    if (!(s.logits?.length > 0) || !s.logits.every(Number.isFinite)) errs.push(`${id}: logits`);
    if (s.engine === 'app' && !s.referenceOnly && s.tensors && s.tensors.after > s.tensors.before)
      errs.push(`${id}: tensor count grew ${s.tensors.before} → ${s.tensors.after}`);
    if (s.inference.n !== s.runs) errs.push(`${id}: ${s.inference.n} samples for ${s.runs} runs`);
    const b = s.throughput;
    if (b && (!posFinite(b.oneModality.imagesPerS) || !posFinite(b.allModalities.imagesPerS) || !(b.images > 0)))
      errs.push(`${id}: throughput ${JSON.stringify(b)}`);
  }
  for (const t of rep.targets) if (typeof t.met !== 'boolean' && t.met !== null) errs.push(`target ${t.id}: met`);
  return errs;
}
