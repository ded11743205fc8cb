/**
 * The UI thread's handle on the inference worker: typed promises over the message protocol.
 * Imports protocol types only (never tfjs), so the UI bundle stays small and the main thread never
 * runs a model.
 */

import type { NodeFinding } from '../domain';
import type { RgbaImage } from '../imaging';
import type { Modality } from '../model-pack';
import {
  type BackendChangedMessage,
  type BackendChoice,
  type CheckMessage,
  type ErrorCode,
  type ClassifyBatchMessage,
  type FeaturesMessage,
  type NodeMessage,
  type PixelsMessage,
  type ProgressMessage,
  type ReadyMessage,
  type ResultMessage,
  type StatsMessage,
  type WorkerRequest,
  type WorkerResponse,
} from './protocol';
import { checkWorkerResponse } from './protocol-check';

/** A copy of the image for the message (its buffer is transferred): the caller keeps its image. */
function wirePixels(image: RgbaImage): PixelsMessage {
  return { width: image.width, height: image.height, data: new Uint8ClampedArray(image.data) };
}

/** The part of `Worker` the client uses (a fake can stand in for it in tests). */
export interface WorkerLike {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message' | 'error' | 'messageerror', listener: (event: Event) => void): void;
  terminate(): void;
}

export type WorkerFactory = () => WorkerLike;

/** The protocol's error codes, plus the two failures only the UI side can see. */
export type ClientErrorCode = ErrorCode | 'worker-crashed' | 'worker-terminated';

export class RuntimeRequestError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RuntimeRequestError';
  }
}

export type ProgressListener = (progress: ProgressMessage) => void;
export type BackendChangedListener = (message: BackendChangedMessage) => void;

export interface RuntimeClient {
  /** Loads and verifies the pack at `manifestUrl` (relative URLs resolve against the page) and warms up. */
  init(manifestUrl: string, backend?: BackendChoice, onProgress?: ProgressListener): Promise<ReadyMessage>;
  /**
   * Analyses an ROI crop (8-bit RGBA). The pixels are copied into the message, so the caller's
   * image stays usable (the copy is transferred, not cloned again).
   */
  analyze(modality: Modality, pixels: RgbaImage): Promise<ResultMessage>;
  /**
   * The pack's node finder on an image (8-bit RGBA, image pixel coordinates; pass the image area to
   * keep scanner chrome out): the node it proposes, or null when it is unsure or the pack has none
   * (`manifest.nodeFinder` absent rejects with "bad-input").
   */
  proposeNode(modality: Modality, image: RgbaImage): Promise<NodeFinding | null>;
  /** The outline of the node under or next to `point` (image pixels, continuous); null when there is none. */
  outlineAt(modality: Modality, image: RgbaImage, point: { x: number; y: number }): Promise<NodeFinding | null>;
  /** The input checks of an ROI crop (docs/input-checks.md); the pixels are copied like `analyze`'s. */
  check(modality: Modality, pixels: RgbaImage): Promise<CheckMessage>;
  /** The pooled features and logits of an ROI crop (site adaptation); the pixels are copied like `analyze`'s. */
  features(modality: Modality, pixels: RgbaImage): Promise<FeaturesMessage>;
  /**
   * Calibrated probabilities of 1 to MAX_CLASSIFY_BATCH crops of one modality in one forward pass (no
   * Grad-CAM; validation runs). One item per crop, in order; a malformed crop gets its own error item.
   */
  classifyBatch(modality: Modality, crops: readonly RgbaImage[]): Promise<ClassifyBatchMessage>;
  /** tfjs memory use in the worker (tensor count must stay flat across analyses). */
  stats(): Promise<StatsMessage>;
  /** Frees the models; resolves with the memory left afterwards. */
  dispose(): Promise<StatsMessage>;
  /** Called when the worker moved to another backend on its own (e.g. WebGPU device lost). */
  onBackendChanged(listener: BackendChangedListener): () => void;
  /** Called when the worker dies; pending calls are rejected with code "worker-crashed". */
  onCrash(listener: (reason: string) => void): () => void;
  /** Replaces the worker with a fresh one (pending calls are rejected); call `init` again afterwards. */
  restart(): void;
  /** Stops the worker for good; later calls reject with "worker-terminated". */
  terminate(): void;
}

