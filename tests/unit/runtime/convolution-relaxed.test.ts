/**
 * The Relaxed-SIMD builds of the app's convolution kernels (kernels-relaxed*.wasm: fused
 * multiply-add in the inner loop of both the Winograd and the direct kernel).
 *
 * Node 20's V8 validates relaxed SIMD only behind --experimental-wasm-relaxed-simd (on by default
 * from Node 22), so this file sets that flag before any module is compiled; vitest runs each file in
 * a process of its own (pool: 'forks'), so the other files still see Node's default.
 *
 * Tolerance: a fused multiply-add rounds once where multiply-then-add rounds twice, so the relaxed
 * build differs from XNNPACK (which multiplies and adds separately in its SIMD128 build) in the last
 * bits of each of the K = 9·Cin (direct) or Cin (Winograd) accumulations. The bound for the
 * difference of two float32 sums of K products is about K·2⁻²⁴ relative to the sum of |products|;
 * for the cases below (K ≤ 576, |products| summing to ≤ the output scale times a few) that is
 * ≤ 3.5e-5 relative, so 1e-4 of the output scale is the stated tolerance per convolution, and 1e-4
 * on the logits of the fixture pack end to end (the same bound the SIMD128 build meets against the
 * cpu backend in engine.test.ts). The SIMD128 build is held to 1e-5 in convolution.test.ts.
 */
import { setFlagsFromString } from 'node:v8';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelBinaryFor, kernelSimdFor, relaxedSimdSupported, WasmConvolution } from '../../../src/runtime/conv/convolution';
import { InferenceEngine } from '../../../src/runtime/engine';
import type { LoadedPack } from '../../../src/model-pack/loader';
import { createRng } from '../../../src/phantoms/rng';
import { loadFixturePack, loadKernelsFromDisk, maxAbsDiff, randomPixels } from './helpers';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkGolden, loadPackFromDisk } from '../../../scripts/pack-logits';
import { parsePackIndex } from '../../../src/model-pack/index-file';

// Before any kernel module is compiled (imports compile none).
setFlagsFromString('--experimental-wasm-relaxed-simd');

const TOLERANCE = 1e-4;

function random(shape: number[], seed: number, scale = 1): tf.Tensor {
  const rng = createRng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => rng.uniform(-scale, scale)),
    shape,
  );
}

interface Case {
  name: string;
  kind: 'winograd' | 'direct';
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides?: number;
  pad: 'same' | 'valid';
  activation?: 'linear' | 'relu';
}

const CASES: Case[] = [
  { name: 'ResNet layer1 shape', kind: 'winograd', x: [1, 14, 14, 64], filter: [3, 3, 64, 64], pad: 'same', activation: 'relu' },
  { name: 'deep: 256 channels', kind: 'winograd', x: [1, 7, 7, 256], filter: [3, 3, 256, 256], pad: 'same' },
  { name: 'odd size, more tiles than a chunk', kind: 'winograd', x: [2, 19, 17, 8], filter: [3, 3, 8, 16], pad: 'same' },
  { name: 'stem 7×7/2', kind: 'direct', x: [1, 37, 37, 3], filter: [7, 7, 3, 16], strides: 2, pad: 'valid', activation: 'relu' },
  { name: '3×3/2, 64→128', kind: 'direct', x: [1, 15, 15, 64], filter: [3, 3, 64, 128], strides: 2, pad: 'valid' },
  { name: '1×1/2 shortcut', kind: 'direct', x: [1, 14, 14, 16], filter: [1, 1, 16, 32], strides: 2, pad: 'valid' },
];

