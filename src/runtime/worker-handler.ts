/**
 * The worker's request handling, independent of the worker global scope so Node tests can drive
 * it with a fake `post`. Every incoming message is validated; every failure becomes an `error`
 * response with a code and a message a clinician can act on.
 */

import {
  loadManifest,
  loadPack,
  modelBytes,
  type FetchLike,
  type LoadedPack,
  type Manifest,
  packModalities,
  type Modality,
} from '../model-pack';
import type { ChoiceMemory } from './backends/choice';
import { isModalityId, MODALITY_IDS, type ModalityId } from '../domain';
import type { WasmPaths } from './backends/strategy';
import { InferenceEngine, type EngineOptions } from './engine';
import { describeError, RuntimeError } from './errors';
import type { ErrorCode, WorkerRequest, WorkerResponse } from './protocol';
import { isWorkerRequest } from './protocol-check';
import type { RuntimeTuning } from './tuning';

export type PostResponse = (message: WorkerResponse, transfer?: Transferable[]) => void;

export interface HandlerOptions {
  /** Defaults to the global fetch. */
  fetchFn?: FetchLike;
  wasmPaths?: WasmPaths;
  /** The app's convolution kernels and their helper threads (wasm-kernels.ts). */
  convolution?: EngineOptions['convolution'];
  /** Speed switches (tuning.ts): the app's worker passes APP_TUNING, the benchmark's worker others. */
  tuning?: RuntimeTuning;
  /** Where automatic backend choice remembers its decision (the app's worker: IndexedDB). */
  choiceMemory?: ChoiceMemory | null;
}

/** A fetch that remembers whether any request failed, to tell "unreachable" from "malformed". */
function trackingFetch(base: FetchLike): { fetchFn: FetchLike; failed: () => boolean } {
  let failed = false;
  const fetchFn: FetchLike = async (url) => {
    try {
      const res = await base(url);
      if (!res.ok) failed = true;
      return res;
    } catch (e) {
      failed = true;
      throw e;
    }
  };
  return { fetchFn, failed: () => failed };
}

/**
 * `loadPack` for each modality at once and merged: the three models' files download and are
 * SHA-256-checked concurrently instead of one model after the other (a shorter cold start).
 * Every file is still verified before anything is built from it.
 */
async function loadModalitiesInParallel(
  manifestUrl: string,
  fetchFn: FetchLike,
  onProgress: (loaded: number, total: number) => void,
  manifestReady: Promise<Manifest>,
): Promise<LoadedPack> {
  const manifest = await manifestReady;
  const modalities = packModalities(manifest);
  // Per modality: bytes verified so far and the total its loader counts on (sums over all three).
  const loaded = new Map<Modality, number>();
  const totals = new Map<Modality, number>(modalities.map((m) => [m, modelBytes(manifest, [m])]));
  const sum = (m: Map<Modality, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const parts = await Promise.all(
    modalities.map((m) =>
      loadPack(manifestUrl, {
        fetchFn,
        modalities: [m],
        onProgress: (bytes, total) => {
          loaded.set(m, bytes);
          totals.set(m, total);
          onProgress(sum(loaded), sum(totals));
        },
      }),
    ),
  );
  const first = parts[0]!;
  const signature = JSON.stringify(manifest.files);
  if (parts.some((p) => JSON.stringify(p.manifest.files) !== signature)) {
    throw new RuntimeError(
      'pack-unavailable',
      'The model pack changed on the server while it was loading. Reload to load it again.',
    );
  }
  return {
    ...first,
    models: Object.assign({}, ...parts.map((p) => p.models)) as LoadedPack['models'],
    inputChecks: Object.assign({}, ...parts.map((p) => p.inputChecks ?? {})) as LoadedPack['inputChecks'],
  };
}

function absoluteUrl(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    throw new RuntimeError('bad-message', `The model pack address "${url}" is not an absolute URL.`);
  }
}

