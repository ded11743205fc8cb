import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { bundlePage } from '../../bench/gpu/bundle';
import type { ConvCase, WebGpuConvPage } from './pages/webgpu-conv';

/**
 * The app's WebGPU convolution kernels (src/runtime/webgpu-conv) in real Chromium on its WebGPU
 * adapter (a software one on machines without a GPU): every shape class of a ResNet against a
 * float64 reference and against tfjs's own WebGPU kernel, the f16 variant's rounding (emulated
 * where the adapter has no `shader-f16`), and a small ResNet-like model end to end against the
 * wasm backend. Correctness only: speed on a software adapter says nothing about a GPU.
 */

const OUT = join('tests', '.generated', 'webgpu-conv');

test.beforeAll(async () => {
  await bundlePage('tests/browser/pages/webgpu-conv.ts', OUT);
  for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
    copyFileSync(join('node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist', f), join(OUT, f));
  }
});

const CASES: ConvCase[] = [
  { name: '3x3/1 same, bias+relu', x: [1, 9, 9, 16], filter: [3, 3, 16, 32], strides: 1, pad: 'same', bias: true, relu: true },
  {
    name: '3x3/1 same, no bias, batch 2',
    x: [2, 7, 6, 8],
    filter: [3, 3, 8, 16],
    strides: 1,
    pad: 'same',
    bias: false,
    relu: false,
  },
  {
    name: '3x3/2 same (uneven padding)',
    x: [1, 10, 10, 8],
    filter: [3, 3, 8, 16],
    strides: 2,
    pad: 'same',
    bias: true,
    relu: true,
  },
  {
    name: '3x3/2 valid (after ZeroPadding2D)',
    x: [1, 11, 11, 8],
    filter: [3, 3, 8, 16],
    strides: 2,
    pad: 'valid',
    bias: true,
    relu: false,
  },
  {
    name: '3x3/1 dilation 2',
    x: [1, 9, 9, 4],
    filter: [3, 3, 4, 8],
    strides: 1,
    pad: 'same',
    dilations: 2,
    bias: true,
    relu: false,
  },
  { name: '1x1/2 shortcut', x: [1, 8, 8, 16], filter: [1, 1, 16, 32], strides: 2, pad: 'valid', bias: true, relu: false },
  { name: '1x1/1', x: [1, 5, 5, 12], filter: [1, 1, 12, 8], strides: 1, pad: 'same', bias: false, relu: true },
  {
    name: '7x7/2 stem, 3 channels, same',
    x: [1, 20, 20, 3],
    filter: [7, 7, 3, 16],
    strides: 2,
    pad: 'same',
    bias: true,
    relu: true,
  },
  { name: '7x7/2 stem, valid', x: [1, 25, 25, 3], filter: [7, 7, 3, 16], strides: 2, pad: 'valid', bias: true, relu: true },
  { name: 'odd input channels (5)', x: [1, 6, 6, 5], filter: [3, 3, 5, 12], strides: 1, pad: 'same', bias: true, relu: false },
  {
    name: 'plain Conv2D kernel',
    x: [1, 8, 8, 8],
    filter: [3, 3, 8, 8],
    strides: 1,
    pad: 'same',
    bias: false,
    relu: false,
    plain: true,
  },
  // 64 × 64 pixels × 128 channels: enough workgroups for the 64 × 64 tile.
  { name: '3x3/1 large (64-tile)', x: [1, 64, 64, 8], filter: [3, 3, 8, 128], strides: 1, pad: 'same', bias: true, relu: true },
];

/** Output channels not a multiple of 4: tfjs's kernel must take the call. */
const HANDED: ConvCase = {
  name: '6 output channels',
  x: [1, 6, 6, 4],
  filter: [3, 3, 4, 6],
  strides: 1,
  pad: 'same',
  bias: true,
  relu: true,
};

declare global {
  interface Window {
    webgpuConv: WebGpuConvPage;
  }
}

