/**
 * Test page for the app's WebGPU convolution kernels (src/runtime/webgpu-conv), bundled by
 * tests/browser/webgpu-conv.spec.ts with esbuild and served from tests/.generated/. It runs in real
 * Chromium on whatever WebGPU adapter there is (here Chrome's software adapter) and answers the
 * spec through `window.webgpuConv`.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { checkKernels } from '../../../src/runtime/webgpu-conv/check';
import { WebGpuConvolution, type WebGpuConvStatus } from '../../../src/runtime/webgpu-conv/convolution';
import type { ConvPrecision } from '../../../src/runtime/webgpu-conv/shader';

export interface ConvCase {
  name: string;
  /** NHWC input, HWIO filter. */
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number;
  pad: 'same' | 'valid';
  dilations?: number;
  bias: boolean;
  relu: boolean;
  /** tf.conv2d (the Conv2D kernel) instead of tf.fused.conv2d. */
  plain?: boolean;
}

export interface CaseResult {
  name: string;
  /** Largest |output − reference| of the app's kernel, and of tfjs's own WebGPU kernel. */
  ownErr: number;
  tfjsErr: number;
  /** Largest |reference| (the output's scale). */
  scale: number;
  /** Calls these kernels ran / handed to tfjs during the measured call. */
  own: number;
  handed: number;
}

/** Deterministic values in [-1, 1) (a linear congruential generator; the seed names the tensor). */
function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Direct convolution in float64 with tfjs's padding rule (the reference). */
function reference(c: ConvCase, x: Float32Array, w: Float32Array, b: Float32Array | null): { y: Float64Array; shape: number[] } {
  const [n, h, wd, cin] = c.x;
  const [kh, kw, , cout] = c.filter;
  const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, c.dilations ?? 1, c.pad);
  const { outHeight: oh, outWidth: ow } = info;
  const { top, left } = info.padInfo;
  const d = c.dilations ?? 1;
  const y = new Float64Array(n * oh * ow * cout);
  for (let bi = 0; bi < n; bi++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let co = 0; co < cout; co++) {
          let s = b ? b[co]! : 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * c.strides - top + ky * d;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * c.strides - left + kx * d;
              if (ix < 0 || ix >= wd) continue;
              for (let ci = 0; ci < cin; ci++) {
                s += x[((bi * h + iy) * wd + ix) * cin + ci]! * w[((ky * kw + kx) * cin + ci) * cout + co]!;
              }
            }
          }
          y[((bi * oh + oy) * ow + ox) * cout + co] = c.relu ? Math.max(0, s) : s;
        }
  return { y, shape: [n, oh, ow, cout] };
}

function convOn(c: ConvCase, x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D | null): tf.Tensor4D {
  if (c.plain) {
    const y = tf.conv2d(x, w, c.strides, c.pad, 'NHWC', c.dilations ?? 1);
    return c.relu ? tf.relu(y) : y;
  }
  return tf.fused.conv2d({
    x,
    filter: w,
    strides: c.strides,
    pad: c.pad,
    dilations: c.dilations ?? 1,
    ...(b ? { bias: b } : {}),
    activation: c.relu ? 'relu' : 'linear',
  });
}

async function startWebGpu(): Promise<void> {
  if (!(await tf.setBackend('webgpu'))) throw new Error('no webgpu backend');
  await tf.ready();
}

function maxDiff(a: Float32Array, ref: Float64Array): number {
  let m = 0;
  for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(a[i]! - ref[i]!));
  return m;
}

async function runCases(
  cases: ConvCase[],
  precision: ConvPrecision,
): Promise<{ results: CaseResult[]; status: WebGpuConvStatus }> {
  await startWebGpu();
  const results: CaseResult[] = [];
  for (const [i, c] of cases.entries()) {
    const xv = seeded(
      c.x.reduce((p, q) => p * q),
      11 + i,
    );
    const wv = seeded(
      c.filter.reduce((p, q) => p * q),
      101 + i,
    ).map((v) => v / Math.sqrt(c.filter[0] * c.filter[1] * c.filter[2]));
    const bv = c.bias ? seeded(c.filter[3], 1001 + i) : null;
    const ref = reference(c, xv, wv, bv);
    const x = tf.tensor4d(xv, c.x);
    const w = tf.tensor4d(wv, c.filter);
    const b = bv ? tf.tensor1d(bv) : null;
    // tfjs's own kernel first (no app kernels installed), then the app's.
    WebGpuConvolution.current()?.uninstall();
    const tfjsOut = await convOn(c, x, w, b).data<'float32'>();
    const conv = WebGpuConvolution.install(precision);
    // The first call starts the pipeline and goes to tfjs; once it is ready the app's kernel runs.
    tf.dispose(convOn(c, x, w, b));
    await conv.settled();
    const before = { ...conv.calls };
    const ownOut = await convOn(c, x, w, b).data<'float32'>();
    results.push({
      name: c.name,
      ownErr: maxDiff(ownOut, ref.y),
      tfjsErr: maxDiff(tfjsOut, ref.y),
      scale: ref.y.reduce((m, v) => Math.max(m, Math.abs(v)), 0),
      own: conv.calls.own - before.own,
      handed: conv.calls.tfjs - before.tfjs,
    });
    tf.dispose([x, w, ...(b ? [b] : [])]);
  }
  const status = WebGpuConvolution.current()!.status;
  WebGpuConvolution.current()?.uninstall();
  return { results, status };
}

