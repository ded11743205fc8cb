import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkedOfflineCopy, OFFLINE_COPY_HEADER, OfflineCopyError, sha256Hex } from '../../../src/model-pack';
import { findPackFile, verifiedOrRepaired, type PackFileRef } from '../../../src/pwa/offline-copy';

const GOOD = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
const BAD = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 9]);
const URL_ = 'http://127.0.0.1:4173/models/p/bmode/group1-shard1of1.bin';

async function ref(): Promise<PackFileRef> {
  return {
    manifestUrl: 'http://127.0.0.1:4173/models/p/manifest.json',
    file: { path: 'bmode/group1-shard1of1.bin', bytes: GOOD.byteLength, sha256: await sha256Hex(GOOD) },
  };
}

describe('offline copy check and repair', () => {
  it('serves a copy that matches its manifest as it is', async () => {
    const cached = new Response(GOOD);
    const out = await verifiedOrRepaired({
      url: URL_,
      cached,
      ref: await ref(),
      refetch: () => Promise.reject(new Error('must not refetch')),
      replace: () => Promise.reject(new Error('must not replace')),
    });
    expect(out).toBe(cached);
  });

  it('refetches, verifies and replaces a damaged copy', async () => {
    const replaced: Uint8Array[] = [];
    const out = await verifiedOrRepaired({
      url: URL_,
      cached: new Response(BAD),
      ref: await ref(),
      refetch: async () => new Response(GOOD),
      replace: async (bytes) => void replaced.push(new Uint8Array(bytes)),
    });
    expect(new Uint8Array(await out!.arrayBuffer())).toEqual(GOOD);
    expect(replaced).toEqual([GOOD]);
  });

  it('says so honestly when the repair fails (offline, or the server file does not match either)', async () => {
    const replace = () => Promise.reject(new Error('must not replace'));
    const offline = await verifiedOrRepaired({
      url: URL_,
      cached: new Response(BAD),
      ref: await ref(),
      refetch: () => Promise.reject(new TypeError('Failed to fetch')),
      replace,
    });
    expect(offline!.status).toBe(503);
    expect(offline!.headers.get(OFFLINE_COPY_HEADER)).toBe('offline');
    expect(() => checkedOfflineCopy(offline!)).toThrow(OfflineCopyError);
    expect(() => checkedOfflineCopy(offline!)).toThrow(
      /offline copy of model file "bmode\/group1-shard1of1.bin" on this device is damaged/,
    );
    const mismatch = await verifiedOrRepaired({
      url: URL_,
      cached: new Response(BAD),
      ref: await ref(),
      refetch: async () => new Response(BAD),
      replace,
    });
    expect(() => checkedOfflineCopy(mismatch!)).toThrow(/server's file did not match/);
    // An ordinary server error is not mistaken for a damaged copy.
    expect(checkedOfflineCopy(new Response(null, { status: 503 })).status).toBe(503);
  });

  it('finds the manifest entry of a file in the folders above it, and none for the manifest itself', async () => {
    const manifest = JSON.stringify({ placeholder: true });
    const lookup = async (u: string) =>
      u === 'http://127.0.0.1:4173/models/p/manifest.json' ? new Response(manifest) : undefined;
    // Not a valid manifest: nothing to check against.
    expect(await findPackFile(URL_, lookup)).toBeNull();
    expect(await findPackFile('http://127.0.0.1:4173/models/p/manifest.json', lookup)).toBeNull();
    expect(await findPackFile('http://127.0.0.1:4173/index.html', () => Promise.reject(new Error('no lookup')))).toBeNull();
  });
});

const FIXTURE = join(import.meta.dirname, '../../.generated/models/fixture-tiny');

describe.skipIf(!existsSync(join(FIXTURE, 'manifest.json')))('manifest lookup with a real pack', () => {
  it('finds the entry of a nested file through the folders above it', async () => {
    const base = 'http://127.0.0.1:4173/sub/__fixtures__/models/fixture-tiny/';
    const lookup = async (u: string) =>
      u === `${base}manifest.json` ? new Response(readFileSync(join(FIXTURE, 'manifest.json'))) : undefined;
    const manifest = JSON.parse(readFileSync(join(FIXTURE, 'manifest.json'), 'utf8')) as { files: { path: string }[] };
    const shard = manifest.files.find((f) => f.path.endsWith('.bin'))!.path;
    const found = await findPackFile(`${base}${shard}?__WB_REVISION__=abc`, lookup);
    expect(found?.manifestUrl).toBe(`${base}manifest.json`);
    expect(found?.file.path).toBe(shard);
    expect(await findPackFile(`${base}not-listed.bin`, lookup)).toBeNull();
  });
});
