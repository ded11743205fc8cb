/**
 * Benchmark page. Drives either the app's real runtime (createRuntimeClient → the inference
 * worker, exactly as the UI does) or ONNX Runtime Web on the same weights, and leaves a
 * `PageResult` in `window.__benchResult`. Parameters come from the URL (see PageParams).
 */

import type * as Ort from 'onnxruntime-web';
import { preprocess } from '../../src/imaging/preprocess';
import { parseManifest, type Manifest, type Modality } from '../../src/model-pack/manifest';
import { createRuntimeClient, type RuntimeClient } from '../../src/runtime/client';
import type { BackendName } from '../../src/runtime/protocol';
import { parseTuning, type TuningMessage } from '../../src/runtime/tuning';
import { benchImage } from '../image';
import { stat } from '../stats';
import type { PageParams, PageResult, Throughput } from './types';

const scriptStartMs = performance.now();

declare global {
  interface Window {
    __benchResult?: PageResult;
    __benchProgress?: string;
  }
}

function params(): PageParams {
  const q = new URLSearchParams(location.search);
  const num = (k: string, d: number) => (q.has(k) ? Number(q.get(k)) : d);
  return {
    engine: (q.get('engine') ?? 'app') as PageParams['engine'],
    backend: (q.get('backend') ?? 'wasm') as PageParams['backend'],
    manifest: q.get('manifest') ?? 'models/pack/manifest.json',
    onnx: q.get('onnx') ?? 'onnx/bmode.onnx',
    runs: num('runs', 30),
    leakRuns: num('leak', 100),
    tripleRuns: num('triple', 5),
    throughput: num('throughput', 0),
  };
}

const progress = (msg: string) => {
  window.__benchProgress = msg;
  document.getElementById('log')!.textContent += `\n${msg}`;
};

async function adapterName(): Promise<string | null> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: Record<string, string> } | null> } }).gpu;
  if (!gpu) return null;
  const a = await gpu.requestAdapter();
  const info = a?.info;
  return info ? [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown' : null;
}

async function runApp(p: PageParams): Promise<Partial<PageResult>> {
  // The app's own worker, unless an ablation switches optimisations off: then the benchmark's worker
  // entry (src/runtime/bench-worker.ts), whose first message is the tuning.
  const tune = new URLSearchParams(location.search).get('tune');
  const tuning = tune ? parseTuning(JSON.parse(tune)) : null;
  const client: RuntimeClient = tuning
    ? createRuntimeClient(() => {
        const worker = new Worker(new URL('../../src/runtime/bench-worker.ts', import.meta.url), {
          type: 'module',
          name: 'lymphscope-inference-bench',
        });
        const message: TuningMessage = { type: 'tuning', tuning };
        worker.postMessage(message);
        return worker;
      })
    : createRuntimeClient();
  const img = benchImage();
  const ready = await client.init(new URL(p.manifest, document.baseURI).href, p.backend as BackendName);
  const readyMs = performance.now();
  const first = await client.analyze('bmode', img);
  const coldStartMs = performance.now();
  let t = performance.now();
  await client.analyze('bmode', img);
  const secondAnalysisMs = performance.now() - t;

  const inference: number[] = [];
  const gradcam: number[] = [];
  const analysis: number[] = [];
  for (let i = 0; i < p.runs; i++) {
    t = performance.now();
    const r = await client.analyze('bmode', img);
    analysis.push(performance.now() - t);
    inference.push(r.timings.inferenceMs);
    gradcam.push(r.timings.gradcamMs);
  }
  progress(`warm runs done (${p.runs})`);

  const modalities = Object.keys(ready.manifest.modalities) as Modality[];
  const triple: number[] = [];
  for (let i = 0; i < p.tripleRuns && modalities.length > 1; i++) {
    t = performance.now();
    for (const m of modalities) await client.analyze(m, img);
    triple.push(performance.now() - t);
  }

  const throughput = p.throughput > 0 ? await batchThroughput(client, img, modalities, p.throughput) : null;

  let tensors: PageResult['tensors'] = null;
  if (p.leakRuns > 0) {
    const before = (await client.stats()).numTensors;
    for (let i = 0; i < p.leakRuns; i++) await client.analyze(modalities[i % modalities.length]!, img);
    const after = (await client.stats()).numTensors;
    tensors = { before, after, analyses: p.leakRuns };
    progress(`leak check done: ${before} → ${after}`);
  }
  const stats = await client.stats();
  client.terminate();
  return {
    activeBackend: stats.backend,
    wasmHeapBytes: stats.wasmHeapBytes ?? null,
    wasmThreads: ready.wasmThreads ?? null,
    ...(ready.wasmKernels ? { wasmKernels: ready.wasmKernels } : {}),
    ...(ready.webgpuKernels ? { webgpuKernels: ready.webgpuKernels } : {}),
    coldStartMs,
    cold: {
      scriptStartMs,
      readyMs,
      loadMs: ready.loadMs,
      downloadMs: ready.downloadMs,
      buildMs: ready.buildMs,
      warmupMs: ready.warmupMs,
      firstAnalysisMs: coldStartMs - readyMs,
    },
    secondAnalysisMs,
    inference: stat(inference),
    gradcam: stat(gradcam),
    analysis: stat(analysis),
    triple: triple.length ? stat(triple) : null,
    logits: first.logits,
    tensors,
    throughput,
  };
}

