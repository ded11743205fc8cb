import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkWorkerResponse } from '../../../src/runtime/protocol-check';
import { parseTuning } from '../../../src/runtime/tuning';
import {
  convShader,
  dispatchSize,
  tileFor,
  TILE_K,
  uniformWords,
  variantKey,
  type ConvGeometry,
  type ConvVariant,
} from '../../../src/runtime/webgpu-conv/shader';
import { fixturePackDir } from './helpers';

/**
 * The parts of the WebGPU kernels that need no GPU: uniforms, dispatch and tile choice, the shader
 * text of each variant, and the protocol and tuning fields they add. The kernels themselves run in
 * Chromium's WebGPU (tests/browser/webgpu-conv.spec.ts).
 */

/** ResNet-18 at 224 as the packs run it (explicit padding before the strided layers). */
const stem: ConvGeometry = {
  batch: 1,
  inHeight: 230,
  inWidth: 230,
  inChannels: 3,
  outHeight: 112,
  outWidth: 112,
  outChannels: 64,
  filterHeight: 7,
  filterWidth: 7,
  strideHeight: 2,
  strideWidth: 2,
  padTop: 0,
  padLeft: 0,
  dilationHeight: 1,
  dilationWidth: 1,
};
const deep: ConvGeometry = { ...stem, inHeight: 7, inWidth: 7, inChannels: 512, outHeight: 7, outWidth: 7, outChannels: 512 };

const ALL: ConvVariant[] = [];
for (const tile of [32, 64] as const)
  for (const vecInput of [true, false])
    for (const bias of [true, false])
      for (const relu of [true, false])
        for (const precision of ['f32', 'f16', 'f16-emulated'] as const) ALL.push({ tile, vecInput, bias, relu, precision });

describe('WebGPU convolution: geometry', () => {
  it('packs the uniforms as five vec4<i32> in the order the shader reads them', () => {
    const u = uniformWords({ ...stem, padTop: 2, padLeft: 3, dilationHeight: 1, dilationWidth: 2 });
    expect(u).toBeInstanceOf(Int32Array);
    expect([...u]).toEqual([1, 230, 230, 3, 1, 112, 112, 64, 7, 7, 2, 2, 2, 3, 1, 2, 112 * 112, 7 * 7 * 3, 16, 0]);
  });

  it('dispatches one workgroup per output block and picks the smaller tile where the large one would idle a GPU', () => {
    expect(dispatchSize(stem, 64)).toEqual([1, 196, 1]);
    expect(tileFor(stem)).toBe(64);
    // 7 × 7 pixels × 512 channels: 8 workgroups of 64 × 64, 32 of 32 × 32.
    expect(dispatchSize(deep, 64)).toEqual([8, 1, 1]);
    expect(tileFor(deep)).toBe(32);
    expect(dispatchSize(deep, 32)).toEqual([16, 2, 1]);
  });
});

describe('WebGPU convolution: shader variants', () => {
  it('gives every variant its own key (one pipeline each)', () => {
    expect(new Set(ALL.map(variantKey)).size).toBe(ALL.length);
  });

  it('enables f16 only in the f16 variant, as the first line, and keeps f32 sums in every variant', () => {
    for (const v of ALL) {
      const src = convShader(v);
      const name = variantKey(v);
      if (v.precision === 'f16') {
        expect(src.trimStart().startsWith('enable f16;'), name).toBe(true);
        expect(src, name).toContain('var<workgroup> As : array<array<vec4<f16>');
      } else {
        expect(src, name).not.toContain('f16;');
        expect(src, name).not.toMatch(/\bf16\b/);
      }
      expect(src, name).toContain('var acc : array<vec4<f32>, 4>');
      expect(src.includes('round16x4('), name).toBe(v.precision === 'f16-emulated');
    }
  });

  it('declares the bias binding only when used (layout "auto" refuses unused bindings) and applies ReLU only when asked', () => {
    for (const v of ALL) {
      const src = convShader(v);
      expect(src.includes('@binding(4) var<storage, read> b'), variantKey(v)).toBe(v.bias);
      expect(src.includes('max(o, vec4<f32>(0.0))'), variantKey(v)).toBe(v.relu);
      expect(src.includes('array<vec4<f32>>;\n@group(0) @binding(2)'), variantKey(v)).toBe(v.vecInput);
    }
  });

  it('sizes the workgroup and its tiles from the tile (T/4 × T/4 threads, TK deep)', () => {
    expect(convShader({ ...ALL[0]!, tile: 64 })).toContain('@workgroup_size(256, 1, 1)');
    expect(convShader({ ...ALL[0]!, tile: 32 })).toContain('@workgroup_size(64, 1, 1)');
    expect(convShader({ ...ALL[0]!, tile: 64 })).toContain(`array<array<vec4<f32>, 16>, ${TILE_K}>`);
  });
});

describe('WebGPU convolution: protocol and tuning', () => {
  it('checks ready.webgpuKernels', async () => {
    const manifest: unknown = JSON.parse(await readFile(join(await fixturePackDir(), 'manifest.json'), 'utf8'));
    const ready = { type: 'ready', id: 1, backend: 'webgpu', skipped: [], manifest, loadMs: 1, warmupMs: 1 };
    const verdict = (k: unknown) => checkWorkerResponse({ ...ready, webgpuKernels: k });
    expect(verdict({ convolutions: 'lymphscope', precision: 'f16', pipelines: 5 })).toBeNull();
    expect(verdict({ convolutions: 'tfjs', note: 'switched off' })).toBeNull();
    expect(verdict({ convolutions: 'cuda' })).toMatch(/^convolutions: expected one of lymphscope, tfjs/);
    expect(verdict({ convolutions: 'lymphscope', precision: 'f64' })).toMatch(/^precision:/);
    expect(verdict({ convolutions: 'lymphscope', pipelines: -1 })).toMatch(/^pipelines:/);
    expect(verdict('fast')).toMatch(/^webgpuKernels:/);
  });

  it('checks the shader count of the warm-up progress', () => {
    const progress = (shaders: unknown, stage = 'warmup') => checkWorkerResponse({ type: 'progress', id: 1, stage, shaders });
    expect(progress({ done: 3, total: 8 })).toBeNull();
    expect(progress({ done: 9, total: 8 })).toMatch(/^shaders.done: expected at most total/);
    expect(progress({ done: 1.5, total: 8 })).toMatch(/^done:/);
    expect(progress({ done: 1, total: 8 }, 'build')).toMatch(/^shaders: expected only in the warmup stage/);
  });

  it('accepts the WebGPU switches strictly', () => {
    expect(parseTuning({ webgpuConvKernels: false, webgpuF16: true })).toEqual({ webgpuConvKernels: false, webgpuF16: true });
    expect(() => parseTuning({ webgpuF16: 'yes' })).toThrow(/tuning.webgpuF16: expected true or false/);
  });
});
