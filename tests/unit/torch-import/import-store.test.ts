/**
 * The import worker's handler over a real (fake-indexeddb) store: a checkpoint becomes a stored pack
 * that the app's loader accepts (schema, sizes, SHA-256); an id collision is asked, never
 * overwritten; storage running out mid-write leaves nothing; pack zips round-trip through export
 * and import, and unsafe or tampered zips are refused with the bundled packs' errors.
 */

import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  fetchLocalPack,
  listLocalPacks,
  loadPack,
  localPackUrl,
  readLocalPackFile,
  resetLocalPackStore,
  type FetchLike,
} from '../../../src/model-pack';
import { CLASS_IDS } from '../../../src/domain';
import { createImportHandler } from '../../../src/torch-import/import-handler';
import type { CheckpointOptions, ImportRequest, ImportResponse } from '../../../src/torch-import/import-protocol';
import { checkpointBytes, ensureCheckpoints } from '../../fixtures/torch-checkpoints';

const BASE = 'http://app.test/';
const localOnly: FetchLike = async (url) =>
  (await fetchLocalPack(url)) ?? { ok: false, status: 404, arrayBuffer: async () => new ArrayBuffer(0) };

function harness() {
  const out: ImportResponse[] = [];
  const handle = createImportHandler((r) => out.push(r), localOnly, BASE);
  let id = 0;
  const call = async (
    req: ImportRequest extends infer T ? (T extends unknown ? Omit<T, 'id'> : never) : never,
  ): Promise<ImportResponse> => {
    const n = ++id;
    await handle({ ...req, id: n } as ImportRequest);
    return out.find((r) => r.id === n)!;
  };
  return call;
}

const options = (packId: string): CheckpointOptions => ({
  modality: 'bmode',
  classes: CLASS_IDS.map((c) => ({ id: c, label: c })),
  size: 224,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  packId,
  title: 'Imported EfficientNet',
  sourceName: 'effb0-state-dict.pth',
});
const blob = (b: Uint8Array) => new Blob([b.slice()]);

beforeEach(() => {
  globalThis.indexedDB = new IDBFactory();
  resetLocalPackStore();
  ensureCheckpoints();
});

