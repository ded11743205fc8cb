/**
 * The int8 convolutions of the Relaxed-SIMD builds (kernels.c `q8_*`, conv/int8.ts).
 *
 * 1. Against a JavaScript reference of the same quantized arithmetic (the one training/export/int8.py
 *    emulates): per-channel symmetric int8 weights, per-tensor unsigned 7-bit inputs, exact int32
 *    sums, dequantization fused with bias and ReLU. The integer part is exact and every float step
 *    is one IEEE float32 operation in both, so the outputs must be equal bit for bit.
 * 2. End to end on the bundled pack's golden images: int8 logits against the numpy/torch emulation
 *    of int8_run.py (`golden` in training/results/<pack>/int8.json) and against the float32 logits.
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
import { int8ConvReference } from '../../../src/runtime/conv/int8-reference';
import { int8Exports, int8SelfCheck, type Int8Exports } from '../../../src/runtime/conv/int8';
import { InferenceEngine } from '../../../src/runtime/engine';
import { buildModel, loadPackFromDisk, logitsFor } from '../../../scripts/pack-logits';
import type { Modality } from '../../../src/model-pack';
import { createRng } from '../../../src/phantoms/rng';
import { loadKernelsFromDisk, maxAbsDiff } from './helpers';

setFlagsFromString('--experimental-wasm-relaxed-simd');

const f = Math.fround;

const PACK = resolve('public/models/lymphscope-demo-r18');
const MANIFEST = join(PACK, 'manifest.json');
const RESULTS = resolve('training/results/lymphscope-demo-r18/int8.json');

interface Case {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number;
  pad: 'same' | 'valid';
  relu: boolean;
}

const CASES: Case[] = [
  {
    name: '3×3/1 same (padding folded into the quantized copy)',
    x: [1, 9, 11, 64],
    filter: [3, 3, 64, 64],
    strides: 1,
    pad: 'same',
    relu: true,
  },
  {
    name: '3×3/1 same, linear, more pixels than a tile',
    x: [1, 5, 7, 32],
    filter: [3, 3, 32, 16],
    strides: 1,
    pad: 'same',
    relu: false,
  },
  {
    name: '3×3/2 valid (behind ZeroPadding2D)',
    x: [1, 15, 15, 64],
    filter: [3, 3, 64, 128],
    strides: 2,
    pad: 'valid',
    relu: true,
  },
  { name: '1×1/2 shortcut', x: [1, 14, 14, 16], filter: [1, 1, 16, 32], strides: 2, pad: 'valid', relu: false },
];

describe('int8 kernels against the quantized-arithmetic reference', () => {
  let conv: WasmConvolution;

  beforeAll(async () => {
    await tf.setBackend('wasm');
    conv = await WasmConvolution.install({ load: loadKernelsFromDisk, threads: 1 });
  });

  afterAll(() => conv.uninstall());

  it('has the int8 kernels in the relaxed build', () => {
    expect(conv.status).toMatchObject({ simd: 'relaxed', int8: true });
  });

  for (const [i, c] of CASES.entries()) {
    it(`${c.name}: equal bit for bit`, () => {
      const rng = createRng(900 + i);
      // Post-ReLU inputs: a third exactly zero, the rest up to 3 (some beyond the clip at 2.5).
      const xs = Float32Array.from({ length: c.x.reduce((a, b) => a * b, 1) }, () =>
        rng.uniform(0, 1) < 0.33 ? 0 : rng.uniform(0, 3),
      );
      const ws = Float32Array.from({ length: c.filter.reduce((a, b) => a * b, 1) }, () => rng.uniform(-0.2, 0.2));
      const bs = Float32Array.from({ length: c.filter[3] }, () => rng.uniform(-1, 1));
      const scale = f(2.5 / 127);
      const x = tf.tensor4d(xs, c.x);
      const filter = tf.tensor4d(ws, c.filter);
      const bias = tf.tensor1d(bs);
      const owner = {};
      conv.prepareFilters(owner, [filter], [scale]);
      const before = conv.calls.int8;
      const y = tf.fused.conv2d({ x, filter, strides: c.strides, pad: c.pad, bias, activation: c.relu ? 'relu' : 'linear' });
      expect(conv.calls.int8).toBe(before + 1);
      const pad = c.pad === 'same' ? (c.filter[0] - 1) / 2 : 0;
      const [, h, w, cin] = c.x;
      const [kh, kw, , cout] = c.filter;
      const want = int8ConvReference(xs, ws, bs, scale, { h, w, cin, kh, kw, cout, stride: c.strides, pad, relu: c.relu });
      const got = y.dataSync() as Float32Array;
      expect(got.length).toBe(want.length);
      let mismatches = 0;
      for (let j = 0; j < want.length; j++) if (got[j] !== want[j]) mismatches++;
      expect(mismatches).toBe(0);
      conv.release(owner);
      tf.dispose([x, filter, bias, y]);
    });
  }

  it('leaves layers without a scale to the float32 kernels', () => {
    const x = tf.ones([1, 6, 6, 16]) as tf.Tensor4D;
    const filter = tf.ones([3, 3, 16, 8]) as tf.Tensor4D;
    const owner = {};
    conv.prepareFilters(owner, [filter]);
    const before = { ...conv.calls };
    tf.tidy(() => tf.conv2d(x, filter, 1, 'same'));
    expect(conv.calls.int8).toBe(before.int8);
    expect(conv.calls.winograd).toBe(before.winograd + 1);
    conv.release(owner);
    tf.dispose([x, filter]);
  });
});

describe('the bundled pack declares what it measured', () => {
  it('allows int8 exactly for the modalities whose test macro AUC moved by at most 0.005', () => {
    const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as {
      modalities: Record<string, { int8Compute?: { allowed: boolean; testMacroAuc?: { float32: number; int8: number } } }>;
    };
    const results = JSON.parse(readFileSync(RESULTS, 'utf8')) as {
      modalities: Record<string, { allowed: boolean; test: { macroAucFloat32: number; macroAucInt8: number } }>;
    };
    for (const [m, spec] of Object.entries(manifest.modalities)) {
      const r = results.modalities[m]!;
      expect(spec.int8Compute?.allowed, m).toBe(r.allowed);
      expect(r.allowed, m).toBe(Math.abs(r.test.macroAucInt8 - r.test.macroAucFloat32) <= 0.005);
      expect(spec.int8Compute?.testMacroAuc).toMatchObject({ float32: r.test.macroAucFloat32, int8: r.test.macroAucInt8 });
    }
  });
});

describe('int8 self-check', () => {
  it('passes the real kernels and refuses a dot product that is off by one in one output', async () => {
    const memory = new WebAssembly.Memory({ initial: 16 });
    const { instance } = await WebAssembly.instantiate(await loadKernelsFromDisk('kernels-relaxed.wasm'), { env: { memory } });
    const real = int8Exports(instance.exports)!;
    let top = 1024;
    const malloc = (n: number) => {
      const p = top;
      top += Math.ceil(n / 16) * 16;
      return p;
    };
    expect(int8SelfCheck(real, memory, malloc, () => undefined)).toBe(true);
    const broken: Int8Exports = {
      ...real,
      q8_conv: (...args: number[]) => {
        real.q8_conv(...args);
        const y = new Float32Array(memory.buffer, args[3]!, 1);
        y[0] = y[0]! + 1e-3;
      },
    };
    expect(int8SelfCheck(broken, memory, malloc, () => undefined)).toBe(false);
  });
});

/** training/results/<pack>/int8.json: int8_run.py's emulated logits on the golden images. */
interface Int8Results {
  modalities: Record<string, { golden?: { input: string; logitsInt8: number[]; logitsFloat32: number[] }[] }>;
}

