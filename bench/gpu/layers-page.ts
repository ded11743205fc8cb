/**
 * Per-layer page of the GPU benchmark (bench/gpu/layers.ts bundles it with esbuild): every
 * convolution of a ResNet-18 at 224 × 224 as the app's packs run it (ZeroPadding2D before the
 * strided layers, so those are "valid"; bias + ReLU fused where the block has one), on the webgpu
 * backend with tfjs's own kernels, the app's WGSL kernels in f32 and, where the device has
 * `shader-f16`, in f16. Answers through `window.gpuLayers`.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { WebGpuConvolution } from '../../src/runtime/webgpu-conv/convolution';
import { registerF16CapableWebGpu } from '../../src/runtime/webgpu-conv/device';
import type { ConvPrecision } from '../../src/runtime/webgpu-conv/shader';

export interface Layer {
  name: string;
  /** How many times ResNet-18 runs this shape. */
  count: number;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number;
  pad: 'same' | 'valid';
  relu: boolean;
}

export const RESNET18: Layer[] = [
  { name: 'stem 7x7/2, 3->64', count: 1, x: [1, 230, 230, 3], filter: [7, 7, 3, 64], strides: 2, pad: 'valid', relu: true },
  { name: 'layer1 3x3, 64', count: 4, x: [1, 56, 56, 64], filter: [3, 3, 64, 64], strides: 1, pad: 'same', relu: true },
  { name: 'layer2 3x3/2, 64->128', count: 1, x: [1, 58, 58, 64], filter: [3, 3, 64, 128], strides: 2, pad: 'valid', relu: true },
  { name: 'layer2 1x1/2 shortcut', count: 1, x: [1, 56, 56, 64], filter: [1, 1, 64, 128], strides: 2, pad: 'valid', relu: false },
  { name: 'layer2 3x3, 128', count: 3, x: [1, 28, 28, 128], filter: [3, 3, 128, 128], strides: 1, pad: 'same', relu: true },
  {
    name: 'layer3 3x3/2, 128->256',
    count: 1,
    x: [1, 30, 30, 128],
    filter: [3, 3, 128, 256],
    strides: 2,
    pad: 'valid',
    relu: true,
  },
  {
    name: 'layer3 1x1/2 shortcut',
    count: 1,
    x: [1, 28, 28, 128],
    filter: [1, 1, 128, 256],
    strides: 2,
    pad: 'valid',
    relu: false,
  },
  { name: 'layer3 3x3, 256', count: 3, x: [1, 14, 14, 256], filter: [3, 3, 256, 256], strides: 1, pad: 'same', relu: true },
  {
    name: 'layer4 3x3/2, 256->512',
    count: 1,
    x: [1, 16, 16, 256],
    filter: [3, 3, 256, 512],
    strides: 2,
    pad: 'valid',
    relu: true,
  },
  {
    name: 'layer4 1x1/2 shortcut',
    count: 1,
    x: [1, 14, 14, 256],
    filter: [1, 1, 256, 512],
    strides: 2,
    pad: 'valid',
    relu: false,
  },
  { name: 'layer4 3x3, 512', count: 3, x: [1, 7, 7, 512], filter: [3, 3, 512, 512], strides: 1, pad: 'same', relu: true },
];

export type Variant = 'tfjs' | 'f32' | 'f16';

export interface LayerResult {
  name: string;
  count: number;
  /** Mean wall time per call over `reps` calls queued back to back, then one read back (ms). */
  ms: Partial<Record<Variant, number>>;
  /** Largest |output − tfjs's output|, relative to tfjs's largest |output|. */
  relErr: Partial<Record<Exclude<Variant, 'tfjs'>, number>>;
  /** Calls the app's kernels ran during the timed ones (reps + 1 when every call was theirs). */
  ownCalls: Partial<Record<Exclude<Variant, 'tfjs'>, number>>;
}

export interface LayersReport {
  adapter: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter: boolean | null };
  features: string[];
  reps: number;
  variants: Variant[];
  layers: LayerResult[];
  /** Σ count × ms over the layers, per variant: the convolutions of one forward pass. */
  totalMs: Partial<Record<Variant, number>>;
}

function seeded(n: number, seed: number, scale: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 31 - 1) * scale;
  }
  return out;
}

