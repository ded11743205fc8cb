/**
 * The app's wasm convolution kernels (src/runtime/conv): every case they take must equal tfjs's
 * own XNNPACK kernel to float32 rounding, every case they do not take must still be answered (by
 * XNNPACK), and the C code must never write outside the memory it was given.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cutItems, kernelSimdFor, WasmConvolution } from '../../../src/runtime/conv/convolution';
import { MAX_ITEMS } from '../../../src/runtime/conv/control';
import { createRng } from '../../../src/phantoms/rng';
import { loadKernelsFromDisk } from './helpers';

let conv: WasmConvolution;

beforeAll(async () => {
  await tf.setBackend('wasm');
  conv = await WasmConvolution.install({ load: loadKernelsFromDisk, threads: 1 });
});

afterAll(() => conv.uninstall());

function random(shape: number[], seed: number, scale = 1): tf.Tensor {
  const rng = createRng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => rng.uniform(-scale, scale)),
    shape,
  );
}

/**
 * kernels.wasm on a memory of its own (no tfjs): an h × w × cin input, a 3×3 filter to cout and a
 * bias filled with seeded values, the filter also in both kernel orders, a Winograd scratch; the
 * rest of the memory, from `free` on, is the caller's. `fill` is written everywhere first.
 */
async function standaloneKernels(h: number, w: number, cin: number, cout: number, seed: number, fill = 0) {
  const memory = new WebAssembly.Memory({ initial: 128 });
  const { instance } = await WebAssembly.instantiate(await loadKernelsFromDisk('kernels.wasm'), { env: { memory } });
  const k = instance.exports as unknown as Record<string, (...a: number[]) => number>;
  const bytes = new Uint8Array(memory.buffer);
  bytes.fill(fill);
  const f32 = new Float32Array(memory.buffer);
  const X = 65536;
  const W3 = X + h * w * cin * 4;
  const B = W3 + 9 * cin * cout * 4;
  const U = B + cout * 4;
  const P = U + k.wino_filter_size!(cin, cout) * 4;
  const WORK = P + k.direct_filter_size!(3, 3, cin, cout) * 4;
  const free = WORK + k.wino_work_size!(cin, cout) * 4;
  const rng = createRng(seed);
  for (let i = X / 4; i < U / 4; i++) f32[i] = rng.uniform(-1, 1);
  return { k, bytes, f32, at: { X, W3, B, U, P, WORK, free } };
}

interface Case {
  name: string;
  x: number[];
  filter: number[];
  strides?: number;
  pad: 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
  dilations?: number;
  bias?: boolean;
  activation?: 'linear' | 'relu' | 'elu';
  /** The Conv2D kernel (tf.conv2d) rather than FusedConv2D. */
  plain?: boolean;
}