describe('relaxed SIMD detection', () => {
  it('detects relaxed SIMD once the engine has it, and picks the matching build', () => {
    expect(relaxedSimdSupported()).toBe(true);
    expect(kernelSimdFor()).toBe('relaxed');
    expect(kernelSimdFor(false)).toBe('simd128');
    expect(kernelBinaryFor(false, 'relaxed')).toBe('kernels-relaxed.wasm');
    expect(kernelBinaryFor(true, 'relaxed')).toBe('kernels-relaxed-threads.wasm');
    expect(kernelBinaryFor(true)).toBe('kernels-threads.wasm');
  });
});

describe('relaxed SIMD kernels against XNNPACK', () => {
  let conv: WasmConvolution;

  beforeAll(async () => {
    await tf.setBackend('wasm');
    conv = await WasmConvolution.install({ load: loadKernelsFromDisk, threads: 1 });
  });

  afterAll(() => conv.uninstall());

  it('installs the relaxed build', () => {
    expect(conv.status.simd).toBe('relaxed');
  });

  for (const [i, c] of CASES.entries()) {
    it(`${c.kind}: ${c.name} within ${TOLERANCE} of XNNPACK`, () => {
      const x = random(c.x, 500 + i) as tf.Tensor4D;
      const filter = random(c.filter, 600 + i, 0.2) as tf.Tensor4D;
      const foreign = filter.clone();
      const bias = random([c.filter[3]], 700 + i);
      const owner = {};
      conv.prepareFilters(owner, [filter]);
      const run = (f: tf.Tensor4D) =>
        tf.tidy(() =>
          tf.fused.conv2d({ x, filter: f, strides: c.strides ?? 1, pad: c.pad, bias, activation: c.activation ?? 'linear' }),
        );
      const calls = conv.calls[c.kind];
      const ours = run(filter);
      expect(conv.calls[c.kind]).toBe(calls + 1);
      const xnnpack = run(foreign);
      const a = ours.dataSync() as Float32Array;
      const b = xnnpack.dataSync() as Float32Array;
      const scale = Math.max(1, ...Array.from(b, Math.abs));
      const diff = maxAbsDiff(Array.from(a), Array.from(b)) / scale;
      expect(diff).toBeLessThan(TOLERANCE);
      conv.release(owner);
      tf.dispose([x, filter, foreign, bias, ours, xnnpack]);
    });
  }
});

describe('relaxed SIMD kernels end to end (fixture pack)', () => {
  let pack: LoadedPack;

  beforeAll(async () => {
    await tf.setBackend('wasm');
    pack = await loadFixturePack();
  });

  it('give the logits of the SIMD128 build and of XNNPACK within the tolerance, and say which build runs', async () => {
    const input = randomPixels(90, 70, 8);
    const results: Record<string, number[]> = {};
    for (const [name, options, tuning] of [
      ['xnnpack', {}, {}],
      ['simd128', { convolution: { load: loadKernelsFromDisk } }, { relaxedSimd: false }],
      ['relaxed', { convolution: { load: loadKernelsFromDisk } }, {}],
    ] as const) {
      const engine = new InferenceEngine({ ...options, tuning });
      try {
        const ready = await engine.init(pack, 'wasm');
        if (name === 'xnnpack') expect(ready.wasmKernels?.simd).toBeUndefined();
        else expect(ready.wasmKernels).toMatchObject({ convolutions: 'lymphscope', simd: name });
        results[name] = (await engine.analyze('bmode', input)).logits;
      } finally {
        await engine.dispose();
        WasmConvolution.current()?.uninstall();
      }
    }
    expect(maxAbsDiff(results.relaxed!, results.xnnpack!)).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(results.relaxed!, results.simd128!)).toBeLessThan(TOLERANCE);
    console.info(
      `fixture pack, max |Δlogit|: relaxed vs XNNPACK ${maxAbsDiff(results.relaxed!, results.xnnpack!).toExponential(2)}, ` +
        `SIMD128 vs XNNPACK ${maxAbsDiff(results.simd128!, results.xnnpack!).toExponential(2)}`,
    );
  });
});

