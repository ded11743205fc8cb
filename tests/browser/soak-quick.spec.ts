import { expect, test } from '@playwright/test';
import { analyseDemoCase, judgeFlatness, pageModalities, SoakProbe, type SoakSample } from '../../bench/soak-loop';
import { openApp } from './helpers';

/**
 * The soak loop of `npm run soak` (bench/soak.ts), short: 20 full analyses of new demo cases on
 * wasm (fixture pack), with the tensor count, tensor bytes and WebAssembly heap flat after warm-up.
 * The heaps of the JS engine need hundreds of analyses to say anything; the soak itself judges them.
 */
test('soak, quick: 20 three-modality analyses on wasm leave the tensor count and WASM heap flat', async ({ page }) => {
  await openApp(page, { backend: 'wasm' });
  const probe = new SoakProbe(page);
  await probe.attach();
  expect((await probe.stats()).backend).toBe('wasm');
  const modalities = await pageModalities(page);
  expect(modalities).toHaveLength(3);
  const samples: SoakSample[] = [await probe.sample(0)];
  for (let i = 1; i <= 20; i++) {
    await analyseDemoCase(page, modalities, 60_000);
    if (i % 4 === 0) samples.push(await probe.sample(i));
  }
  const verdict = judgeFlatness(samples, {
    warmupAnalyses: 4,
    // Not judged here (20 analyses are too few for the JS heap to settle): see bench/README.md, "Soak".
    jsHeapToleranceBytes: Number.POSITIVE_INFINITY,
    wasmHeapToleranceBytes: 0,
    domNodeTolerance: 100,
  });
  expect(verdict.failures).toEqual([]);
  expect(verdict.tensors.end).toBe(verdict.tensors.start);
  expect(verdict.wasmHeapBytes).not.toBeNull();
  // The tensors held are the models' weights: present, and the same after 20 analyses.
  expect(verdict.tensors.start).toBeGreaterThan(0);
});