/** The production worker. Vite bundles `./worker.ts` because of this exact `new Worker(new URL(...))` form. */
export function createInferenceWorker(): Worker {
  return new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'lymphscope-inference' });
}

type Expected = 'ready' | 'result' | 'check' | 'features' | 'classify-batch' | 'stats' | 'node';

interface Pending {
  expected: Expected;
  resolve(message: WorkerResponse): void;
  reject(error: RuntimeRequestError): void;
  onProgress?: ProgressListener;
}

function resolveAgainstPage(url: string): string {
  const base = (globalThis as { document?: { baseURI?: string } }).document?.baseURI ?? globalThis.location?.href;
  return base ? new URL(url, base).href : url;
}

export function createRuntimeClient(workerFactory: WorkerFactory = createInferenceWorker): RuntimeClient {
  const pending = new Map<number, Pending>();
  const backendListeners = new Set<BackendChangedListener>();
  const crashListeners = new Set<(reason: string) => void>();
  let nextId = 1;
  let worker: WorkerLike | null = null;
  let crashed: string | null = null;
  let terminated = false;

  function rejectAll(code: ClientErrorCode, message: string): void {
    const calls = [...pending.values()];
    pending.clear();
    for (const call of calls) call.reject(new RuntimeRequestError(code, message));
  }

  /**
   * A response that fails validation is not used. If it names a call that is waiting, that call
   * fails with what was wrong; one that names none (or an unprompted backend change) is dropped.
   */
  function rejectMalformed(data: unknown, problem: string): void {
    const fields = typeof data === 'object' && data !== null ? (data as { id?: unknown; type?: unknown }) : {};
    const call = typeof fields.id === 'number' ? pending.get(fields.id) : undefined;
    if (!call) return;
    pending.delete(fields.id as number);
    const type = typeof fields.type === 'string' ? `"${fields.type.slice(0, 40)}" ` : '';
    call.reject(
      new RuntimeRequestError(
        'bad-message',
        `The analysis engine sent a malformed ${type}response (${problem}); it was not used.`,
      ),
    );
  }

  function onMessage(from: WorkerLike, received: unknown): void {
    if (from !== worker) return; // a message from a worker that has been replaced
    const problem = checkWorkerResponse(received);
    if (problem !== null) return rejectMalformed(received, problem);
    const data = received as WorkerResponse;
    if (data.type === 'backend-changed') {
      for (const listener of backendListeners) listener(data);
      return;
    }
    const call = pending.get(data.id);
    if (!call) return;
    if (data.type === 'progress') {
      call.onProgress?.(data);
      return;
    }
    pending.delete(data.id);
    if (data.type === 'error') call.reject(new RuntimeRequestError(data.code, data.message));
    else if (data.type !== call.expected) {
      call.reject(
        new RuntimeRequestError(
          'bad-message',
          `The analysis engine answered "${data.type}" where "${call.expected}" was expected.`,
        ),
      );
    } else call.resolve(data);
  }

  function start(): WorkerLike {
    const w = workerFactory();
    crashed = null;
    w.addEventListener('message', (event) => onMessage(w, (event as MessageEvent).data));
    w.addEventListener('error', (event) => {
      if (w !== worker) return;
      const detail = (event as ErrorEvent).message;
      crashed = `The analysis engine stopped unexpectedly${detail ? ` (${detail})` : ''}.`;
      rejectAll('worker-crashed', crashed);
      for (const listener of crashListeners) listener(crashed);
    });
    w.addEventListener('messageerror', () => {
      if (w !== worker) return;
      rejectAll('bad-message', 'A message from the analysis engine could not be read.');
    });
    worker = w;
    return w;
  }

  function request<T extends WorkerResponse>(
    message: WorkerRequest,
    expected: Expected,
    transfer: Transferable[] = [],
    onProgress?: ProgressListener,
  ): Promise<T> {
    if (terminated)
      return Promise.reject(new RuntimeRequestError('worker-terminated', 'The analysis engine has been shut down.'));
    if (crashed) return Promise.reject(new RuntimeRequestError('worker-crashed', `${crashed} Reload the model pack.`));
    const w = worker ?? start();
    return new Promise<T>((resolve, reject) => {
      pending.set(message.id, { expected, resolve: resolve as (m: WorkerResponse) => void, reject, onProgress });
      try {
        w.postMessage(message, transfer);
      } catch (e) {
        pending.delete(message.id);
        reject(
          new RuntimeRequestError('bad-message', `Could not send the request to the analysis engine: ${(e as Error).message}`),
        );
      }
    });
  }

  function restart(): void {
    worker?.terminate();
    worker = null;
    crashed = null;
    rejectAll('worker-terminated', 'The analysis engine was restarted.');
    start();
  }

  async function findNode(modality: Modality, image: RgbaImage, point?: { x: number; y: number }): Promise<NodeFinding | null> {
    const pixels = wirePixels(image);
    const message: WorkerRequest = { type: 'find-node', id: nextId++, modality, pixels, ...(point ? { point } : {}) };
    return (await request<NodeMessage>(message, 'node', [pixels.data.buffer])).finding;
  }

  return {
    init(manifestUrl, backend = 'auto', onProgress) {
      if (crashed && !terminated) restart();
      return request<ReadyMessage>(
        { type: 'init', id: nextId++, manifestUrl: resolveAgainstPage(manifestUrl), backend },
        'ready',
        [],
        onProgress,
      );
    },
    analyze(modality, image) {
      const pixels = wirePixels(image);
      const message: WorkerRequest = { type: 'analyze', id: nextId++, modality, pixels };
      return request<ResultMessage>(message, 'result', [pixels.data.buffer]);
    },
    proposeNode(modality, image) {
      return findNode(modality, image);
    },
    outlineAt(modality, image, point) {
      return findNode(modality, image, { x: point.x, y: point.y });
    },
    check(modality, image) {
      const pixels = wirePixels(image);
      const message: WorkerRequest = { type: 'check', id: nextId++, modality, pixels };
      return request<CheckMessage>(message, 'check', [pixels.data.buffer]);
    },
    features(modality, image) {
      const pixels = wirePixels(image);
      const message: WorkerRequest = { type: 'features', id: nextId++, modality, pixels };
      return request<FeaturesMessage>(message, 'features', [pixels.data.buffer]);
    },
    classifyBatch(modality, crops) {
      const images = crops.map(wirePixels);
      const message: WorkerRequest = { type: 'classify-batch', id: nextId++, modality, images };
      const sent = request<ClassifyBatchMessage>(
        message,
        'classify-batch',
        images.map((i) => i.data.buffer),
      );
      // A reply with another number of items than crops sent cannot be matched to them.
      return sent.then((r) => {
        if (r.items.length !== crops.length) {
          throw new RuntimeRequestError('bad-message', `classify-batch: ${r.items.length} items for ${crops.length} crops`);
        }
        return r;
      });
    },
    stats() {
      return request<StatsMessage>({ type: 'stats', id: nextId++ }, 'stats');
    },
    dispose() {
      return request<StatsMessage>({ type: 'dispose', id: nextId++ }, 'stats');
    },
    onBackendChanged(listener) {
      backendListeners.add(listener);
      return () => backendListeners.delete(listener);
    },
    onCrash(listener) {
      crashListeners.add(listener);
      return () => crashListeners.delete(listener);
    },
    restart,
    terminate() {
      terminated = true;
      worker?.terminate();
      worker = null;
      rejectAll('worker-terminated', 'The analysis engine has been shut down.');
    },
  };
}