test.describe('WebGPU convolution kernels', () => {
  test.beforeEach(async ({ page }) => {
    await page.goto('/__fixtures__/webgpu-conv/index.html');
    await page.waitForFunction(() => 'webgpuConv' in window);
    const features = await page.evaluate(() => window.webgpuConv.adapterFeatures());
    test.skip(features.length === 0 && !(await page.evaluate(() => 'gpu' in navigator)), 'this browser offers no WebGPU');
  });

  test('f32: every shape class equals a float64 reference, and tfjs’s own kernel', async ({ page }) => {
    const { results, status } = await page.evaluate((cases) => window.webgpuConv.runCases(cases, 'f32'), [...CASES, HANDED]);
    for (const r of results) {
      const bound = 1e-5 * Math.max(1, r.scale);
      expect(r.ownErr, r.name).toBeLessThan(bound);
      expect(r.tfjsErr, r.name).toBeLessThan(bound);
      if (r.name === HANDED.name) expect([r.own, r.handed], r.name).toEqual([0, 1]);
      else expect([r.own, r.handed], r.name).toEqual([1, 0]);
    }
    expect(status.pipelines.failed).toBe(0);
    expect(status.pipelines.pending).toBe(0);
    // Uniform shapes: far fewer pipelines than cases (variants: tile, vector input, bias, ReLU).
    expect(status.pipelines.ready).toBeLessThan(CASES.length);
  });

  test('f16 rounding (emulated without shader-f16): error within the half-precision bound, above f32’s', async ({ page }) => {
    const features = await page.evaluate(() => window.webgpuConv.adapterFeatures());
    const precision = features.includes('shader-f16') ? 'f16' : 'f16-emulated';
    const [f16, f32] = await page.evaluate(
      async ([cases, p]) => [await window.webgpuConv.runCases(cases, p), await window.webgpuConv.runCases(cases, 'f32')],
      [CASES, precision] as const,
    );
    for (const [i, r] of f16.results.entries()) {
      // Operands and products rounded to 11 significant bits, summed in f32: relative error of
      // each term ≤ 3 · 2⁻¹¹; the sums here stay within 1 % of the output's scale.
      expect(r.ownErr, r.name).toBeLessThan(1e-2 * Math.max(1, r.scale));
      expect(r.own, r.name).toBe(1);
      // The rounding really happened (a kernel that ignored the precision would match f32).
      expect(r.ownErr, r.name).toBeGreaterThan(f32.results[i]!.ownErr);
    }
    expect(f16.status.precision).toBe('f16');
  });

  test('the self-check at install passes f32 and f16 rounding at their tolerances and catches a deviation', async ({ page }) => {
    expect(await page.evaluate(() => window.webgpuConv.selfCheck('f32', 1e-4))).toBeNull();
    expect(await page.evaluate(() => window.webgpuConv.selfCheck('f16-emulated', 2e-2))).toBeNull();
    // f16 rounding is a deviation from the exact sums: a tolerance below it must be reported.
    expect(await page.evaluate(() => window.webgpuConv.selfCheck('f16-emulated', 1e-7))).toMatch(
      /^self-check \(\d input channels\): /,
    );
  });

  test('a small ResNet-like model end to end: the app’s kernels equal the wasm backend', async ({ page }) => {
    const r = await page.evaluate(() => window.webgpuConv.endToEnd('f32'));
    expect(r.own).toHaveLength(3);
    const scale = Math.max(...r.wasm.map(Math.abs), 1);
    for (const [i, v] of r.own.entries()) {
      expect(Math.abs(v - r.wasm[i]!), `logit ${i} vs wasm`).toBeLessThan(1e-4 * scale);
      expect(Math.abs(r.tfjs[i]! - r.wasm[i]!), `tfjs webgpu logit ${i} vs wasm`).toBeLessThan(1e-4 * scale);
    }
    // Every convolution of the model (six) ran on the app's kernels after the warm-up.
    expect(r.status!.calls).toEqual({ own: 6, tfjs: 0 });
  });
});
