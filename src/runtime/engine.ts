/**
 * The inference engine: what the worker drives. It puts the parts together (request-queue.ts,
 * backends/supervisor.ts, wasm-kernels.ts, model-set.ts) and owns none of their logic: every
 * request goes through the one queue, the supervisor picks the backend and moves on when it fails,
 * the model set builds, warms and runs the pack's models on it. Plain class, no worker APIs: the
 * worker and the Node tests drive it the same way.
 */

import * as tf from '@tensorflow/tfjs';
import { calibratedSoftmax, decideInputCheck, type InputCheckOutcome } from '../analysis';
import type { BackendId } from '../domain';
import type { NodeFinding } from '../domain';
import {
  checkQuality,
  colourFeatures,
  textureFeatures,
  findNodeCoarseToFine,
  preprocess,
  resizeBilinearAntialias,
  type ImagePoint,
  type RgbaImage,
} from '../imaging';
import type { LoadedPack, Modality } from '../model-pack';
import {
  arrangeAuto,
  rememberChoice,
  rememberFallback,
  type Arrangement,
  type ChoiceContext,
  type ChoiceMemory,
  type Measure,
} from './backends/choice';
import { BackendSupervisor, type ModelLoader } from './backends/supervisor';
import { timeSmallInference } from './backends/timing';
import type { BackendHost, BackendStrategy, WasmPaths } from './backends/strategy';
import type { ConvolutionSource } from './conv/convolution';
import { RuntimeError } from './errors';
import { ModelSet } from './model-set';
import type {
  BackendChoice,
  BackendDecision,
  BatchItem,
  ModalityAnalysis,
  ProgressStage,
  SkippedBackend,
  WasmKernels,
  WebGpuKernels,
} from './protocol';
import { RequestQueue, runWhenIdle } from './request-queue';
import type { RuntimeTuning } from './tuning';
import { WasmKernelInstaller } from './wasm-kernels';
import { WebGpuKernelInstaller } from './webgpu-kernels';

export interface EngineOptions {
  /** Where the app serves tfjs's wasm binaries. Unset in Node, where the package finds its own files. */
  wasmPaths?: WasmPaths;
  tuning?: RuntimeTuning;
  /** Where the app's convolution kernels come from (wasm backend); without them XNNPACK does all. */
  convolution?: ConvolutionSource;
  /** Called when the active backend failed and another one took over (results keep coming). */
  onBackendChanged?: (backend: BackendId, reason: string) => void;
  /** Where automatic choice remembers its decision per browser and pack (none: decided every time). */
  choiceMemory?: ChoiceMemory | null;
  /** How automatic choice times a backend it cannot classify (default: timing.ts). Tests pass stand-ins. */
  measure?: Measure;
  /**
   * Called as init moves through its stages (and when a fallback picks a backend); during the
   * warm-up of a GPU backend also with the shader pipelines compiled so far.
   */
  onStage?: (stage: Exclude<ProgressStage, 'download'>, shaders?: { done: number; total: number }) => void;
}

export interface EngineReady {
  backend: BackendId;
  skipped: SkippedBackend[];
  /** Building the models from the pack's bytes on the chosen backend. */
  buildMs: number;
  /** First inference + Grad-CAM pass per model (shader compilation, kernel setup). */
  warmupMs: number;
  /** wasm backend only: threads it runs with. */
  wasmThreads?: number;
  /** wasm backend only: which kernels run its convolutions. */
  wasmKernels?: WasmKernels;
  /** webgpu backend only: which kernels run its convolutions. */
  webgpuKernels?: WebGpuKernels;
  /** `auto` only: how the backend was chosen. */
  decision?: BackendDecision;
}

export interface EngineStats {
  numTensors: number;
  numBytes: number;
  backend: BackendId | null;
  /** wasm only: the backend's whole heap, which tfjs's byte count does not cover (kernel copies). */
  wasmHeapBytes?: number;
}

/** A pack, one still downloading, or the function that starts its download once init's turn has come. */
export type PackSource = LoadedPack | Promise<LoadedPack> | (() => Promise<LoadedPack>);

const now = () => performance.now();

