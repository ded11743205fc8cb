/**
 * Per-layer timing of the app's WASM convolution kernels (SIMD128 build, Relaxed-SIMD build with
 * fused multiply-add, and its int8 kernel) against tfjs's XNNPACK, one thread, in Node, on every
 * convolution shape of ResNet-18 at 224 (random data; all but int8 compute the same result to
 * float32 rounding; the stem has 3 input channels and stays float32 in the int8 column):
 *
 *   npx tsx bench/kernels.ts [--runs 40] [--control DIR]
 *
 * Both kernels are timed the same way: warm-up calls, then the median of `runs` calls.
 */
import { loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { relaxedSimdSupported, WasmConvolution, type KernelBinary } from '../src/runtime/conv/convolution';
import { loadKernelsFromDisk } from '../tests/unit/runtime/helpers';
import { stat } from './stats';

// Node 20 runs Relaxed SIMD only behind this flag (default from Node 22); before any kernel compiles.
setFlagsFromString('--experimental-wasm-relaxed-simd');

interface Layer {
  name: string;
  count: number;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number;
  pad: 'same' | 'valid';
}

/** ResNet-18's convolutions as the exporter writes them (stride-2 layers behind ZeroPadding2D). */
const LAYERS: Layer[] = [
  { name: 'stem 7×7/2, 3→64', count: 1, x: [1, 230, 230, 3], filter: [7, 7, 3, 64], strides: 2, pad: 'valid' },
  { name: 'layer1 3×3, 64', count: 4, x: [1, 56, 56, 64], filter: [3, 3, 64, 64], strides: 1, pad: 'same' },
  { name: 'layer2 3×3/2, 64→128', count: 1, x: [1, 58, 58, 64], filter: [3, 3, 64, 128], strides: 2, pad: 'valid' },
  { name: 'layer2 1×1/2 shortcut', count: 1, x: [1, 56, 56, 64], filter: [1, 1, 64, 128], strides: 2, pad: 'valid' },
  { name: 'layer2 3×3, 128', count: 3, x: [1, 28, 28, 128], filter: [3, 3, 128, 128], strides: 1, pad: 'same' },
  { name: 'layer3 3×3/2, 128→256', count: 1, x: [1, 30, 30, 128], filter: [3, 3, 128, 256], strides: 2, pad: 'valid' },
  { name: 'layer3 1×1/2 shortcut', count: 1, x: [1, 28, 28, 128], filter: [1, 1, 128, 256], strides: 2, pad: 'valid' },
  { name: 'layer3 3×3, 256', count: 3, x: [1, 14, 14, 256], filter: [3, 3, 256, 256], strides: 1, pad: 'same' },
  { name: 'layer4 3×3/2, 256→512', count: 1, x: [1, 16, 16, 256], filter: [3, 3, 256, 512], strides: 2, pad: 'valid' },
  { name: 'layer4 1×1/2 shortcut', count: 1, x: [1, 14, 14, 256], filter: [1, 1, 256, 512], strides: 2, pad: 'valid' },
  { name: 'layer4 3×3, 512', count: 3, x: [1, 7, 7, 512], filter: [3, 3, 512, 512], strides: 1, pad: 'same' },
];

/** The app's kernels in one build: install it, time `layer` with a registered filter, uninstall. */
async function timeBuild(
  load: (binary: KernelBinary) => Promise<ArrayBuffer>,
  relaxedSimd: boolean,
  time: (f: tf.Tensor4D) => number,
  filter: tf.Tensor4D,
  int8Scale?: number,
): Promise<{ ms: number; kernel: string; simd: string }> {
  const conv = await WasmConvolution.install({ load, threads: 1, relaxedSimd });
  const owner = {};
  conv.prepareFilters(owner, [filter], [int8Scale]);
  const before = { ...conv.calls };
  const ms = time(filter);
  const kernel =
    conv.calls.int8 > before.int8
      ? 'int8'
      : conv.calls.winograd > before.winograd
        ? 'Winograd'
        : conv.calls.direct > before.direct
          ? 'direct'
          : '–';
  const simd = conv.status.simd;
  conv.release(owner);
  conv.uninstall();
  return { ms, kernel, simd };
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--runs');
  const runs = at >= 0 ? Number(process.argv[at + 1]) : 40;
  await tf.setBackend('wasm');
  const relaxed = relaxedSimdSupported();
  // --control DIR: also time the SIMD128 build in DIR (e.g. kernels.c built by clang-19 without
  // -mrelaxed-simd), to tell the fused multiply-add's gain from the newer compiler's.
  const ctl = process.argv.indexOf('--control');
  const controlDir = ctl >= 0 ? process.argv[ctl + 1] : undefined;
  const loadControl = async (binary: KernelBinary) => {
    const bytes = await readFile(join(controlDir!, binary));
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  };
  const rows: string[] = [
    `Relaxed SIMD ${relaxed ? 'available' : 'NOT available (the FMA column repeats SIMD128)'}; load average ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
    '',
    `| Layer | × | XNNPACK ms | LymphScope SIMD128 ms | LymphScope FMA ms | Kernel | SIMD128 vs XNNPACK | FMA vs SIMD128 | int8 ms | int8 vs FMA |${controlDir ? ' control SIMD128 ms | FMA vs control |' : ''}`,
    `|---|---|---|---|---|---|---|---|---|---|${controlDir ? '---|---|' : ''}`,
  ];
  let totalX = 0;
  let totalS = 0;
  let totalF = 0;
  let totalC = 0;
  let totalQ = 0;
  for (const l of LAYERS) {
    const x = tf.randomNormal(l.x, 0, 1, 'float32', 1) as tf.Tensor4D;
    const filter = tf.randomNormal(l.filter, 0, 0.05, 'float32', 2) as tf.Tensor4D;
    const bias = tf.randomNormal([l.filter[3]], 0, 1, 'float32', 3);
    const foreign = filter.clone();
    const time = (f: tf.Tensor4D): number => {
      const once = () => {
        const t = performance.now();
        const y = tf.fused.conv2d({ x, filter: f, strides: l.strides, pad: l.pad, bias, activation: 'relu' });
        y.dataSync();
        y.dispose();
        return performance.now() - t;
      };
      for (let i = 0; i < 10; i++) once();
      return stat(Array.from({ length: runs }, once)).p50;
    };
    // Interleaved per layer, so that a change in the machine's load hits all three alike.
    const simd128 = await timeBuild(loadKernelsFromDisk, false, time, filter);
    const fma = await timeBuild(loadKernelsFromDisk, true, time, filter);
    // Any positive scale: the timing does not depend on it (inputs beyond it saturate at 127).
    const int8 = await timeBuild(loadKernelsFromDisk, true, time, filter, 0.02);
    const control = controlDir ? await timeBuild(loadControl, false, time, filter) : null;
    const xnn = time(foreign);
    totalX += xnn * l.count;
    totalS += simd128.ms * l.count;
    totalF += fma.ms * l.count;
    totalC += (control?.ms ?? 0) * l.count;
    totalQ += int8.ms * l.count;
    const extra = control ? ` ${control.ms.toFixed(2)} | ${(control.ms / fma.ms).toFixed(2)}× |` : '';
    rows.push(
      `| ${l.name} | ${l.count} | ${xnn.toFixed(2)} | ${simd128.ms.toFixed(2)} | ${fma.ms.toFixed(2)} | ${fma.kernel} | ${(xnn / simd128.ms).toFixed(2)}× | ${(simd128.ms / fma.ms).toFixed(2)}× | ${int8.ms.toFixed(2)} (${int8.kernel}) | ${(fma.ms / int8.ms).toFixed(2)}× |${extra}`,
    );
    tf.dispose([x, filter, bias, foreign]);
  }
  rows.push(
    `| **all convolutions of one pass** | 20 | ${totalX.toFixed(1)} | ${totalS.toFixed(1)} | ${totalF.toFixed(1)} | | ${(totalX / totalS).toFixed(2)}× | ${(totalS / totalF).toFixed(2)}× | ${totalQ.toFixed(1)} | ${(totalF / totalQ).toFixed(2)}× |` +
      (controlDir ? ` ${totalC.toFixed(1)} | ${(totalC / totalF).toFixed(2)}× |` : ''),
  );
  rows.push(
    '',
    `load average at the end ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
  console.log(rows.join('\n'));
}

void main();