describe('int8 compute end to end on the golden images (lymphscope-demo-r18)', () => {
  /*
   * Against the emulation: the stem, pooling, the residual additions and the dense head stay
   * float32 and are summed in another order than PyTorch's (≈1e-6 relative), which can move an
   * input across a rounding boundary of the next quantization: one step of one input value, whose
   * effect on a logit is far below the stated 1e-2. Against float32 the difference is the
   * quantization error itself (what the AUC measurement judges), bounded here only loosely.
   */
  const EMULATION = 1e-2;
  const FLOAT = 0.5;

  it('give the logits of the exact emulation, for every modality (allowed or not)', async () => {
    await tf.setBackend('wasm');
    const results = JSON.parse(readFileSync(RESULTS, 'utf8')) as Int8Results;
    const pack = await loadPackFromDisk(MANIFEST);
    const conv = await WasmConvolution.install({ load: loadKernelsFromDisk, threads: 1 });
    let checked = 0;
    try {
      for (const [modality, r] of Object.entries(results.modalities) as [Modality, Int8Results['modalities'][string]][]) {
        const spec = pack.manifest.modalities[modality]!;
        const scales = new Map(Object.entries(spec.int8Compute!.inputScales));
        const model = await buildModel(pack, modality);
        // Every convolution but the stem (3 input channels: the signed, normalised image).
        expect(conv.prepare(model, scales)).toBe(scales.size);
        const before = conv.calls.int8;
        for (const g of r.golden ?? []) {
          const bytes = readFileSync(join(PACK, g.input));
          const logits = logitsFor(pack, modality, model, bytes);
          const vsEmulation = maxAbsDiff(logits, g.logitsInt8);
          const vsFloat = maxAbsDiff(logits, g.logitsFloat32);
          console.info(
            `${modality} ${g.input}: |Δ| vs emulation ${vsEmulation.toExponential(2)}, vs float32 ${vsFloat.toFixed(4)}`,
          );
          expect(vsEmulation, `${modality} ${g.input} vs emulation`).toBeLessThan(EMULATION);
          expect(vsFloat, `${modality} ${g.input} vs float32`).toBeLessThan(FLOAT);
          checked++;
        }
        expect(conv.calls.int8 - before).toBe(scales.size * (r.golden ?? []).length);
        conv.release(model);
        model.dispose();
      }
    } finally {
      conv.uninstall();
    }
    expect(checked).toBeGreaterThan(0);
  }, 120_000);

  it('run int8 only for the modalities the pack allows, and only when asked to', async () => {
    await tf.setBackend('wasm');
    const pack = await loadPackFromDisk(MANIFEST);
    // One modality allowed, one measured but not allowed, one without the field (an older pack).
    const { bmode, cdfi, elastography } = pack.manifest.modalities;
    bmode!.int8Compute = { ...bmode!.int8Compute!, allowed: true };
    cdfi!.int8Compute = { ...cdfi!.int8Compute!, allowed: false };
    delete elastography!.int8Compute;
    const allowed = ['bmode'];
    for (const [tuning, simd, want] of [
      [{ int8Compute: true }, 'relaxed', allowed],
      [{ int8Compute: false }, 'relaxed', []],
      // The SIMD128 build has no int8 kernels: float32 whatever the pack allows.
      [{ relaxedSimd: false }, 'simd128', []],
    ] as const) {
      const engine = new InferenceEngine({
        convolution: { load: loadKernelsFromDisk },
        tuning: { wasmThreads: 1, ...tuning },
      });
      try {
        const ready = await engine.init(pack, 'wasm');
        expect(ready.wasmKernels).toMatchObject({ convolutions: 'lymphscope', simd });
        expect(ready.wasmKernels?.int8).toEqual(want);
      } finally {
        await engine.dispose();
        WasmConvolution.current()?.uninstall();
      }
    }
  }, 120_000);
});