/** The browser's user agent: a new one (an update) makes a remembered backend choice stale. */
const userAgent = () => (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent ?? 'unknown';

export class InferenceEngine {
  private readonly queue = new RequestQueue();
  private readonly kernels: WasmKernelInstaller;
  private readonly gpuKernels: WebGpuKernelInstaller;
  private readonly host: BackendHost;
  private readonly supervisor: BackendSupervisor;
  private readonly models: ModelSet;
  private readonly tuning: RuntimeTuning;
  private pack: LoadedPack | null = null;
  /** The backend the models are built on; null while none are. */
  private backend: BackendStrategy | null = null;
  /** The backend last used, still reported by `stats()` after `dispose()`. */
  private lastBackend: BackendId | null = null;
  /** The last `auto` init's browser and pack, for remembering a fallback; null after a forced one. */
  private choiceContext: ChoiceContext | null = null;
  /** Bumped whenever the models are freed, so a scheduled background warm-up can tell. */
  private generation = 0;

  constructor(private readonly options: EngineOptions = {}) {
    this.tuning = options.tuning ?? {};
    this.kernels = new WasmKernelInstaller(
      options.convolution,
      this.tuning.convKernels !== false,
      this.tuning.wasmThreads,
      this.tuning.relaxedSimd !== false,
      this.tuning.int8Compute !== false,
    );
    this.gpuKernels = new WebGpuKernelInstaller(this.tuning.webgpuConvKernels !== false, this.tuning.webgpuF16 === true);
    this.host = {
      wasmPaths: options.wasmPaths,
      wasmThreads: this.tuning.wasmThreads,
      kernels: this.kernels,
      gpuKernels: this.gpuKernels,
    };
    this.supervisor = new BackendSupervisor(this.host, (backend, reason) => {
      options.onBackendChanged?.(backend, reason);
      // A backend that failed mid-session must not be the one the next visit starts on.
      if (this.choiceContext) void rememberFallback(this.choiceContext, backend, reason);
    });
    this.models = new ModelSet(this.tuning, {
      built: (model, modality, spec) => this.kernels.prepare(model, modality, spec),
      disposing: (model) => this.kernels.release(model),
      compiling: () => this.gpuKernels.pending(),
    });
  }

  /**
   * Picks a backend (`auto`: webgpu → webgl → wasm → cpu, each smoke-tested), builds every model of
   * the pack on it and warms it up. A pack still downloading is fine: the backend is chosen (wasm
   * compiled, smoke-tested) while the files arrive, and the models are built once they have. A
   * download error rejects init. Whatever was loaded before is freed first. `packKey` (the pack's
   * id@version, called once the download has started) lets `auto` remember its decision.
   */
  init(source: PackSource, choice: BackendChoice, packKey?: () => Promise<string>): Promise<EngineReady> {
    return this.queue.request(async () => {
      this.unloadModels();
      this.pack = null;
      const packReady = Promise.resolve(typeof source === 'function' ? source() : source);
      packReady.catch(() => undefined); // observed below; no unhandled rejection if selection fails first
      await this.kernels.check();
      let packArrived = false;
      let buildMs = 0;
      let warmupMs = 0;
      this.choiceContext = null;
      let context: ChoiceContext | undefined;
      let arrangement: Arrangement | undefined;
      const arrange = async (candidates: BackendStrategy[]) => {
        const key = packKey ? await packKey() : null;
        context = { userAgent: userAgent(), packKey: key ?? '', memory: key ? (this.options.choiceMemory ?? null) : null };
        arrangement = await arrangeAuto(candidates, this.host, context, this.options.measure ?? timeSmallInference);
        return arrangement.order;
      };
      const { backend, skipped } = await this.supervisor.start(
        choice,
        {
          ...this.loader(false),
          selecting: () => {
            if (packArrived) this.options.onStage?.('backend');
          },
          selected: async () => {
            if (packArrived) return;
            this.pack = await packReady;
            packArrived = true;
            this.options.onStage?.('backend');
          },
          load: async (strategy) => {
            this.options.onStage?.('build');
            const buildStart = now();
            await this.buildOn(strategy);
            buildMs = now() - buildStart;
            this.options.onStage?.('warmup');
            const warmStart = now();
            await this.models.warmUp(strategy.compileOnlyFlag, (done, total) =>
              this.options.onStage?.('warmup', { done, total }),
            );
            warmupMs = now() - warmStart;
          },
        },
        arrange,
      );
      // Not awaited: storing the decision must not delay `ready`.
      if (context && arrangement) void rememberChoice(context, backend, arrangement);
      this.choiceContext = context ?? null;
      this.scheduleBackgroundWarmUp();
      const decision = arrangement?.decision;
      return { backend, skipped, buildMs, warmupMs, ...this.backend?.details?.(this.host), ...(decision ? { decision } : {}) };
    });
  }

  /** Analyses ROI pixels (8-bit RGBA) with the modality's model. */
  analyze(modality: Modality, pixels: RgbaImage): Promise<ModalityAnalysis> {
    return this.queue.request(async () => {
      const spec = this.requireInput(modality, pixels);
      const start = now();
      const input = preprocess(pixels, spec.input);
      const preprocessMs = now() - start;
      const result = await this.supervisor.run(() => this.models.run(modality, input), this.loader(true));
      result.timings.preprocessMs = preprocessMs;
      return result;
    });
  }

  /**
   * The pack's node finder on an image (8-bit RGBA, e.g. the image area): the node it proposes, or
   * with `click` (image pixels) the node under that point; null when it is unsure. `modality` must be
   * one the pack has (the finder serves them all).
   */
  findNode(modality: Modality, pixels: RgbaImage, click?: ImagePoint): Promise<NodeFinding | null> {
    return this.queue.request(async () => {
      this.requireInput(modality, pixels);
      if (click && !(click.x >= 0 && click.y >= 0 && click.x <= pixels.width && click.y <= pixels.height)) {
        throw new RuntimeError(
          'bad-input',
          `The point (${click.x}, ${click.y}) is outside the ${pixels.width}×${pixels.height} image.`,
        );
      }
      // Both passes (coarse-to-fine) go through the supervisor, like any model call.
      const pass = (input: Float32Array) => this.supervisor.run(() => this.models.requireFinder().run(input), this.loader(true));
      return findNodeCoarseToFine(pixels, this.models.requireFinder().spec, pass, click);
    });
  }

  /**
   * The input checks of a region (docs/input-checks.md): the pixel rules, then, when the pack has
   * learned checks for the modality, one forward pass up to the pooled features.
   */
  check(modality: Modality, pixels: RgbaImage): Promise<InputCheckOutcome> {
    return this.queue.request(async () => {
      this.requireInput(modality, pixels);
      const quality = checkQuality(pixels);
      const params = this.pack!.inputChecks?.[modality];
      if (!params || quality) return decideInputCheck(modality, quality, undefined, undefined);
      const extractor = params.featureModel;
      const { spec } = this.models.require(extractor);
      const channels = this.models.featureChannels(extractor);
      if (params.featureDim !== channels) {
        throw new RuntimeError(
          'pack-invalid',
          `The ${modality} input check expects ${params.featureDim} features, but the ${extractor} model's Grad-CAM layer has ${channels} channels.`,
        );
      }
      const input = preprocess(pixels, spec.input);
      const features = await this.supervisor.run(() => this.models.features(extractor, input), this.loader(true));
      // The gate's colour and texture statistics are of the crop as resized for the model (before normalisation).
      const resized = resizeBilinearAntialias(pixels, spec.input.width, spec.input.height);
      const handcrafted = colourFeatures(resized, params.colourChromaMin);
      if (params.textureFeatures.length) handcrafted.push(...textureFeatures(resized, params.colourChromaMin));
      return decideInputCheck(modality, null, params, features, handcrafted);
    });
  }

  /**
   * The pooled features (the output layer's input) and logits of an ROI crop with `modality`'s
   * model: what site adaptation caches per image, so re-fitting the head never runs the network.
   */
  features(modality: Modality, pixels: RgbaImage): Promise<{ features: Float32Array; logits: Float32Array }> {
    return this.queue.request(async () => {
      const spec = this.requireInput(modality, pixels);
      const input = preprocess(pixels, spec.input);
      return this.supervisor.run(() => this.models.featuresAndLogits(modality, input), this.loader(true));
    });
  }

  /**
   * Calibrated probabilities of several ROI crops of one modality, in one batched forward pass (no
   * Grad-CAM: a validation run keeps only the probabilities). A crop that is malformed gets its own
   * `bad-input` item and the others still run; a failure of the pass itself fails the request (it
   * means the backend, and the supervisor moves on as for a single analysis).
   */
  classifyBatch(modality: Modality, images: readonly RgbaImage[]): Promise<{ items: BatchItem[]; inferenceMs: number }> {
    return this.queue.request(async () => {
      const items: (BatchItem | null)[] = [];
      const inputs: Float32Array[] = [];
      let temperature = 1;
      for (const pixels of images) {
        try {
          const spec = this.requireInput(modality, pixels);
          temperature = spec.temperature;
          inputs.push(preprocess(pixels, spec.input));
          items.push(null);
        } catch (e) {
          if (!(e instanceof RuntimeError) || e.code !== 'bad-input') throw e;
          items.push({ ok: false, code: e.code, message: e.message });
        }
      }
      if (inputs.length === 0) return { items: items as BatchItem[], inferenceMs: 0 };
      const start = now();
      const logits = await this.supervisor.run(() => this.models.batchLogits(modality, inputs), this.loader(true));
      const inferenceMs = now() - start;
      let next = 0;
      const out = items.map((item): BatchItem => {
        if (item) return item;
        const l = logits[next++]!;
        return { ok: true, logits: l, probabilities: calibratedSoftmax(l, temperature) };
      });
      return { items: out, inferenceMs };
    });
  }

  /** The modality's spec, once the engine is ready and `pixels` is a well-formed image. */
  private requireInput(modality: Modality, pixels: RgbaImage) {
    if (!this.pack || !this.backend) {
      throw new RuntimeError('not-ready', 'The analysis engine is not ready: load a model pack first.');
    }
    const { spec } = this.models.require(modality);
    if (pixels.width <= 0 || pixels.height <= 0 || pixels.data.length !== pixels.width * pixels.height * 4) {
      throw new RuntimeError(
        'bad-input',
        `The image is malformed (${pixels.width}×${pixels.height}, ${pixels.data.length} bytes).`,
      );
    }
    return spec;
  }

  /** Live tensor count and bytes (tfjs engine state: valid even before a backend is chosen). */
  stats(): EngineStats {
    const { numTensors, numBytes } = tf.engine().state;
    const heap = this.backend?.heapBytes?.() ?? null;
    return { numTensors, numBytes, backend: this.backend?.id ?? this.lastBackend, ...(heap ? { wasmHeapBytes: heap } : {}) };
  }

  /** Frees every model. The engine can be initialised again afterwards. */
  dispose(): Promise<void> {
    return this.queue.request(() => {
      this.unloadModels();
      this.pack = null;
      return Promise.resolve();
    });
  }

  /** How the supervisor (re)loads the pack: on a fallback, models are built without warm-up. */
  private loader(reporting: boolean): ModelLoader {
    return {
      ...(reporting ? { selecting: () => this.options.onStage?.('backend') } : {}),
      load: (strategy) => this.buildOn(strategy),
      unload: () => this.unloadModels(),
    };
  }

  private async buildOn(strategy: BackendStrategy): Promise<void> {
    await this.models.build(this.pack!, strategy.id);
    this.backend = strategy;
    this.lastBackend = strategy.id;
  }

  private unloadModels(): void {
    this.generation++;
    this.models.dispose();
    this.backend = null;
    this.supervisor.stop();
  }

  /** Warms the models left cold by init one by one in idle time (`RuntimeTuning.backgroundWarmUp`). */
  private scheduleBackgroundWarmUp(): void {
    if (!this.tuning.backgroundWarmUp) return;
    const generation = this.generation;
    runWhenIdle(this.queue, {
      pending: () => generation === this.generation && this.models.cold.length > 0,
      step: async () => {
        const modality = this.models.cold[0]!;
        try {
          await this.models.warm(modality);
        } catch {
          this.models.forgetCold(modality); // a real analysis will meet (and handle) the failure
        }
      },
    });
  }
}