/** Runs the case with the filter registered (the app's kernels) and with a copy that is not (XNNPACK). */
function both(c: Case, seed: number): { ours: Float32Array; xnnpack: Float32Array; scale: number } {
  const x = random(c.x, seed);
  const filter = random(c.filter, seed + 1, 0.2);
  const foreign = filter.clone();
  const bias = c.bias === false ? undefined : random([c.filter[3]!], seed + 2);
  conv.prepareFilters(c, [filter]);
  const run = (f: tf.Tensor) =>
    tf.tidy(() =>
      c.plain
        ? tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.strides ?? 1, c.pad, 'NHWC', c.dilations ?? 1)
        : tf.fused.conv2d({
            x: x as tf.Tensor4D,
            filter: f as tf.Tensor4D,
            strides: c.strides ?? 1,
            pad: c.pad,
            dilations: c.dilations ?? 1,
            bias,
            activation: c.activation ?? 'linear',
          }),
    );
  const a = run(filter);
  const b = run(foreign);
  const ours = a.dataSync() as Float32Array;
  const xnnpack = b.dataSync() as Float32Array;
  const scale = Math.max(1, ...Array.from(xnnpack, Math.abs));
  conv.release(c);
  tf.dispose([x, filter, foreign, bias, a, b].filter((t): t is tf.Tensor => !!t));
  return { ours, xnnpack, scale };
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const WINOGRAD: Case[] = [
  { name: 'ResNet layer shape, ReLU', x: [1, 14, 14, 64], filter: [3, 3, 64, 64], pad: 'same', activation: 'relu' },
  { name: 'odd height and width', x: [1, 7, 9, 8], filter: [3, 3, 8, 16], pad: 'same' },
  { name: 'one pixel', x: [1, 1, 1, 4], filter: [3, 3, 4, 8], pad: 'same', activation: 'relu' },
  { name: 'batch of two, no bias', x: [2, 6, 5, 12], filter: [3, 3, 12, 24], pad: 'same', bias: false },
  {
    name: 'explicit one-pixel padding',
    x: [1, 8, 8, 16],
    filter: [3, 3, 16, 8],
    pad: [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  },
  { name: 'plain Conv2D kernel', x: [1, 10, 6, 8], filter: [3, 3, 8, 8], pad: 'same', plain: true },
  { name: 'more tiles than one chunk', x: [1, 20, 18, 4], filter: [3, 3, 4, 8], pad: 'same', activation: 'relu' },
];

const DIRECT: Case[] = [
  {
    name: 'stem: 7×7 stride 2 on 3 channels',
    x: [1, 37, 37, 3],
    filter: [7, 7, 3, 16],
    strides: 2,
    pad: 'valid',
    activation: 'relu',
  },
  { name: '3×3 stride 2 behind explicit padding', x: [1, 15, 15, 8], filter: [3, 3, 8, 16], strides: 2, pad: 'valid' },
  { name: '1×1 stride 2 shortcut', x: [1, 14, 14, 16], filter: [1, 1, 16, 32], strides: 2, pad: 'valid', bias: false },
  { name: '1×1 stride 1 (same = no padding)', x: [2, 5, 7, 6], filter: [1, 1, 6, 8], pad: 'same' },
  { name: 'non-square filter', x: [1, 9, 11, 5], filter: [2, 3, 5, 8], pad: 'valid', activation: 'relu' },
  { name: 'plain Conv2D kernel', x: [1, 9, 9, 4], filter: [3, 3, 4, 8], strides: 3, pad: 'valid', plain: true },
];

/** Cases the kernels must leave to XNNPACK (answers still right). */
const DECLINED: Case[] = [
  { name: 'stride 2 with "same" padding (uneven pads)', x: [1, 8, 8, 8], filter: [3, 3, 8, 8], strides: 2, pad: 'same' },
  { name: 'dilation 2', x: [1, 9, 9, 8], filter: [3, 3, 8, 8], pad: 'same', dilations: 2 },
  { name: '5×5 "same" (two pixels of padding)', x: [1, 9, 9, 8], filter: [5, 5, 8, 8], pad: 'same' },
  { name: '3×3 "same" with 3 input channels', x: [1, 9, 9, 3], filter: [3, 3, 3, 8], pad: 'same' },
  { name: '12 output channels', x: [1, 9, 9, 8], filter: [3, 3, 8, 12], pad: 'same' },
  { name: 'ELU activation', x: [1, 6, 6, 8], filter: [3, 3, 8, 8], pad: 'same', activation: 'elu' },
];

describe('wasm convolution kernels', () => {
  it('installs once per backend', async () => {
    expect(await WasmConvolution.install({ load: loadKernelsFromDisk, threads: 1 })).toBe(conv);
    expect(WasmConvolution.current()).toBe(conv);
    // SIMD128 under Node 20's defaults; the relaxed build where the engine validates relaxed SIMD.
    // The int8 kernels exist only in the relaxed build.
    expect(conv.status).toEqual({
      threads: 1,
      simd: kernelSimdFor(),
      int8: kernelSimdFor() === 'relaxed',
      singleThreadReason: 'one thread requested',
    });
  });

  for (const [kind, cases] of [
    ['winograd', WINOGRAD],
    ['direct', DIRECT],
  ] as const) {
    for (const [i, c] of cases.entries()) {
      it(`${kind}: ${c.name} equals XNNPACK`, () => {
        const calls = conv.calls[kind];
        const { ours, xnnpack, scale } = both(c, 100 + i * 7);
        expect(conv.calls[kind]).toBe(calls + 1);
        expect(maxDiff(ours, xnnpack) / scale).toBeLessThan(1e-5);
      });
    }
  }

  for (const [i, c] of DECLINED.entries()) {
    it(`leaves ${c.name} to XNNPACK`, () => {
      const calls = { ...conv.calls };
      const { ours, xnnpack } = both(c, 300 + i);
      expect(conv.calls).toEqual(calls);
      expect(maxDiff(ours, xnnpack)).toBe(0);
    });
  }

  it('ignores filters nobody registered, and frees what a model held', () => {
    const calls = { ...conv.calls };
    tf.tidy(() =>
      tf.conv2d(random([1, 6, 6, 8], 1) as tf.Tensor4D, random([3, 3, 8, 8], 2) as tf.Tensor4D, 1, 'same').dataSync(),
    );
    expect(conv.calls).toEqual(calls);
    expect(conv.filterBytes).toBe(0);
    const owner = {};
    const filter = random([3, 3, 8, 16], 3);
    conv.prepareFilters(owner, [filter]);
    tf.tidy(() => tf.conv2d(random([1, 6, 6, 8], 4) as tf.Tensor4D, filter as tf.Tensor4D, 1, 'same').dataSync());
    expect(conv.filterBytes).toBe(16 * 8 * 16 * 4);
    conv.release(owner);
    expect(conv.filterBytes).toBe(0);
    filter.dispose();
  });

  it('leaves the tensor count flat', () => {
    const filter = random([3, 3, 8, 16], 5);
    const owner = {};
    conv.prepareFilters(owner, [filter]);
    const x = random([1, 12, 12, 8], 6);
    const once = () => tf.tidy(() => tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, 'same').dataSync());
    once();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) once();
    expect(tf.memory().numTensors).toBe(before);
    conv.release(owner);
    tf.dispose([filter, x]);
  });
});

