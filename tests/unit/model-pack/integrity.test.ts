import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IntegrityError, sha256Hex, verifyFile } from '../../../src/model-pack/integrity';
import { loadPack, type FetchLike } from '../../../src/model-pack/loader';

const enc = (s: string) => new TextEncoder().encode(s);
const nodeSha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('sha256 integrity', () => {
  it('WebCrypto digest equals an independent implementation', async () => {
    const data = enc('LymphScope');
    expect(await sha256Hex(data)).toBe(nodeSha(data));
  });

  it('refuses a wrong size and a wrong hash, accepts the exact file', async () => {
    const data = enc('weights');
    const entry = { path: 'm/w.bin', bytes: data.length, sha256: nodeSha(data) };
    await expect(verifyFile(entry, data)).resolves.toBeUndefined();
    await expect(verifyFile({ ...entry, bytes: 3 }, data)).rejects.toMatchObject({ problem: 'size' });
    const tampered = data.slice();
    tampered[0] = tampered[0]! ^ 1;
    await expect(verifyFile(entry, tampered)).rejects.toBeInstanceOf(IntegrityError);
    await expect(verifyFile(entry, tampered)).rejects.toMatchObject({ problem: 'sha256', path: 'm/w.bin' });
  });
});

describe('loader', () => {
  const modelJson = enc(
    JSON.stringify({
      format: 'layers-model',
      modelTopology: { class_name: 'Model', config: {} },
      weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'k', shape: [2], dtype: 'float32' }] }],
    }),
  );
  const weights = new Uint8Array(new Float32Array([1, 2]).buffer);
  const input = {
    height: 8,
    width: 8,
    channelOrder: 'RGB',
    resize: 'bilinear-antialias',
    scale: 1,
    mean: [0, 0, 0],
    std: [1, 1, 1],
  };
  const manifest = (w: Uint8Array) => ({
    format: 'lymphscope-model-pack',
    formatVersion: 1,
    id: 'p',
    version: '1.0.0',
    title: 'P',
    classes: [
      { id: 'a', label: 'A' },
      { id: 'b', label: 'B' },
    ],
    modalities: { bmode: { model: 'bmode/model.json', input, gradcamLayer: 'x' } },
    files: [
      { path: 'bmode/model.json', bytes: modelJson.length, sha256: nodeSha(modelJson) },
      { path: 'bmode/w.bin', bytes: w.length, sha256: nodeSha(w) },
    ],
    intendedUse: 'x',
    disclaimer: 'y',
    license: 'z',
  });
  const server =
    (files: Record<string, Uint8Array>): FetchLike =>
    async (url) => {
      const path = new URL(url).pathname.slice(1);
      const body = files[path];
      return { ok: body !== undefined, status: body ? 200 : 404, arrayBuffer: async () => body!.slice().buffer };
    };

  it('loads a verified pack and concatenates shards', async () => {
    const fetchFn = server({
      'manifest.json': enc(JSON.stringify(manifest(weights))),
      'bmode/model.json': modelJson,
      'bmode/w.bin': weights,
    });
    const pack = await loadPack('http://pack/manifest.json', { fetchFn });
    expect(pack.models.bmode!.weightData.byteLength).toBe(8);
    expect(pack.models.bmode!.weightSpecs[0]!.name).toBe('k');
  });

  it('refuses a tampered weight shard', async () => {
    const tampered = weights.slice();
    tampered[3] = tampered[3]! ^ 0xff;
    const fetchFn = server({
      'manifest.json': enc(JSON.stringify(manifest(weights))),
      'bmode/model.json': modelJson,
      'bmode/w.bin': tampered,
    });
    await expect(loadPack('http://pack/manifest.json', { fetchFn })).rejects.toMatchObject({
      name: 'IntegrityError',
      path: 'bmode/w.bin',
    });
  });

  it('names a missing file', async () => {
    const fetchFn = server({ 'manifest.json': enc(JSON.stringify(manifest(weights))), 'bmode/model.json': modelJson });
    await expect(loadPack('http://pack/manifest.json', { fetchFn })).rejects.toThrow(/bmode\/w\.bin/);
  });
});