describe('import worker handler', () => {
  it('stores a checkpoint as a pack the loader verifies, and refuses to overwrite it', async () => {
    const call = harness();
    const r = await call({
      type: 'import-checkpoint',
      file: blob(checkpointBytes('effb0-state-dict.pth')),
      options: options('eff-site'),
    });
    expect(r.type).toBe('imported');
    expect((await listLocalPacks()).map((p) => [p.id, p.validated, p.origin])).toEqual([['eff-site', false, 'checkpoint']]);
    const pack = await loadPack(localPackUrl('eff-site', BASE), { fetchFn: localOnly });
    expect(pack.manifest.modalities.bmode?.architecture).toBe('efficientnet_b0');
    expect(pack.models.bmode?.weightSpecs.length).toBeGreaterThan(100);

    const before = await readLocalPackFile('eff-site', 'manifest.json');
    const again = await call({
      type: 'import-checkpoint',
      file: blob(checkpointBytes('r18-state-dict.pth')),
      options: options('eff-site'),
    });
    expect(again).toMatchObject({ type: 'exists', packId: 'eff-site' });
    expect(await readLocalPackFile('eff-site', 'manifest.json')).toEqual(before);
  });

  it('leaves nothing behind when storage runs out in the middle of the pack', async () => {
    const call = harness();
    const proto = IDBObjectStore.prototype;
    const add = proto.add;
    let n = 0;
    proto.add = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['add']>) {
      if (++n === 4) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return add.apply(this, args);
    };
    try {
      const r = await call({
        type: 'import-checkpoint',
        file: blob(checkpointBytes('effb0-state-dict.pth')),
        options: options('eff-full'),
      });
      expect(r).toMatchObject({ type: 'error', code: 'quota' });
    } finally {
      proto.add = add;
    }
    expect(n).toBeGreaterThanOrEqual(4);
    expect(await listLocalPacks()).toEqual([]);
    expect(await readLocalPackFile('eff-full', 'bmode/model.json')).toBeNull();
    expect(await readLocalPackFile('eff-full', 'bmode/group1-shard1of8.bin')).toBeNull();
  });

  it('exports a stored pack as a zip that imports again (under a new id on collision) and refuses bad zips', async () => {
    const call = harness();
    await call({ type: 'import-checkpoint', file: blob(checkpointBytes('effb0-state-dict.pth')), options: options('eff-a') });
    const exp = await call({ type: 'export', manifestUrl: localPackUrl('eff-a', BASE) });
    if (exp.type !== 'exported') throw new Error(JSON.stringify(exp));
    expect(exp.fileName).toBe('eff-a-1.0.0.zip');
    const zip = new Uint8Array(exp.bytes);

    expect(await call({ type: 'import-pack', zip: blob(zip) })).toMatchObject({ type: 'exists', packId: 'eff-a' });
    // A bundled pack's id is taken too: a stored pack may not hide behind it.
    expect(await call({ type: 'import-pack', zip: blob(zip), rename: 'bundled-one', taken: ['bundled-one'] })).toMatchObject({
      type: 'exists',
      packId: 'bundled-one',
    });
    expect(await call({ type: 'import-pack', zip: blob(zip), rename: 'eff-b' })).toMatchObject({ type: 'imported' });
    expect(JSON.parse(new TextDecoder().decode((await readLocalPackFile('eff-b', 'manifest.json'))!)).id).toBe('eff-b');
    await loadPack(localPackUrl('eff-b', BASE), { fetchFn: localOnly });

    const files = unzipSync(zip);
    const rezip = (extra: Record<string, Uint8Array>) => blob(zipSync({ ...files, ...extra }, { level: 0 }));
    expect(await call({ type: 'import-pack', zip: rezip({ 'eff-a/notes.txt': strToU8('hi') }), rename: 'eff-c' })).toMatchObject({
      type: 'error',
      code: 'extra-files',
      message: expect.stringContaining('eff-a/notes.txt'),
    });
    expect(await call({ type: 'import-pack', zip: rezip({ '../escape.txt': strToU8('x') }), rename: 'eff-c' })).toMatchObject({
      type: 'error',
      code: 'unsafe-path',
    });
    const tampered = files['eff-a/bmode/group1-shard2of8.bin']!.slice();
    tampered[10] = tampered[10]! ^ 1;
    expect(
      await call({ type: 'import-pack', zip: rezip({ 'eff-a/bmode/group1-shard2of8.bin': tampered }), rename: 'eff-c' }),
    ).toMatchObject({
      type: 'error',
      code: 'integrity',
      message: 'Model file "bmode/group1-shard2of8.bin" does not match its SHA-256 in the manifest (altered or corrupted)',
    });
    expect((await listLocalPacks()).map((p) => p.id)).toEqual(['eff-a', 'eff-b']);
  });

  it('names what it refuses: non-checkpoints, os.system, wrong heads', async () => {
    const call = harness();
    const tryFile = (b: Uint8Array) => call({ type: 'import-checkpoint', file: blob(b), options: options('x-bad') });
    expect(await tryFile(strToU8('not a checkpoint at all'))).toMatchObject({ type: 'error', code: 'not-checkpoint' });
    const r18 = checkpointBytes('r18-state-dict.pth');
    expect(await tryFile(r18.subarray(0, r18.length >> 1))).toMatchObject({ type: 'error', code: 'not-checkpoint' });
    expect(await tryFile(checkpointBytes('evil-os-system.pth'))).toMatchObject({
      type: 'error',
      code: 'refused',
      message: expect.stringMatching(/system/),
    });
    expect(await tryFile(checkpointBytes('r18-four-classes.pth'))).toMatchObject({ type: 'error', code: 'head-size' });
    expect(await listLocalPacks()).toEqual([]);
  });
});
