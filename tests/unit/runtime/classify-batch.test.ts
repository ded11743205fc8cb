/**
 * `classify-batch`: several crops of one modality in one forward pass (validation runs). The
 * probabilities equal those of single analyses, a malformed crop fails alone, the tensor count stays
 * flat, and both directions of the protocol are validated like the other messages.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedPack } from '../../../src/model-pack/loader';
import { WasmConvolution } from '../../../src/runtime/conv/convolution';
import { InferenceEngine } from '../../../src/runtime/engine';
import { checkWorkerResponse, isWorkerRequest } from '../../../src/runtime/protocol-check';
import { MAX_CLASSIFY_BATCH, type WorkerResponse } from '../../../src/runtime/protocol';
import { createRequestHandler } from '../../../src/runtime/worker-handler';
import { diskFetch, fixtureManifestUrl, loadFixturePack, loadKernelsFromDisk, maxAbsDiff, randomPixels } from './helpers';

let pack: LoadedPack;

beforeAll(async () => {
  pack = await loadFixturePack();
});

describe('InferenceEngine.classifyBatch on wasm with the app kernels (fixture pack)', () => {
  const engine = new InferenceEngine({ convolution: { load: loadKernelsFromDisk }, tuning: { wasmThreads: 1 } });

  afterAll(async () => {
    await engine.dispose();
    WasmConvolution.current()?.uninstall();
  });

  it('gives each crop the probabilities of its single analysis, keeps a malformed crop apart, leaks nothing', async () => {
    const ready = await engine.init(pack, 'wasm');
    expect(ready.wasmKernels?.convolutions).toBe('lymphscope');
    // Crops of different sizes (each is resized on its own before stacking).
    const crops = [randomPixels(120, 90, 1), randomPixels(64, 64, 2), randomPixels(200, 150, 3)];
    const malformed = { width: 10, height: 10, data: new Uint8ClampedArray(7) };
    const singles = [];
    for (const c of crops) singles.push(await engine.analyze('cdfi', c));
    const conv = WasmConvolution.current()!;
    const callsBefore = conv.calls.winograd + conv.calls.direct + conv.calls.int8;
    const before = tf.memory().numTensors;

    const { items, inferenceMs } = await engine.classifyBatch('cdfi', [crops[0]!, malformed, crops[1]!, crops[2]!]);

    expect(tf.memory().numTensors).toBe(before);
    expect(inferenceMs).toBeGreaterThan(0);
    // The app's kernels took the batch's convolutions (one call per layer, not per image).
    expect(conv.calls.winograd + conv.calls.direct + conv.calls.int8).toBeGreaterThan(callsBefore);
    expect(items).toHaveLength(4);
    expect(items[1]).toMatchObject({ ok: false, code: 'bad-input' });
    const ok = [items[0]!, items[2]!, items[3]!];
    for (const [i, item] of ok.entries()) {
      if (!item.ok) throw new Error(`item ${i} failed: ${item.message}`);
      expect(maxAbsDiff(item.logits, singles[i]!.logits)).toBeLessThan(1e-5);
      expect(maxAbsDiff(item.probabilities, singles[i]!.probabilities)).toBeLessThan(1e-6);
    }
    // Different crops, different answers: a batch that repeated one crop would fail above.
    expect(maxAbsDiff(singles[0]!.logits, singles[1]!.logits)).toBeGreaterThan(1e-6);

    const allBad = await engine.classifyBatch('cdfi', [malformed]);
    expect(allBad.items).toEqual([expect.objectContaining({ ok: false, code: 'bad-input' })]);
    expect(allBad.inferenceMs).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);
});

describe('classify-batch through the worker handler and the protocol checks', () => {
  it('answers with a well-formed message, one item per crop, in order', async () => {
    await tf.setBackend('cpu');
    const posted: WorkerResponse[] = [];
    const handle = createRequestHandler((m) => posted.push(m), { fetchFn: diskFetch });
    await handle({ type: 'init', id: 1, manifestUrl: await fixtureManifestUrl(), backend: 'cpu' });
    const images = [randomPixels(50, 40, 5), randomPixels(80, 60, 6)];
    await handle({ type: 'classify-batch', id: 2, modality: 'bmode', images });
    const reply = posted[posted.length - 1]!;
    expect(checkWorkerResponse(reply)).toBeNull();
    expect(reply).toMatchObject({ type: 'classify-batch', id: 2, modality: 'bmode', backend: 'cpu' });
    if (reply.type !== 'classify-batch') throw new Error('wrong reply');
    expect(reply.items.map((i) => i.ok)).toEqual([true, true]);
    await handle({ type: 'dispose', id: 3 });
  }, 120_000);

  it('refuses empty, oversized and malformed batches, and names the bad field of a reply', () => {
    const px = randomPixels(4, 4, 1);
    const req = (images: unknown) => ({ type: 'classify-batch', id: 1, modality: 'bmode', images });
    expect(isWorkerRequest(req([px]))).toBe(true);
    expect(isWorkerRequest(req([]))).toBe(false);
    expect(isWorkerRequest(req(Array.from({ length: MAX_CLASSIFY_BATCH + 1 }, () => px)))).toBe(false);
    expect(isWorkerRequest(req([px, { width: 4, height: 4, data: new Uint8ClampedArray(3) }]))).toBe(false);
    expect(isWorkerRequest(req(px))).toBe(false);

    const reply = (items: unknown) => ({
      type: 'classify-batch',
      id: 1,
      modality: 'bmode',
      backend: 'wasm',
      inferenceMs: 3,
      items,
    });
    const good = { ok: true, logits: [1, 2, 3], probabilities: [0.1, 0.2, 0.7] };
    expect(checkWorkerResponse(reply([good, { ok: false, code: 'bad-input', message: 'too small' }]))).toBeNull();
    expect(checkWorkerResponse(reply([]))).toMatch(/^items:/);
    expect(checkWorkerResponse(reply([good, { ...good, logits: [1, 2] }]))).toMatch(/^items\[1\]\.logits/);
    expect(checkWorkerResponse(reply([good, { ok: false, code: 'nope', message: '' }]))).toMatch(/^items\[1\]\.code/);
    expect(checkWorkerResponse(reply([{ ...good, probabilities: [0.1, 0.2, 1.7] }]))).toMatch(/probabilities/);
  });
});
