/**
 * The committed WebAssembly kernels (src/runtime/conv/*.wasm) are what kernels.c compiles to, and
 * pass the build script's safety checks (only env.memory imported, no data segment, no start
 * function). Needs clang with the wasm32 target and wasm-ld (Debian: clang, lld), which CI
 * installs (.ci/run, with clang-19 and lld-19 for the Relaxed-SIMD builds); without them this test is skipped, since `npm start` and the other tests use
 * the committed binaries.
 */
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
// The relaxed-SIMD builds need clang 16 or later (RELAXED_CC, default clang-19: scripts/build-kernels.mjs).
const haveClang =
  spawnSync(process.env.CC ?? 'clang', ['--version']).status === 0 &&
  spawnSync('wasm-ld', ['--version']).status === 0 &&
  spawnSync(process.env.RELAXED_CC ?? 'clang-19', ['--version']).status === 0;

describe('convolution kernel binaries', () => {
  it.skipIf(!haveClang)(
    'match kernels.c and pass the safety checks',
    () => {
      const run = spawnSync(process.execPath, ['scripts/build-kernels.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
      expect(run.stderr + run.stdout).toContain('match their source');
      expect(run.status).toBe(0);
    },
    60_000,
  );
});
