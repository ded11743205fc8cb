/**
 * The adaptation controller over the real runtime (fixture pack, tfjs CPU, in-process worker) and
 * the real adaptation handler (in-process in place of its worker). As in validation.test.ts, a
 * file's bytes name the test image it stands for; the browser test runs the real decoder.
 */
import * as tf from '@tensorflow/tfjs';
import { zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAdaptHandler, isAdaptResponse, type AdaptClient, type Adapted } from '../../../../src/adaptation';
import { ImageInputError } from '../../../../src/imaging';
import { AdaptationState } from '../../../../src/ui/state/adaptation.svelte';
import { diskFetch } from '../../runtime/helpers';
import { decoded, startApp, until } from './harness';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const enc = (s: string) => new TextEncoder().encode(s);

/** 2d and cdfi folders, classes 0/1/2, `patients` patients each with 2 images, and one unreadable image. */
function setZip(patients: number): File {
  const files: Record<string, Uint8Array> = {};
  let seed = 1;
  for (const folder of ['2d', 'cdfi'])
    for (const cls of [0, 1, 2])
      for (let p = 0; p < patients; p++)
        for (const k of [1, 2]) files[`site/${folder}/${cls}/${10 * cls + p}-${k}.png`] = enc(`seed:${seed++}`);
  files['site/2d/2/99-1.png'] = enc('garbage');
  return new File([zipSync(files)], 'site.zip');
}

async function decode(file: Blob, name: string) {
  const text = await file.text();
  if (!text.startsWith('seed:')) throw new ImageInputError('decode-failed', name);
  return decoded(Number(text.slice(5)), 'png', 80, 64);
}

/** The adaptation worker's handler, in-process, messages structured-cloned as between threads. */
function inProcessClient(): AdaptClient {
  return {
    async adapt(body) {
      let answer: unknown;
      const h = createAdaptHandler((r) => (answer = structuredClone(r)), diskFetch);
      await h(structuredClone({ type: 'adapt', id: 1, ...body }));
      if (!isAdaptResponse(answer)) throw new Error('malformed answer');
      if (answer.type === 'error') throw new Error(answer.message);
      return answer;
    },
    dispose: () => undefined,
  };
}

describe('adaptation controller', () => {
  it('maps a folder, computes features of one modality, cancels, re-fits, and stores only on accept', async () => {
    const { app } = await startApp();
    const saved: { path: string; bytes: Uint8Array }[][] = [];
    const a = new AdaptationState(() => app.runtime, {
      decode,
      client: inProcessClient,
      save: (files) => {
        saved.push(files);
        return Promise.resolve('stored-id');
      },
      resamples: 50,
    });
    await a.setup.pickZip(setZip(4));
    await until(() => a.setup.duplicates !== null, 'hashing');
    a.setup.mapping = { '0': 'metastatic', '1': 'lymphoma', '2': 'benign' };
    a.setup.grouping = 'file-name';
    a.setup.confirmPattern();
    expect(a.modalities.sort()).toEqual(['bmode', 'cdfi']);
    a.modality = 'bmode';
    expect(a.images).toHaveLength(25);
    expect(a.patients).toBe(13);
    expect(a.canStart).toBe(true);

    // Cancel part-way: nothing is fitted, nothing stored.
    const first = a.start();
    await until(() => a.done >= 3, 'three images');
    a.cancel();
    await first;
    expect(a.phase).toBe('setup');
    expect(a.result).toBeNull();

    const tensors = (await app.runtime.tensorStats()).numTensors;
    await a.start();
    expect(a.error).toBeNull();
    expect(a.phase).toBe('done');
    expect(a.skipped).toBe(1); // the unreadable image
    const r = a.result as Adapted;
    expect(r.folds).toBe(5);
    for (const m of [r.before, r.after]) expect(m.low! <= m.auc! && m.auc! <= m.high!).toBe(true);
    expect(saved).toHaveLength(0);
    expect((await app.runtime.tensorStats()).numTensors).toBe(tensors);

    await a.accept();
    expect(a.phase).toBe('saved');
    expect(a.savedId).toBe('stored-id');
    expect(saved[0]!.map((f) => f.path)).toContain('manifest.json');
    const card = JSON.parse(new TextDecoder().decode(saved[0]!.find((f) => f.path === 'manifest.json')!.bytes));
    expect(card.training.adaptation.data).toMatchObject({ cases: 24, patients: 12 });
    expect(card.training.adaptation.basePack.id).toBe(app.runtime.manifest!.id);
  }, 120_000);

  it('waits for 5 patients before it can start', async () => {
    const { app } = await startApp();
    const a = new AdaptationState(() => app.runtime, { decode, client: inProcessClient, save: () => Promise.resolve(null) });
    await a.setup.pickZip(setZip(1));
    await until(() => a.setup.duplicates !== null, 'hashing');
    a.setup.mapping = { '0': 'metastatic', '1': 'lymphoma', '2': 'benign' };
    a.setup.grouping = 'file-name';
    a.setup.confirmPattern();
    expect(a.patients).toBeLessThan(5);
    expect(a.canStart).toBe(false);
  });
});
