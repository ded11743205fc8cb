import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { IntegrityError } from '../../../src/model-pack/integrity';
import { loadPack } from '../../../src/model-pack/loader';
import type { ErrorMessage, WorkerResponse } from '../../../src/runtime/protocol';
import { createRequestHandler } from '../../../src/runtime/worker-handler';
import { diskFetch, fixtureManifestUrl, fixturePackDir, randomPixels } from './helpers';

function harness() {
  const posted: { message: WorkerResponse; transfer: Transferable[] }[] = [];
  const handle = createRequestHandler((message, transfer = []) => posted.push({ message, transfer }), { fetchFn: diskFetch });
  const last = () => posted[posted.length - 1]!.message;
  return { posted, handle, last };
}

/** A private copy of the fixture pack that a test may damage. */
async function copyOfPack(): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), 'lymphscope-pack-')), 'fixture-tiny');
  await cp(await fixturePackDir(), dir, { recursive: true });
  return dir;
}

const manifestUrlOf = (dir: string) => pathToFileURL(join(dir, 'manifest.json')).href;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('worker request handler', () => {
  it('answers init with ready (backend, skipped, manifest, timings) after progress, and analyze with transferable maps', async () => {
    const h = harness();
    await h.handle({ type: 'init', id: 1, manifestUrl: await fixtureManifestUrl(), backend: 'cpu' });
    const ready = h.last();
    expect(ready).toMatchObject({ type: 'ready', id: 1, backend: 'cpu', skipped: [] });
    if (ready.type !== 'ready') throw new Error('not ready');
    expect(ready.manifest.fixture).toBe(true);
    expect(ready.loadMs).toBeGreaterThan(0);
    const stages = h.posted.filter((p) => p.message.type === 'progress').map((p) => (p.message as { stage: string }).stage);
    expect(stages).toContain('download');
    expect(stages.slice(-3)).toEqual(['backend', 'build', 'warmup']);
    // Download progress counts verified bytes up to the pack's total, never beyond, never backwards.
    const downloads = h.posted
      .map((p) => p.message)
      .filter((m): m is Extract<typeof m, { type: 'progress' }> => m.type === 'progress' && m.stage === 'download');
    expect(downloads.length).toBeGreaterThan(0);
    const last = downloads[downloads.length - 1]!;
    expect(last.total).toBeGreaterThan(0);
    for (const [i, d] of downloads.entries()) {
      expect(d.loaded!).toBeLessThanOrEqual(d.total!);
      if (i > 0) expect(d.loaded!).toBeGreaterThanOrEqual(downloads[i - 1]!.loaded!);
    }

    await h.handle({ type: 'analyze', id: 2, modality: 'bmode', pixels: randomPixels(33, 21, 2) });
    const { message, transfer } = h.posted[h.posted.length - 1]!;
    expect(message).toMatchObject({ type: 'result', id: 2, modality: 'bmode', camWidth: 8, camHeight: 8, backend: 'cpu' });
    if (message.type !== 'result') throw new Error('no result');
    expect(transfer).toEqual(message.cams.map((c) => c.buffer));

    await h.handle({ type: 'stats', id: 3 });
    expect(h.last()).toMatchObject({ type: 'stats', id: 3, backend: 'cpu' });
    await h.handle({ type: 'dispose', id: 4 });
    expect(h.last()).toMatchObject({ type: 'stats', id: 4 });
  });

  it('refuses a tampered pack, naming the altered file', async () => {
    const dir = await copyOfPack();
    const shard = join(dir, 'cdfi', 'group1-shard2of2.bin');
    const bytes = await readFile(shard);
    bytes[100] = bytes[100]! ^ 0xff;
    await writeFile(shard, bytes);

    await expect(loadPack(manifestUrlOf(dir), { fetchFn: diskFetch })).rejects.toBeInstanceOf(IntegrityError);
    const h = harness();
    await h.handle({ type: 'init', id: 7, manifestUrl: manifestUrlOf(dir), backend: 'cpu' });
    expect(h.last()).toMatchObject({
      type: 'error',
      id: 7,
      code: 'pack-integrity',
      message: expect.stringContaining('"cdfi/group1-shard2of2.bin" does not match its SHA-256'),
    });
    // Nothing of the pack was built: analysing is refused.
    await h.handle({ type: 'analyze', id: 8, modality: 'bmode', pixels: randomPixels(8, 8, 1) });
    expect(h.last()).toMatchObject({ type: 'error', id: 8, code: 'not-ready' });
  });

  it('reports a missing file as unavailable and a malformed manifest as invalid, naming the field', async () => {
    const h = harness();
    const dir = await copyOfPack();
    await h.handle({ type: 'init', id: 1, manifestUrl: pathToFileURL(join(dir, 'nope.json')).href, backend: 'cpu' });
    expect(h.last()).toMatchObject({ type: 'error', code: 'pack-unavailable', message: expect.stringContaining('HTTP 404') });

    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    manifest.modalities.bmode.temperature = -1;
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
    await h.handle({ type: 'init', id: 2, manifestUrl: manifestUrlOf(dir), backend: 'cpu' });
    expect(h.last()).toMatchObject({
      type: 'error',
      id: 2,
      code: 'pack-invalid',
      message: expect.stringContaining('"modalities.bmode.temperature"'),
    });
  });

  it('answers malformed messages with bad-message and unknown modalities with bad-input', async () => {
    const h = harness();
    await h.handle({ type: 'analyze', id: 5, modality: 'bmode', pixels: { width: 2, height: 2, data: new Uint8Array(16) } });
    expect(h.last()).toMatchObject({ type: 'error', id: 5, code: 'bad-message' });
    await h.handle('hello');
    expect(h.last()).toMatchObject({ type: 'error', id: -1, code: 'bad-message' });
    await h.handle({ type: 'init', id: 6, manifestUrl: 'models/x/manifest.json', backend: 'cpu' });
    expect(h.last()).toMatchObject({ type: 'error', id: 6, code: 'bad-message', message: expect.stringMatching(/absolute URL/) });
    await h.handle({ type: 'init', id: 9, manifestUrl: await fixtureManifestUrl(), backend: 'cpu' });
    await h.handle({ type: 'analyze', id: 10, modality: 'ct', pixels: randomPixels(4, 4, 1) });
    expect((h.last() as ErrorMessage).code).toBe('bad-input');
    await h.handle({ type: 'dispose', id: 11 });
  });
});
