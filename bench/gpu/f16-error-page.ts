/**
 * Page of bench/gpu/f16-error.ts: one modality of a pack on the webgpu backend, with the app's
 * kernels in f32 and in f16 (real where the device has `shader-f16`, else the same kernel with the
 * rounding emulated), on preprocessed images the script sends. Answers through `window.f16Error`.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { loadPack, type Modality } from '../../src/model-pack';
import { buildModel } from '../../src/runtime/model-build';
import { WebGpuConvolution } from '../../src/runtime/webgpu-conv/convolution';
import { registerF16CapableWebGpu } from '../../src/runtime/webgpu-conv/device';
import type { ConvPrecision } from '../../src/runtime/webgpu-conv/shader';

export interface F16Run {
  adapter: string;
  half: 'f16' | 'f16-emulated';
  /** Logits per image, per precision. */
  logits: Record<'f32' | 'f16', number[][]>;
  /** Calls the app's kernels ran in the measured passes, per precision (every convolution of every image). */
  ownCalls: Record<'f32' | 'f16', number>;
  temperature: number;
}

async function run(manifestUrl: string, modality: Modality, inputs: number[][]): Promise<F16Run> {
  registerF16CapableWebGpu();
  if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend did not start');
  await tf.ready();
  const device = (tf.backend() as unknown as { device: GPUDevice }).device;
  const half = device.features.has('shader-f16') ? 'f16' : 'f16-emulated';
  const adapter = ((await navigator.gpu.requestAdapter()) as unknown as { info?: GPUAdapterInfo } | null)?.info;
  const pack = await loadPack(manifestUrl, { modalities: [modality] });
  const spec = pack.manifest.modalities[modality]!;
  const model = await buildModel(modality, spec, pack.models[modality]!, true);
  const { height, width } = spec.input;
  const logits = { f32: [] as number[][], f16: [] as number[][] };
  const ownCalls = { f32: 0, f16: 0 };
  for (const [name, precision] of [
    ['f32', 'f32'],
    ['f16', half],
  ] as const) {
    WebGpuConvolution.current()?.uninstall();
    const conv = WebGpuConvolution.install(precision satisfies ConvPrecision);
    // The app's warm-up: a compile-only pass starts every pipeline, then they are awaited.
    tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', true);
    tf.tidy(() => model.predict(tf.zeros([1, height, width, 3])));
    tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', false);
    await (tf.backend() as unknown as { checkCompileCompletionAsync(): Promise<void> }).checkCompileCompletionAsync();
    await conv.settled();
    const before = conv.calls.own;
    for (const input of inputs) {
      const y = tf.tidy(() => model.predict(tf.tensor4d(input, [1, height, width, 3])) as tf.Tensor);
      logits[name].push([...(await y.data())]);
      y.dispose();
    }
    ownCalls[name] = conv.calls.own - before;
    conv.uninstall();
  }
  model.dispose();
  const a = adapter ? `${adapter.vendor} ${adapter.architecture} ${adapter.device} ${adapter.description}`.trim() : 'unknown';
  return { adapter: a, half, logits, ownCalls, temperature: spec.temperature };
}

const api = { run };
export type F16ErrorPage = typeof api;
(globalThis as unknown as { f16Error: F16ErrorPage }).f16Error = api;
