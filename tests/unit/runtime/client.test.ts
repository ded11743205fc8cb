import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRuntimeClient, RuntimeRequestError, type WorkerLike } from '../../../src/runtime/client';
import type { BackendChangedMessage, ProgressMessage } from '../../../src/runtime/protocol';
import { checkWorkerResponse } from '../../../src/runtime/protocol-check';
import { createRequestHandler } from '../../../src/runtime/worker-handler';
import { diskFetch, fixtureManifestUrl, randomPixels } from './helpers';

type Listener = (event: Event) => void;

/**
 * An in-process stand-in for the worker: messages go through structuredClone with transfer in
 * both directions, as they would between threads, to the real request handler.
 */
class FakeWorker implements WorkerLike {
  private listeners = new Map<string, Listener[]>();
  terminated = false;
  /** Lets a test damage what the worker answers (after the structured clone, as a bug in the worker would). */
  corrupt: (message: Record<string, unknown>) => void = () => undefined;
  readonly handle = createRequestHandler(
    (message, transfer = []) => {
      const copy = structuredClone(message, { transfer }) as unknown as Record<string, unknown>;
      this.corrupt(copy);
      setTimeout(() => this.emit('message', { data: copy }));
    },
    { fetchFn: diskFetch },
  );

  postMessage(message: unknown, transfer: Transferable[]): void {
    const copy = structuredClone(message, { transfer: transfer as Transferable[] });
    setTimeout(() => void this.handle(copy));
  }
  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  terminate(): void {
    this.terminated = true;
  }
  emit(type: string, event: Partial<Event> & Record<string, unknown>): void {
    for (const l of this.listeners.get(type) ?? []) l(event as unknown as Event);
  }
  /** Pretends the worker died: an error event, and no answer to anything pending. */
  crash(message: string): void {
    this.emit('error', { message });
  }
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('runtime client', () => {
  it("initialises, analyses (keeping the caller's pixels), reports stats and disposes", async () => {
    const workers: FakeWorker[] = [];
    const client = createRuntimeClient(() => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    });
    const progress: ProgressMessage['stage'][] = [];
    const ready = await client.init(await fixtureManifestUrl(), 'cpu', (p) => progress.push(p.stage));
    expect(ready.backend).toBe('cpu');
    expect(progress).toContain('warmup');
    expect(progress.indexOf('build')).toBeLessThan(progress.indexOf('warmup'));
    expect(progress.indexOf('download')).toBeLessThan(progress.indexOf('build'));

    const pixels = randomPixels(40, 30, 3);
    const result = await client.analyze('elastography', pixels);
    expect(pixels.data.length).toBe(40 * 30 * 4); // not detached
    expect(result.cams).toHaveLength(3);
    expect(result.cams[0]).toBeInstanceOf(Float32Array);
    expect(result.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);

    const [a, b] = await Promise.all([client.analyze('bmode', pixels), client.analyze('cdfi', pixels)]);
    expect([a.modality, b.modality]).toEqual(['bmode', 'cdfi']);

    const stats = await client.stats();
    expect(stats.numTensors).toBeGreaterThan(0);
    const after = await client.dispose();
    expect(after.numTensors).toBeLessThan(stats.numTensors);
    expect(workers).toHaveLength(1);
    client.terminate();
    expect(workers[0]!.terminated).toBe(true);
    await expect(client.stats()).rejects.toMatchObject({ code: 'worker-terminated' });
  });

  it("rejects with the worker's error code and message", async () => {
    const client = createRuntimeClient(() => new FakeWorker());
    const failure = client.analyze('bmode', randomPixels(4, 4, 1));
    await expect(failure).rejects.toBeInstanceOf(RuntimeRequestError);
    await expect(failure).rejects.toMatchObject({ code: 'not-ready' });
    client.terminate();
  });

  it('rejects pending calls when the worker crashes, and init restarts a fresh worker', async () => {
    const workers: FakeWorker[] = [];
    const client = createRuntimeClient(() => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    });
    const crashes: string[] = [];
    client.onCrash((reason) => crashes.push(reason));
    const pending = client.init(await fixtureManifestUrl(), 'cpu');
    workers[0]!.crash('out of memory');
    await expect(pending).rejects.toMatchObject({ code: 'worker-crashed', message: expect.stringContaining('out of memory') });
    expect(crashes).toHaveLength(1);
    await expect(client.stats()).rejects.toMatchObject({ code: 'worker-crashed' });

    const ready = await client.init(await fixtureManifestUrl(), 'cpu');
    expect(ready.type).toBe('ready');
    expect(workers).toHaveLength(2);
    expect(workers[0]!.terminated).toBe(true);
    await client.dispose();
    client.terminate();
  });

