/**
 * The validation controller over the real runtime (fixture pack, tfjs CPU backend, in-process
 * worker) and the real store (in-memory IndexedDB). The page's decoder needs a browser, so here a
 * file's bytes name the test image it stands for; the browser test runs the real decoder.
 */
import * as tf from '@tensorflow/tfjs';
import { zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModalityId } from '../../../../src/domain';
import { ImageInputError, type RgbaImage } from '../../../../src/imaging';
import { OperatingPointState, categoryAt } from '../../../../src/ui/state/operating-point.svelte';
import { ValidationState, type ValidationRuntime } from '../../../../src/ui/state/validation.svelte';
import { discoverFolders, parseCaseTable, ValidationStore } from '../../../../src/validation';
import { decoded, startApp, until } from './harness';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const enc = (s: string) => new TextEncoder().encode(s);

/** 2d and cdfi folders, classes 0/1/2, 4 patients each; a note, an unreadable image, a copy across classes. */
function setZip(): File {
  const files: Record<string, Uint8Array> = {};
  let seed = 1;
  for (const folder of ['2d', 'cdfi']) {
    for (const cls of [0, 1, 2]) {
      for (let p = 0; p < 4; p++) files[`study/${folder}/${cls}/${10 * cls + p}-1.png`] = enc(`seed:${seed++}`);
    }
  }
  files['study/2d/1/90-1.png'] = files['study/2d/0/0-1.png']!;
  files['study/cdfi/2/91-1.png'] = enc('garbage');
  files['study/readme.txt'] = enc('notes');
  return new File([zipSync(files)], 'study.zip');
}

async function decode(file: Blob, name: string) {
  const text = await file.text();
  if (!text.startsWith('seed:')) throw new ImageInputError('decode-failed', name);
  return decoded(Number(text.slice(5)), 'png', 96, 72);
}

function answer(v: ValidationState): void {
  v.setup.mapping = { '0': 'metastatic', '1': 'lymphoma', '2': 'benign' };
  v.setup.grouping = 'file-name';
  v.setup.confirmPattern();
}