/**
 * A small ResNet-like model (7×7/2 stem with explicit padding, max pool, a residual block with
 * 3×3 convolutions, a strided block with a 1×1 shortcut, global pooling, dense) with seeded
 * weights, as the app builds its packs (Conv2D → ReLU fused into the convolution).
 */
function smallModel(): tf.LayersModel {
  const l = tf.layers;
  const input = tf.input({ shape: [40, 40, 3] });
  const conv = (filters: number, k: number, s: number, pad: 'same' | 'valid', relu: boolean) =>
    l.conv2d({ filters, kernelSize: k, strides: s, padding: pad, activation: relu ? 'relu' : 'linear', useBias: true });
  let t = l.zeroPadding2d({ padding: 3 }).apply(input) as tf.SymbolicTensor;
  t = conv(16, 7, 2, 'valid', true).apply(t) as tf.SymbolicTensor;
  t = l.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(t) as tf.SymbolicTensor;
  let r = conv(16, 3, 1, 'same', true).apply(t) as tf.SymbolicTensor;
  r = conv(16, 3, 1, 'same', false).apply(r) as tf.SymbolicTensor;
  t = l.reLU().apply(l.add().apply([t, r])) as tf.SymbolicTensor;
  const shortcut = conv(32, 1, 2, 'valid', false).apply(t) as tf.SymbolicTensor;
  let p = l.zeroPadding2d({ padding: 1 }).apply(t) as tf.SymbolicTensor;
  p = conv(32, 3, 2, 'valid', true).apply(p) as tf.SymbolicTensor;
  p = conv(32, 3, 1, 'same', false).apply(p) as tf.SymbolicTensor;
  t = l.reLU().apply(l.add().apply([shortcut, p])) as tf.SymbolicTensor;
  t = l.globalAveragePooling2d({}).apply(t) as tf.SymbolicTensor;
  const logits = l.dense({ units: 3 }).apply(t) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: logits });
  model.setWeights(
    model.weights.map((w, i) => {
      const shape = w.shape.map((d) => d ?? 1);
      return tf.tensor(
        seeded(
          shape.reduce((a, b) => a * b, 1),
          7 + i,
        ).map((v) => v * 0.3),
        shape,
      );
    }),
  );
  return model;
}

async function logitsOn(
  backend: string,
  precision: ConvPrecision | null,
): Promise<{ logits: number[]; status: WebGpuConvStatus | null }> {
  if (!(await tf.setBackend(backend))) throw new Error(`no ${backend} backend`);
  await tf.ready();
  let conv: WebGpuConvolution | null = null;
  if (precision) {
    conv = WebGpuConvolution.install(precision);
  } else {
    WebGpuConvolution.current()?.uninstall();
  }
  const model = smallModel();
  const x = tf.tensor4d(seeded(40 * 40 * 3, 5), [1, 40, 40, 3]);
  if (conv) {
    // The app's warm-up: a compile-only pass starts every pipeline, then they are awaited.
    tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', true);
    tf.dispose(model.predict(x) as tf.Tensor);
    tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', false);
    await (tf.backend() as unknown as { checkCompileCompletionAsync(): Promise<void> }).checkCompileCompletionAsync();
    await conv.settled();
  }
  const before = conv ? { ...conv.calls } : null;
  const y = model.predict(x) as tf.Tensor;
  const logits = [...(await y.data())];
  const status = conv
    ? { ...conv.status, calls: { own: conv.calls.own - before!.own, tfjs: conv.calls.tfjs - before!.tfjs } }
    : null;
  tf.dispose([x, y]);
  model.dispose();
  conv?.uninstall();
  return { logits, status };
}

async function endToEnd(precision: ConvPrecision) {
  setWasmPaths('./');
  // One thread: the threaded build starts its workers from blob URLs, which the served pages'
  // Trusted Types policy refuses (the app runs wasm inside its worker, where no policy applies).
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const wasm = await logitsOn('wasm', null);
  const gpuTfjs = await logitsOn('webgpu', null);
  const gpuOwn = await logitsOn('webgpu', precision);
  return { wasm: wasm.logits, tfjs: gpuTfjs.logits, own: gpuOwn.logits, status: gpuOwn.status };
}

async function adapterFeatures(): Promise<string[]> {
  const adapter = await navigator.gpu?.requestAdapter();
  return adapter ? [...adapter.features] : [];
}

/** The kernels' self-check at install (webgpu-kernels.ts) with `precision` and `tolerance`. */
async function selfCheck(precision: ConvPrecision, tolerance: number): Promise<string | null> {
  await startWebGpu();
  WebGpuConvolution.current()?.uninstall();
  const conv = WebGpuConvolution.install(precision);
  try {
    return await checkKernels(conv, tolerance);
  } finally {
    conv.uninstall();
  }
}

const api = { runCases, endToEnd, adapterFeatures, selfCheck };
export type WebGpuConvPage = typeof api;
(globalThis as unknown as { webgpuConv: WebGpuConvPage }).webgpuConv = api;