/** Returns the function to call with each incoming message's data. */
export function createRequestHandler(post: PostResponse, options: HandlerOptions = {}): (data: unknown) => Promise<void> {
  let stageRequestId = -1;
  const engine = new InferenceEngine({
    wasmPaths: options.wasmPaths,
    convolution: options.convolution,
    tuning: options.tuning,
    choiceMemory: options.choiceMemory,
    onStage: (stage, shaders) => post({ type: 'progress', id: stageRequestId, stage, ...(shaders ? { shaders } : {}) }),
    onBackendChanged: (backend, reason) => post({ type: 'backend-changed', id: -1, backend, reason }),
  });
  const baseFetch: FetchLike = options.fetchFn ?? ((url) => fetch(url));

  const fail = (id: number, code: ErrorCode, message: string) => post({ type: 'error', id, code, message });

  async function init(req: Extract<WorkerRequest, { type: 'init' }>, fetchFn: FetchLike): Promise<void> {
    const onProgress = (loaded: number, total: number) =>
      post({ type: 'progress', id: req.id, stage: 'download', loaded, total });
    let downloadMs = 0;
    let packReady: Promise<LoadedPack> | undefined;
    let manifestReady: Promise<Manifest> | undefined;
    // The engine's queue runs requests one at a time, in arrival order: an analysis sent during init
    // waits for it. When init's turn comes, the engine frees what was loaded (if this init fails,
    // nothing stays loaded) and starts the download, which runs while it picks and starts its backend.
    const download = () => {
      stageRequestId = req.id;
      const url = absoluteUrl(req.manifestUrl);
      const start = performance.now();
      // The manifest alone (small) names the pack for automatic backend choice's memory, long
      // before the models have arrived. Its failure is the download's failure, reported there.
      manifestReady = loadManifest(url, fetchFn);
      manifestReady.catch(() => undefined);
      packReady = (
        options.tuning?.parallelPackLoad === false
          ? loadPack(url, { fetchFn, onProgress })
          : loadModalitiesInParallel(url, fetchFn, onProgress, manifestReady)
      ).then((p) => {
        downloadMs = performance.now() - start;
        return p;
      });
      return packReady;
    };
    const packKey = async () => {
      const m = await manifestReady!;
      return `${m.id}@${m.version}`;
    };
    const ready = await engine.init(download, req.backend, packKey);
    const pack = await packReady!;
    post({
      type: 'ready',
      id: req.id,
      backend: ready.backend,
      skipped: ready.skipped,
      manifest: pack.manifest,
      // Download (overlapping backend start-up) and model building: init's time before warm-up.
      loadMs: downloadMs + ready.buildMs,
      warmupMs: ready.warmupMs,
      ...(ready.wasmThreads ? { wasmThreads: ready.wasmThreads } : {}),
      ...(ready.wasmKernels ? { wasmKernels: ready.wasmKernels } : {}),
      ...(ready.webgpuKernels ? { webgpuKernels: ready.webgpuKernels } : {}),
      ...(ready.decision ? { decision: ready.decision } : {}),
      downloadMs,
      buildMs: ready.buildMs,
    });
  }

  function requireModality(modality: string): asserts modality is ModalityId {
    if (!isModalityId(modality)) {
      throw new RuntimeError('bad-input', `Unknown modality "${String(modality)}" (expected one of ${MODALITY_IDS.join(', ')}).`);
    }
  }

  async function analyze(req: Extract<WorkerRequest, { type: 'analyze' }>): Promise<void> {
    requireModality(req.modality);
    const r = await engine.analyze(req.modality, req.pixels);
    post(
      {
        type: 'result',
        id: req.id,
        modality: r.modality,
        logits: r.logits,
        probabilities: r.probabilities,
        cams: r.cams,
        camEmpty: r.camEmpty,
        camWidth: r.camWidth,
        camHeight: r.camHeight,
        backend: r.backend,
        timings: r.timings,
      },
      r.cams.map((c) => c.buffer as ArrayBuffer),
    );
  }

  async function findNode(req: Extract<WorkerRequest, { type: 'find-node' }>): Promise<void> {
    requireModality(req.modality);
    const start = performance.now();
    const finding = await engine.findNode(req.modality, req.pixels, req.point);
    post({ type: 'node', id: req.id, finding, ms: performance.now() - start });
  }

  async function check(req: Extract<WorkerRequest, { type: 'check' }>): Promise<void> {
    requireModality(req.modality);
    const outcome = await engine.check(req.modality, req.pixels);
    post({ type: 'check', id: req.id, modality: req.modality, ...outcome });
  }

  async function features(req: Extract<WorkerRequest, { type: 'features' }>): Promise<void> {
    requireModality(req.modality);
    const out = await engine.features(req.modality, req.pixels);
    post({ type: 'features', id: req.id, modality: req.modality, features: out.features, logits: Array.from(out.logits) }, [
      out.features.buffer as ArrayBuffer,
    ]);
  }

  async function classifyBatch(req: Extract<WorkerRequest, { type: 'classify-batch' }>): Promise<void> {
    requireModality(req.modality);
    const { items, inferenceMs } = await engine.classifyBatch(req.modality, req.images);
    const backend = engine.stats().backend;
    if (!backend) throw new RuntimeError('not-ready', 'The analysis engine has not been initialised.');
    post({ type: 'classify-batch', id: req.id, modality: req.modality, items, backend, inferenceMs });
  }

  function postStats(id: number): void {
    const s = engine.stats();
    if (!s.backend) throw new RuntimeError('not-ready', 'The analysis engine has not been initialised.');
    post({
      type: 'stats',
      id,
      numTensors: s.numTensors,
      numBytes: s.numBytes,
      backend: s.backend,
      ...(s.wasmHeapBytes ? { wasmHeapBytes: s.wasmHeapBytes } : {}),
    });
  }

  async function handle(req: WorkerRequest): Promise<void> {
    const tracked = trackingFetch(baseFetch);
    try {
      switch (req.type) {
        case 'init':
          return await init(req, tracked.fetchFn);
        case 'analyze':
          return await analyze(req);
        case 'find-node':
          return await findNode(req);
        case 'check':
          return await check(req);
        case 'features':
          return await features(req);
        case 'classify-batch':
          return await classifyBatch(req);
        case 'stats':
          return postStats(req.id);
        case 'dispose':
          // Answered with the remaining tensor count, so the caller can see nothing leaked.
          await engine.dispose();
          return postStats(req.id);
      }
    } catch (e) {
      const fallbackCode: ErrorCode =
        req.type === 'analyze' ||
        req.type === 'check' ||
        req.type === 'find-node' ||
        req.type === 'features' ||
        req.type === 'classify-batch'
          ? 'inference-failed'
          : 'pack-unavailable';
      const { code, message } = describeError(e, { fallbackCode, fetchFailed: tracked.failed() });
      fail(req.id, code, message);
    }
  }

  return (data: unknown) => {
    if (!isWorkerRequest(data)) {
      const id =
        typeof data === 'object' && data !== null && typeof (data as { id?: unknown }).id === 'number'
          ? (data as { id: number }).id
          : -1;
      const type = typeof data === 'object' && data !== null ? String((data as { type?: unknown }).type) : typeof data;
      fail(id, 'bad-message', `The analysis engine received a malformed "${type}" request; it was ignored.`);
      return Promise.resolve();
    }
    // Stats are answered at once (they are how a caller watches a long init or a leak); everything
    // else waits its turn in the engine's queue.
    return handle(data);
  };
}
