/**
 * The app's WASM convolution kernels with a batch axis: a batch of three through the bundled
 * ResNet-18 gives the logits of three single-image calls, with the int8 kernels (Relaxed SIMD, the
 * pack's calibrated scales), the float32 Relaxed-SIMD kernels (Winograd + direct, FMA) and the
 * SIMD128 build. convolution.ts runs the kernels once per image at that image's offset, so the
 * convolutions themselves are identical per image; the tolerance covers tfjs's own layers
 * (pooling, the dense head), whose batched kernels may sum in another order.
 *
 * Node 20's V8 validates relaxed SIMD only behind a flag, set before any module is compiled (see
 * convolution-relaxed.test.ts).
 */
import { setFlagsFromString } from 'node:v8';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WasmConvolution } from '../../../src/runtime/conv/convolution';
import { buildModel } from '../../../src/runtime/model-build';
import { decodeImage, loadPackFromDisk } from '../../../scripts/pack-logits';
import { preprocess } from '../../../src/imaging/preprocess';
import type { LoadedPack } from '../../../src/model-pack';
import { loadKernelsFromDisk, maxAbsDiff } from './helpers';

setFlagsFromString('--experimental-wasm-relaxed-simd');

const PACK = resolve('public/models/lymphscope-demo-r18');
const MANIFEST = join(PACK, 'manifest.json');
const GOLDEN = ['metastatic-m002025.png', 'lymphoma-l002025.png', 'benign-b002031.png'];
/** Of the logit scale (logits here are O(1–10)); single and batched calls run the same kernels per image. */
const TOLERANCE = 1e-4;

let pack: LoadedPack;
let inputs: Float32Array[];

beforeAll(async () => {
  await tf.setBackend('wasm');
  pack = await loadPackFromDisk(MANIFEST);
  const spec = pack.manifest.modalities.bmode!.input;
  inputs = GOLDEN.map((g) => preprocess(decodeImage(readFileSync(join(PACK, 'bmode/golden', g))), spec));
}, 60_000);

afterAll(() => WasmConvolution.current()?.uninstall());

const MODES = [
  { name: 'int8 (Relaxed SIMD)', simd: 'relaxed', int8: true, kinds: ['int8', 'direct'] },
  { name: 'float32 (Relaxed SIMD, FMA)', simd: 'relaxed', int8: false, kinds: ['winograd', 'direct'] },
  { name: 'float32 (SIMD128)', simd: 'simd128', int8: false, kinds: ['winograd', 'direct'] },
] as const;

describe('a batch of three against three single calls (lymphscope-demo-r18, bmode)', () => {
  for (const mode of MODES) {
    it(`${mode.name}: the same logits, every convolution on the app's kernels, no tensor left`, async () => {
      const conv = await WasmConvolution.install({ load: loadKernelsFromDisk, threads: 1, relaxedSimd: mode.simd === 'relaxed' });
      try {
        expect(conv.status.simd).toBe(mode.simd);
        const spec = pack.manifest.modalities.bmode!;
        const model = await buildModel('bmode', spec, pack.models.bmode!, true);
        const scales = mode.int8 ? new Map(Object.entries(spec.int8Compute!.inputScales)) : undefined;
        // prepare returns how many layers run in int8: all but the stem, or none.
        const int8Layers = conv.prepare(model, scales);
        expect(int8Layers).toBe(scales ? scales.size : 0);
        if (scales) expect(int8Layers).toBeGreaterThan(0);
        const { height: h, width: w } = spec.input;
        const run = (xs: Float32Array, n: number): Float32Array =>
          tf.tidy(() => (model.predict(tf.tensor4d(xs, [n, h, w, 3])) as tf.Tensor).dataSync() as Float32Array);

        const tensorsBefore = tf.memory().numTensors;
        const before = { ...conv.calls };
        const singles = inputs.map((x) => run(x, 1));
        const afterSingles = { ...conv.calls };
        const stacked = new Float32Array(inputs.length * h * w * 3);
        inputs.forEach((x, i) => stacked.set(x, i * x.length));
        const batched = run(stacked, inputs.length);
        expect(tf.memory().numTensors).toBe(tensorsBefore);

        // One batched call per layer where the singles made one per image per layer.
        for (const k of mode.kinds) {
          const perImage = (afterSingles[k] - before[k]) / inputs.length;
          expect(perImage, k).toBeGreaterThan(0);
          expect(conv.calls[k] - afterSingles[k], k).toBe(perImage);
        }
        const classes = singles[0]!.length;
        expect(batched.length).toBe(classes * inputs.length);
        for (const [i, s] of singles.entries()) {
          const b = batched.subarray(i * classes, (i + 1) * classes);
          const scale = Math.max(1, ...Array.from(s, Math.abs));
          const d = maxAbsDiff(b, s);
          console.info(`${mode.name} ${GOLDEN[i]}: |Δ| batched vs single ${d.toExponential(2)}`);
          expect(d / scale, GOLDEN[i]).toBeLessThan(TOLERANCE);
        }
        // The three images differ, so a batch that repeated one image would fail above.
        expect(maxAbsDiff(singles[0]!, singles[1]!)).toBeGreaterThan(1e-3);
        conv.release(model);
        model.dispose();
      } finally {
        conv.uninstall();
      }
    }, 180_000);
  }
});