describe('validation controller', () => {
  it('maps, runs in groups, cancels, continues after a "reload" without analysing done images again, and keeps tensors flat', async () => {
    const { app } = await startApp();
    let calls = 0;
    let requests = 0;
    let cancelAt = 5;
    let v: ValidationState;
    const sizes: number[] = [];
    const runtime: ValidationRuntime = {
      get manifest() {
        return app.runtime.manifest;
      },
      get phase() {
        return app.runtime.phase;
      },
      async classifyBatch(m: ModalityId, crops: readonly RgbaImage[]) {
        requests++;
        sizes.push(crops.length);
        calls += crops.length;
        if (calls >= cancelAt && cancelAt > 0) v.cancel();
        const items = await app.runtime.classifyBatch(m, crops);
        // The batched probabilities are the single analysis's (first crop of each group checked).
        const single = await app.runtime.analyze(m, crops[0]!);
        const first = items[0]!;
        if (!first.ok) throw new Error(first.message);
        expect(Math.max(...first.probabilities.map((p, c) => Math.abs(p - single.probabilities[c]!)))).toBeLessThan(1e-6);
        return items;
      },
    };
    const store = new ValidationStore();
    v = new ValidationState(runtime, { decode, store, resamples: 50, batchSize: 4 });
    await v.setup.pickZip(setZip());
    const d = v.setup.discovery!;
    expect(d.layout).toBe('modality-folders');
    expect(d.images).toHaveLength(26);
    expect(d.skipped).toEqual([{ path: 'study/readme.txt', reason: 'not-an-image' }]);
    // Nothing is guessed: every class folder waits for its answer.
    expect(v.setup.plan(v.classes)).toMatchObject({ ok: false, why: 'unmapped' });
    await until(() => v.setup.duplicates !== null, 'the duplicate check');
    expect(v.setup.duplicates!.acrossClassGroups).toBe(1);
    answer(v);
    expect(v.setup.plan(v.classes).ok).toBe(true);

    const before = (await app.tensorStats()).numTensors;
    await v.start();
    expect(v.phase).toBe('stopped');
    // Cancelled during the second group of 4: the loop stops after that group.
    expect(requests).toBe(2);
    expect(v.done).toBe(8);
    expect(v.table!.rows.length).toBeGreaterThan(0); // partial results are shown
    expect((await app.tensorStats()).numTensors).toBe(before);

    // A reload: a new controller on the same database; the same folder and answers continue.
    calls = 0;
    cancelAt = -1;
    sizes.length = 0;
    v = new ValidationState(runtime, { decode, store: new ValidationStore(), resamples: 50, batchSize: 8 });
    await v.refreshRuns();
    expect(v.storedRuns).toMatchObject([{ done: 8, total: 26, finished: false }]);
    await v.setup.pickZip(setZip());
    await until(() => v.setup.duplicates !== null, 'the duplicate check');
    answer(v);
    await v.start();
    expect(v.phase).toBe('done');
    expect(calls).toBe(26 - 8 - 1); // the unreadable file never reaches the model
    // Groups of 8, split where the modality changes (one request per modality).
    expect(Math.max(...sizes)).toBeLessThanOrEqual(8);
    expect(sizes.some((n) => n > 1)).toBe(true);
    expect(v.counts).toMatchObject({ total: 26, analysed: 25, failed: 1 });
    expect(v.groups.map((g) => g.modality)).toEqual(['bmode', 'cdfi', 'fused']);
    const table = parseCaseTable(v.csv()!);
    expect(table.rows.filter((r) => r.modality === 'fused')).toHaveLength(13);
    expect((await app.tensorStats()).numTensors).toBe(before);

    // The results of a stored run are shown without its files.
    const key = v.run!.key;
    const later = new ValidationState(runtime, { decode, store: new ValidationStore(), resamples: 50 });
    await later.showStored(key);
    expect(later.phase).toBe('done');
    expect(later.csv()).toBe(v.csv());

    // An operating point chosen on it, saved, and read on a single result.
    const ops = new OperatingPointState(store);
    ops.resamples = 50;
    ops.ruleKind = 'youden';
    await v.packSha256();
    expect(await ops.save(v.run!, v.table!)).toBe(true);
    const saved = ops.saved!;
    const reloaded = new OperatingPointState(new ValidationStore());
    await reloaded.load({ id: saved.pack.id, sha256: await v.packSha256() });
    expect(reloaded.saved).toEqual(saved);
    await reloaded.load({ id: saved.pack.id, sha256: 'f'.repeat(64) });
    expect(reloaded.saved).toBeNull();
    const above = categoryAt(saved, v.classes, [saved.threshold, 0, 1 - saved.threshold]);
    expect(above?.positive).toBe(true);
    // Import on another workstation: refused for another pack, accepted for this one.
    const text = ops.exportText()!;
    expect(await reloaded.importText(text, { id: 'other', sha256: saved.pack.sha256 })).toBe(false);
    expect(reloaded.importProblem).toEqual({ kind: 'other-pack', id: saved.pack.id });
    expect(await reloaded.importText('{', saved.pack)).toBe(false);
    expect(reloaded.importProblem).toEqual({ kind: 'syntax' });
    expect(await reloaded.importText(text, saved.pack)).toBe(true);
  });

  it('reads a 10,000-file folder quickly (discovery only looks at names and sizes)', async () => {
    const { app } = await startApp();
    const v = new ValidationState(app.runtime, { decode, resamples: 50 });
    const files = Array.from(
      { length: 10_000 },
      (_, i) => new File([enc(`seed:${i}`)], `big/${['2d', 'cdfi'][i % 2]}/${i % 3}/${i}-1.png`),
    );
    const t0 = performance.now();
    await v.setup.pickFiles(files);
    const ms = performance.now() - t0;
    expect(v.setup.discovery!.images).toHaveLength(10_000);
    expect(ms).toBeLessThan(3000);
    const entries = files.map((f) => ({ path: f.name, size: f.size }));
    const t1 = performance.now();
    discoverFolders(entries);
    expect(performance.now() - t1).toBeLessThan(1000);
    v.setup.clear();
  });
});