  it('passes backend changes to listeners and ignores malformed responses', async () => {
    const worker = new FakeWorker();
    const client = createRuntimeClient(() => worker);
    const seen: BackendChangedMessage[] = [];
    const unsubscribe = client.onBackendChanged((m) => seen.push(m));
    client.restart(); // starts the worker so events can be emitted before any request
    const w = worker;
    w.emit('message', { data: { type: 'backend-changed', id: -1, backend: 'cpu', reason: 'webgpu failed: device lost' } });
    w.emit('message', { data: { nonsense: true } });
    expect(seen).toEqual([{ type: 'backend-changed', id: -1, backend: 'cpu', reason: 'webgpu failed: device lost' }]);
    unsubscribe();
    w.emit('message', { data: { type: 'backend-changed', id: -1, backend: 'wasm', reason: 'x' } });
    expect(seen).toHaveLength(1);
    client.terminate();
  });
});

describe('runtime client: responses are validated', () => {
  async function readyClient() {
    const worker = new FakeWorker();
    const client = createRuntimeClient(() => worker);
    await client.init(await fixtureManifestUrl(), 'cpu');
    return { worker, client };
  }

  it('rejects a result whose Grad-CAM map has the wrong size, naming the field', async () => {
    const { worker, client } = await readyClient();
    worker.corrupt = (m) => {
      if (m.type === 'result') (m.cams as Float32Array[])[1] = new Float32Array(3);
    };
    const failure = client.analyze('bmode', randomPixels(16, 16, 1));
    await expect(failure).rejects.toBeInstanceOf(RuntimeRequestError);
    await expect(failure).rejects.toMatchObject({
      code: 'bad-message',
      message: expect.stringMatching(
        /malformed "result" response \(cams\[1\]: expected a Float32Array of 8×8 values, got Float32Array\)/,
      ),
    });
    // The next, intact answer is used as before.
    worker.corrupt = () => undefined;
    expect((await client.analyze('bmode', randomPixels(16, 16, 1))).cams).toHaveLength(3);
    client.terminate();
  });

  it.each([
    [
      'a probability outside [0, 1]',
      (m: Record<string, unknown>) => ((m.probabilities as number[])[0] = 1.5),
      /probabilities\[0\]/,
    ],
    ['an unknown backend', (m: Record<string, unknown>) => (m.backend = 'tpu'), /backend: expected a backend id, got "tpu"/],
    ['missing timings', (m: Record<string, unknown>) => delete m.timings, /timings: expected an object, missing/],
    ['an unknown type', (m: Record<string, unknown>) => (m.type = 'resutl'), /type: unknown response type got "resutl"/],
  ])('rejects a result with %s', async (_, damage, problem) => {
    const { worker, client } = await readyClient();
    worker.corrupt = (m) => {
      if (m.type === 'result') damage(m);
    };
    await expect(client.analyze('cdfi', randomPixels(8, 8, 2))).rejects.toMatchObject({
      code: 'bad-message',
      message: expect.stringMatching(problem),
    });
    client.terminate();
  });

  it('rejects a ready message with a malformed manifest or stats with a negative count', async () => {
    const worker = new FakeWorker();
    const client = createRuntimeClient(() => worker);
    worker.corrupt = (m) => {
      if (m.type === 'ready') (m.manifest as Record<string, unknown>).formatVersion = 2;
      if (m.type === 'stats') m.numTensors = -1;
    };
    await expect(client.init(await fixtureManifestUrl(), 'cpu')).rejects.toMatchObject({
      code: 'bad-message',
      message: expect.stringMatching(/manifest: .*"formatVersion"/),
    });
    await expect(client.stats()).rejects.toMatchObject({ code: 'bad-message', message: expect.stringMatching(/numTensors/) });
    client.terminate();
  });

  it('accepts every response the real handler sends', async () => {
    const seen: unknown[] = [];
    const worker = new FakeWorker();
    worker.corrupt = (m) => void seen.push(structuredClone(m));
    const client = createRuntimeClient(() => worker);
    await client.init(await fixtureManifestUrl(), 'cpu');
    await client.analyze('elastography', randomPixels(20, 20, 5));
    await client.stats();
    await expect(client.analyze('bmode', { width: 1, height: 1, data: new Uint8ClampedArray(4) })).resolves.toBeTruthy();
    await client.dispose();
    expect(new Set(seen.map((m) => (m as { type: string }).type))).toEqual(new Set(['progress', 'ready', 'result', 'stats']));
    for (const m of seen) expect(checkWorkerResponse(m)).toBeNull();
    expect(checkWorkerResponse({ type: 'error', id: 3, code: 'no-backend', message: 'x' })).toBeNull();
    expect(checkWorkerResponse({ type: 'error', id: 3, code: 'oops', message: 'x' })).toMatch(/^code: expected one of/);
    // Progress: a download counts bytes of a known total; the later stages carry no counts.
    expect(checkWorkerResponse({ type: 'progress', id: 1, stage: 'download', loaded: 10, total: 20 })).toBeNull();
    expect(checkWorkerResponse({ type: 'progress', id: 1, stage: 'build' })).toBeNull();
    expect(checkWorkerResponse({ type: 'progress', id: 1, stage: 'download' })).toMatch(/^loaded:/);
    expect(checkWorkerResponse({ type: 'progress', id: 1, stage: 'download', loaded: 30, total: 20 })).toMatch(
      /^loaded: expected at most/,
    );
    expect(checkWorkerResponse({ type: 'progress', id: 1, stage: 'download', loaded: 1.5, total: 20 })).toMatch(/^loaded:/);
    expect(checkWorkerResponse({ type: 'progress', id: 1, stage: 'compile' })).toMatch(/^stage:/);
    client.terminate();
  });
});