describe('kernel binary on a memory of its own', () => {
  /**
   * Runs every entry point of kernels.wasm on a fresh memory filled with a marker byte and checks
   * that only the output and scratch ranges changed: the module must not own a stack, data or
   * any other state in the heap it borrows from tfjs.
   */
  it('writes only where it is told to', async () => {
    const [h, w, cin, cout] = [9, 7, 8, 16];
    const { k, bytes, at } = await standaloneKernels(h, w, cin, cout, 9, 0xa5);
    const { X, W3, B, U, P, WORK, free } = at;
    const Y = free;
    const YD = Y + h * w * cout * 4;
    const END = YD + 4 * 3 * cout * 4;
    const before = bytes.slice();
    k.wino_transform_filter!(W3, U, cin, cout);
    k.wino_conv!(X, U, B, Y, WORK, h, w, cin, cout, 1, 0, Math.ceil(h / 2) * Math.ceil(w / 2), 0, cout / 8);
    k.direct_pack_filter!(W3, P, 3, 3, cin, cout);
    k.direct_conv!(X, P, B, YD, w, cin, 3, 3, 2, 3, cout, 0, 0, 12, 0, cout / 8);
    // The filter copies, the scratch and the two outputs are contiguous from U to END.
    let outside = 0;
    for (let i = 0; i < bytes.length; i++) if (bytes[i] !== before[i] && (i < U || i >= END)) outside++;
    expect(outside).toBe(0);
    // And it did write its outputs.
    expect(bytes.slice(Y, Y + 64).every((b) => b === 0xa5)).toBe(false);
    expect(bytes.slice(YD, YD + 64).every((b) => b === 0xa5)).toBe(false);
  });
});

describe('cutting a convolution into items for the helper threads', () => {
  const shapes: [number, number][] = [
    [784, 8], // ResNet-18 layer1 (Winograd tiles × channel blocks)
    [196, 16],
    [49, 32],
    [16, 64], // layer4: few tiles, split by channels
    [12544, 8], // the stem's pixels
    [3, 1],
    [100_000, 8],
  ];
  for (const threads of [1, 2, 3, 8]) {
    it(`covers every output exactly once (${threads} threads)`, () => {
      for (const [rows, blocks] of shapes) {
        const items = cutItems(rows, blocks, threads);
        expect(items.length).toBeLessThanOrEqual(MAX_ITEMS);
        const seen = new Uint8Array(rows * blocks);
        for (const [r0, r1, b0, b1] of items) {
          expect(r0).toBeLessThan(r1);
          expect(b0).toBeLessThan(b1);
          if (r1 < rows) expect(r1 % 4).toBe(0);
          for (let r = r0; r < r1; r++) for (let b = b0; b < b1; b++) seen[r * blocks + b]!++;
        }
        expect(seen.every((v) => v === 1)).toBe(true);
        if (threads > 1 && rows * blocks >= 64) expect(items.length).toBeGreaterThanOrEqual(threads);
      }
    });
  }

  it('gives the same output item by item as in one call', async () => {
    const [h, w, cin, cout] = [23, 21, 8, 32];
    const { k, f32, at } = await standaloneKernels(h, w, cin, cout, 11);
    const { X, W3, B, U, P, WORK, free } = at;
    const Y1 = free;
    const Y2 = Y1 + h * w * cout * 4;
    k.wino_transform_filter!(W3, U, cin, cout);
    k.direct_pack_filter!(W3, P, 3, 3, cin, cout);
    const tiles = Math.ceil(h / 2) * Math.ceil(w / 2);
    const [oh, ow] = [Math.floor((h - 3) / 2) + 1, Math.floor((w - 3) / 2) + 1];
    const runs: [string, (y: number, item: number[]) => void, number, number][] = [
      ['winograd', (y, item) => k.wino_conv!(X, U, B, y, WORK, h, w, cin, cout, 1, ...item), tiles, h * w * cout],
      ['direct', (y, item) => k.direct_conv!(X, P, B, y, w, cin, 3, 3, 2, ow, cout, 0, ...item), oh * ow, oh * ow * cout],
    ];
    for (const [name, run, rows, size] of runs) {
      run(Y1, [0, rows, 0, cout / 8]);
      for (const item of cutItems(rows, cout / 8, 3)) run(Y2, item);
      const a = f32.subarray(Y1 / 4, Y1 / 4 + size);
      const b = f32.subarray(Y2 / 4, Y2 / 4 + size);
      expect(
        Array.from(a).some((v) => v !== 0),
        name,
      ).toBe(true);
      expect(Array.from(b), name).toEqual(Array.from(a));
    }
  });
});
