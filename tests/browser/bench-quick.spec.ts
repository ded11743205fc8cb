import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import type { BenchReport } from '../../bench/report';
import { markdownTable, validateReport } from '../../bench/report';
import { runBench } from '../../bench/run';

/**
 * The speed benchmark's quick mode (fixture pack, few runs): the harness runs end to end in
 * Chromium (the app's runtime on wasm with and without cross-origin isolation, ONNX Runtime Web on
 * the same weights) and native PyTorch, and writes a complete, sane report. Speed targets are
 * read from the full benchmark's output (npm run bench), never asserted here.
 */
// eslint-disable-next-line no-empty-pattern -- Playwright requires the fixtures argument to be destructured
test('bench quick mode writes a complete, sane report', async ({}, testInfo) => {
  test.setTimeout(240_000);
  const out = testInfo.outputPath('bench-quick.json');
  const { report, file } = await runBench(['--quick', '--port', '0', '--out', out]);
  expect(file).toBe(out);
  const onDisk = JSON.parse(readFileSync(out, 'utf8')) as BenchReport;
  expect(onDisk.schema).toBe(1);
  expect(onDisk.quick).toBe(true);
  expect(validateReport(onDisk, ['app-wasm', 'app-wasm-1t', 'ort-wasm', 'native'])).toEqual([]);

  const isolated = report.scenarios.find((s) => s.id === 'app-wasm')!;
  const plain = report.scenarios.find((s) => s.id === 'app-wasm-1t')!;
  expect(isolated.crossOriginIsolated).toBe(true);
  expect(plain.crossOriginIsolated).toBe(false);
  expect(plain.wasmThreads ?? 1).toBe(1);
  // Chromium has Relaxed SIMD: both pages run the fused-multiply-add build of the app's kernels
  // (shared heap and plain), and their logits are held to native PyTorch's below like every engine's.
  expect(isolated.wasmKernels).toMatchObject({ convolutions: 'lymphscope', simd: 'relaxed' });
  expect(plain.wasmKernels).toMatchObject({ convolutions: 'lymphscope', simd: 'relaxed' });
  // The throughput batch ran on the app's wasm scenarios (its figures are read, never asserted).
  expect(isolated.throughput?.images).toBeGreaterThan(0);
  // The tensor count after the leak-check analyses is where it was before them.
  expect(isolated.tensors!.after).toBe(isolated.tensors!.before);
  expect(isolated.tensors!.analyses).toBeGreaterThan(0);
  // Same weights everywhere: every engine's logits match native PyTorch's.
  for (const [id, diff] of Object.entries(report.logitsMaxAbsDiffVsNative)) {
    expect(diff, id).not.toBeNull();
    expect(diff!, id).toBeLessThan(1e-3);
  }
  expect(report.targets.map((t) => t.id)).toEqual([
    'wasm-vs-ort',
    'wasm-vs-native',
    'webgpu-vs-ort',
    'gradcam-overhead',
    'three-modalities',
    'cold-start',
    'second-analysis',
  ]);
  expect(markdownTable(report)).toContain('| Engine | Backend |');
});