const conv = (l: Layer, x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D) =>
  tf.fused.conv2d({ x, filter: w, bias: b, strides: l.strides, pad: l.pad, activation: l.relu ? 'relu' : 'linear' });

async function timeLayer(
  l: Layer,
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  b: tf.Tensor1D,
  reps: number,
): Promise<{ ms: number; out: Float32Array }> {
  // Warm: the first call compiles (tfjs) or starts the pipeline (the app's kernels, awaited).
  tf.dispose(conv(l, x, w, b));
  await WebGpuConvolution.current()?.settled();
  const warm = conv(l, x, w, b);
  const out = await warm.data<'float32'>();
  warm.dispose();
  const t0 = performance.now();
  const outs: tf.Tensor[] = [];
  for (let i = 0; i < reps; i++) outs.push(conv(l, x, w, b));
  await outs[outs.length - 1]!.data();
  const ms = (performance.now() - t0) / reps;
  tf.dispose(outs);
  return { ms, out };
}

async function run(reps: number): Promise<LayersReport> {
  registerF16CapableWebGpu();
  if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend did not start');
  await tf.ready();
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  const info = (adapter as unknown as { info?: Record<string, unknown> } | null)?.info ?? {};
  const device = (tf.backend() as unknown as { device: GPUDevice }).device;
  const variants: Variant[] = ['tfjs', 'f32', ...(device.features.has('shader-f16') ? (['f16'] as const) : [])];
  const layers: LayerResult[] = [];
  for (const [i, l] of RESNET18.entries()) {
    const k = l.filter[0] * l.filter[1] * l.filter[2];
    const x = tf.tensor4d(
      seeded(
        l.x.reduce((a, c) => a * c),
        3 + i,
        1,
      ),
      l.x,
    );
    const w = tf.tensor4d(seeded(k * l.filter[3], 50 + i, Math.sqrt(3 / k)), l.filter);
    const b = tf.tensor1d(seeded(l.filter[3], 90 + i, 0.1));
    const result: LayerResult = { name: l.name, count: l.count, ms: {}, relErr: {}, ownCalls: {} };
    let reference: Float32Array | null = null;
    for (const v of variants) {
      WebGpuConvolution.current()?.uninstall();
      const own = v === 'tfjs' ? null : WebGpuConvolution.install(v satisfies ConvPrecision);
      const before = own?.calls.own ?? 0;
      const { ms, out } = await timeLayer(l, x, w, b, reps);
      result.ms[v] = ms;
      if (v === 'tfjs') reference = out;
      else if (reference) {
        // The first (warming) call starts the pipeline and goes to tfjs; the rest must be the app's.
        result.ownCalls[v] = own!.calls.own - before;
        let err = 0;
        let scale = 0;
        for (let j = 0; j < out.length; j++) {
          err = Math.max(err, Math.abs(out[j]! - reference[j]!));
          scale = Math.max(scale, Math.abs(reference[j]!));
        }
        result.relErr[v] = err / Math.max(scale, 1e-30);
      }
    }
    WebGpuConvolution.current()?.uninstall();
    tf.dispose([x, w, b]);
    layers.push(result);
  }
  const totalMs: Partial<Record<Variant, number>> = {};
  for (const v of variants) totalMs[v] = layers.reduce((s, l) => s + l.count * (l.ms[v] ?? 0), 0);
  const text = (key: string) => (typeof info[key] === 'string' ? info[key] : '');
  return {
    adapter: {
      vendor: text('vendor'),
      architecture: text('architecture'),
      device: text('device'),
      description: text('description'),
      isFallbackAdapter: typeof info.isFallbackAdapter === 'boolean' ? info.isFallbackAdapter : null,
    },
    features: [...device.features],
    reps,
    variants,
    layers,
    totalMs,
  };
}

async function adapter(): Promise<string | null> {
  const a = await navigator.gpu?.requestAdapter({ powerPreference: 'high-performance' });
  if (!a) return null;
  const info = (a as unknown as { info?: Record<string, unknown> }).info ?? {};
  return ['vendor', 'architecture', 'device', 'description', 'isFallbackAdapter'].map((k) => `${k}=${String(info[k])}`).join(' ');
}

const api = { run, adapter };
export type GpuLayersPage = typeof api;
(globalThis as unknown as { gpuLayers: GpuLayersPage }).gpuLayers = api;