/**
 * Images per second over a batch of `images`, one request at a time as a validation run sends
 * them (each analysis: preprocessing of the already decoded bench image, inference, Grad-CAM for
 * every class, the message round trip; no image decoding). Then the same number of cases through
 * every modality.
 */
async function batchThroughput(
  client: RuntimeClient,
  img: ReturnType<typeof benchImage>,
  modalities: Modality[],
  images: number,
): Promise<Throughput> {
  let t = performance.now();
  for (let i = 0; i < images; i++) await client.analyze('bmode', img);
  const oneMs = performance.now() - t;
  progress(`throughput, one modality: ${images} images in ${oneMs.toFixed(0)} ms`);
  t = performance.now();
  for (let i = 0; i < images; i++) for (const m of modalities) await client.analyze(m, img);
  const allMs = performance.now() - t;
  progress(`throughput, ${modalities.length} modalities: ${images} cases in ${allMs.toFixed(0)} ms`);
  const batched = await batchedThroughput(client, img, images);
  return {
    batched,
    images,
    oneModality: { ms: oneMs, imagesPerS: (images / oneMs) * 1000 },
    allModalities: {
      modalities: modalities.length,
      ms: allMs,
      imagesPerS: ((images * modalities.length) / allMs) * 1000,
      casesPerS: (images / allMs) * 1000,
    },
  };
}

/** Groups a validation run sends (src/ui/state/validation-batch.ts BATCH_SIZE). */
const GROUP = 8;

/** See `Throughput.batched`: the three ways interleaved, one slice of each per round. */
async function batchedThroughput(
  client: RuntimeClient,
  img: ReturnType<typeof benchImage>,
  images: number,
): Promise<NonNullable<Throughput['batched']>> {
  const rounds = Math.max(1, Math.min(4, Math.floor(images / GROUP)));
  const ms = { analyze: 0, classifyOne: 0, classifyBatch: 0 };
  let done = 0;
  for (let r = 0; r < rounds; r++) {
    const n = Math.round(((r + 1) * images) / rounds) - done;
    done += n;
    let t = performance.now();
    for (let i = 0; i < n; i++) await client.analyze('bmode', img);
    ms.analyze += performance.now() - t;
    t = performance.now();
    for (let i = 0; i < n; i++) await client.classifyBatch('bmode', [img]);
    ms.classifyOne += performance.now() - t;
    t = performance.now();
    for (let i = 0; i < n; i += GROUP) {
      const reply = await client.classifyBatch(
        'bmode',
        Array.from({ length: Math.min(GROUP, n - i) }, () => img),
      );
      if (!reply.items.every((it) => it.ok)) throw new Error('classify-batch: an item failed');
    }
    ms.classifyBatch += performance.now() - t;
  }
  const rate = (v: number) => ({ ms: v, imagesPerS: (images / v) * 1000 });
  progress(
    `throughput, batched: analyze ${rate(ms.analyze).imagesPerS.toFixed(2)}, classify×1 ${rate(ms.classifyOne).imagesPerS.toFixed(2)}, ` +
      `classify×${GROUP} ${rate(ms.classifyBatch).imagesPerS.toFixed(2)} images/s`,
  );
  return {
    group: GROUP,
    rounds,
    analyze: rate(ms.analyze),
    classifyOne: rate(ms.classifyOne),
    classifyBatch: rate(ms.classifyBatch),
  };
}