describe('runtime client: features (site adaptation)', () => {
  it("returns a crop's pooled features and the same logits as an analysis, with a flat tensor count", async () => {
    const client = createRuntimeClient(() => new FakeWorker());
    await client.init(await fixtureManifestUrl(), 'cpu');
    const pixels = randomPixels(48, 36, 7);
    const analysis = await client.analyze('bmode', pixels);
    const first = await client.features('bmode', pixels);
    expect(pixels.data.length).toBe(48 * 36 * 4); // the caller's image is not detached
    expect(first.modality).toBe('bmode');
    expect(first.features).toBeInstanceOf(Float32Array);
    expect(first.features.length).toBeGreaterThan(0);
    expect(first.logits).toHaveLength(analysis.logits.length);
    first.logits.forEach((v, i) => expect(v).toBeCloseTo(analysis.logits[i]!, 4));
    const other = await client.features('bmode', randomPixels(48, 36, 8));
    expect(Array.from(other.features)).not.toEqual(Array.from(first.features));
    const before = (await client.stats()).numTensors;
    for (let i = 0; i < 3; i++) await client.features('cdfi', randomPixels(30, 30, i));
    expect((await client.stats()).numTensors).toBe(before);
    await client.dispose();
    client.terminate();
  });

  it('rejects malformed features responses and requests, naming the field', async () => {
    const worker = new FakeWorker();
    worker.corrupt = (m) => {
      if (m.type === 'features') (m.features as Float32Array)[2] = Number.NaN;
    };
    const client = createRuntimeClient(() => worker);
    await client.init(await fixtureManifestUrl(), 'cpu');
    await expect(client.features('bmode', randomPixels(20, 20, 1))).rejects.toMatchObject({
      code: 'bad-message',
      message: expect.stringMatching(/features\[2\]/),
    });
    expect(checkWorkerResponse({ type: 'features', id: 1, modality: 'bmode', features: [1, 2], logits: [0] })).toMatch(
      /^features:/,
    );
    expect(checkWorkerResponse({ type: 'features', id: 1, modality: 'x', features: new Float32Array(2), logits: [0] })).toMatch(
      /^modality:/,
    );
    expect(
      checkWorkerResponse({ type: 'features', id: 1, modality: 'bmode', features: new Float32Array(2), logits: [0, 1] }),
    ).toBeNull();
    await expect(client.features('nope' as 'bmode', randomPixels(4, 4, 1))).rejects.toMatchObject({ code: 'bad-input' });
    const replies: unknown[] = [];
    const handle = createRequestHandler((m) => replies.push(m), { fetchFn: diskFetch });
    await handle({ type: 'features', id: 9, modality: 'bmode', pixels: { width: 2, height: 2, data: new Uint8ClampedArray(3) } });
    expect(replies).toEqual([expect.objectContaining({ type: 'error', id: 9, code: 'bad-message' })]);
    await client.dispose();
    client.terminate();
  });
});