describe('relaxed kernel binaries on a memory of their own', () => {
  // As in convolution.test.ts for kernels.wasm: the module may write only its outputs, the filter
  // copies and the scratch, never a stack or data of its own in the heap it borrows from tfjs.
  it('write only where they are told to', async () => {
    const [h, w, cin, cout] = [9, 7, 8, 16];
    for (const [binary, shared] of [
      ['kernels-relaxed.wasm', false],
      ['kernels-relaxed-threads.wasm', true],
    ] as const) {
      const memory = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared });
      const { instance } = await WebAssembly.instantiate(await loadKernelsFromDisk(binary), { env: { memory } });
      const k = instance.exports as unknown as Record<string, (...a: number[]) => number>;
      const bytes = new Uint8Array(memory.buffer);
      bytes.fill(0xa5);
      const f32 = new Float32Array(memory.buffer);
      const X = 65536;
      const W3 = X + h * w * cin * 4;
      const B = W3 + 9 * cin * cout * 4;
      const U = B + cout * 4;
      const P = U + k.wino_filter_size!(cin, cout) * 4;
      const WORK = P + k.direct_filter_size!(3, 3, cin, cout) * 4;
      const Y = WORK + k.wino_work_size!(cin, cout) * 4;
      const YD = Y + h * w * cout * 4;
      const END = YD + 4 * 3 * cout * 4;
      const rng = createRng(9);
      for (let i = X / 4; i < U / 4; i++) f32[i] = rng.uniform(-1, 1);
      const before = bytes.slice();
      k.wino_transform_filter!(W3, U, cin, cout);
      k.wino_conv!(X, U, B, Y, WORK, h, w, cin, cout, 1, 0, Math.ceil(h / 2) * Math.ceil(w / 2), 0, cout / 8);
      k.direct_pack_filter!(W3, P, 3, 3, cin, cout);
      k.direct_conv!(X, P, B, YD, w, cin, 3, 3, 2, 3, cout, 0, 0, 12, 0, cout / 8);
      let outside = 0;
      for (let i = 0; i < bytes.length; i++) if (bytes[i] !== before[i] && (i < U || i >= END)) outside++;
      expect(outside, binary).toBe(0);
      expect(
        bytes.slice(Y, Y + 64).every((b) => b === 0xa5),
        binary,
      ).toBe(false);
      expect(
        bytes.slice(YD, YD + 64).every((b) => b === 0xa5),
        binary,
      ).toBe(false);
    }
  });
});

describe('relaxed SIMD kernels on the bundled packs (public/models)', () => {
  // The same golden logits, within the same tolerance each pack's golden.json documents, that
  // tests/unit/model-pack/model-packs.test.ts holds tfjs's kernels and the SIMD128 build to.
  const models = resolve(dirname(fileURLToPath(import.meta.url)), '../../../public/models');

  it("reproduce every pack's golden logits", async () => {
    await tf.setBackend('wasm');
    const index = parsePackIndex(JSON.parse(await readFile(join(models, 'index.json'), 'utf8')));
    const conv = await WasmConvolution.install({ load: loadKernelsFromDisk, threads: 1 });
    try {
      expect(conv.status.simd).toBe('relaxed');
      for (const entry of index.packs) {
        const manifestPath = join(models, entry.path);
        const results = await checkGolden(await loadPackFromDisk(manifestPath), manifestPath, {
          built: (model) => conv.prepare(model),
          disposing: (model) => conv.release(model),
        });
        expect(results.length, entry.id).toBeGreaterThan(0);
        for (const r of results)
          expect(
            r.excess,
            `${entry.id} ${r.modality}/${r.name}: got ${r.got.join(', ')}, want ${r.want.join(', ')}`,
          ).toBeLessThanOrEqual(0);
      }
      expect(conv.calls.winograd).toBeGreaterThan(0);
      expect(conv.calls.direct).toBeGreaterThan(0);
    } finally {
      conv.uninstall();
    }
  });
});