async function runOrt(p: PageParams): Promise<Partial<PageResult>> {
  // ONNX Runtime Web as a user would deploy it: its own ESM build and wasm files, same origin.
  const file = p.backend === 'webgpu' ? 'ort.webgpu.min.mjs' : 'ort.wasm.min.mjs';
  const ortBase = new URL('ort/', document.baseURI).href;
  const ort = (await import(/* @vite-ignore */ ortBase + file)) as typeof Ort;
  ort.env.wasm.wasmPaths = ortBase;
  ort.env.wasm.numThreads = crossOriginIsolated ? navigator.hardwareConcurrency : 1;
  const manifest: Manifest = parseManifest(await (await fetch(new URL(p.manifest, document.baseURI))).json());
  const spec = manifest.modalities.bmode!;
  const model = new Uint8Array(await (await fetch(new URL(p.onnx, document.baseURI))).arrayBuffer());
  const session = await ort.InferenceSession.create(model, {
    executionProviders: [p.backend === 'webgpu' ? 'webgpu' : 'wasm'],
    graphOptimizationLevel: 'all',
  });
  const readyMs = performance.now();
  const img = benchImage();
  const { height, width } = spec.input;

  const toNchw = (nhwc: Float32Array) => {
    const out = new Float32Array(nhwc.length);
    const n = height * width;
    for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) out[c * n + i] = nhwc[i * 3 + c]!;
    return out;
  };
  const infer = async (input: Float32Array) => {
    const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', input, [1, 3, height, width]) };
    const out = await session.run(feeds);
    const logits = out[session.outputNames[0]!]!;
    const values = Array.from((await logits.getData()) as Float32Array);
    for (const v of Object.values(out)) v.dispose();
    return values;
  };
  const analyse = async () => infer(toNchw(preprocess(img, spec.input)));

  const logits = await analyse();
  const coldStartMs = performance.now();
  let t = performance.now();
  await analyse();
  const secondAnalysisMs = performance.now() - t;

  const input = toNchw(preprocess(img, spec.input));
  const inference: number[] = [];
  const analysis: number[] = [];
  for (let i = 0; i < p.runs; i++) {
    t = performance.now();
    await infer(input);
    inference.push(performance.now() - t);
    t = performance.now();
    await analyse();
    analysis.push(performance.now() - t);
  }
  await session.release();
  return {
    activeBackend: p.backend,
    wasmThreads: p.backend === 'wasm' ? (ort.env.wasm.numThreads ?? null) : null,
    coldStartMs,
    cold: { scriptStartMs, readyMs, firstAnalysisMs: coldStartMs - readyMs },
    secondAnalysisMs,
    inference: stat(inference),
    gradcam: null,
    analysis: stat(analysis),
    triple: null,
    logits,
    tensors: null,
  };
}

/** Which GPU adapters this browser offers (bench/run.ts lowers the run count on software ones). */
async function probe(): Promise<void> {
  let webgl: string | null = null;
  try {
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
    const ext = gl?.getExtension('WEBGL_debug_renderer_info');
    webgl = gl ? String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER)) : null;
  } catch {
    webgl = null;
  }
  const webgpu = await adapterName().catch(() => null);
  (window as unknown as { __benchProbe: unknown }).__benchProbe = { webgpu, webgl };
}

async function main(): Promise<void> {
  if (new URLSearchParams(location.search).has('probe')) return probe();
  const p = params();
  const base = {
    engine: p.engine,
    backend: p.backend,
    crossOriginIsolated,
    wasmThreads: null,
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    runs: p.runs,
  };
  try {
    const adapter = p.backend === 'webgpu' ? await adapterName() : null;
    const r = p.engine === 'ort' ? await runOrt(p) : await runApp(p);
    window.__benchResult = {
      ...base,
      adapter,
      ...r,
      ok: true,
    } as PageResult;
  } catch (e) {
    window.__benchResult = {
      ...base,
      ok: false,
      error: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
    } as PageResult;
  }
  progress('done');
}

void main();
