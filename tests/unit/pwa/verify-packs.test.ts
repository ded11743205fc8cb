import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IntegrityError } from '../../../src/model-pack/integrity';
import { downloadVerifiedPack, PackCacheError, verifyCachedPacks } from '../../../src/pwa/verify-packs';

const ROOT = join(import.meta.dirname, '../../.generated');
const BASE = 'https://host.example/sub/app/';

/** A "cache" holding the generated fixture pack under BASE, minus or with altered files. */
function cacheOf(opts: { drop?: string; alter?: string } = {}) {
  return async (url: string): Promise<Response | undefined> => {
    const rel = url.slice(BASE.length);
    const file = join(ROOT, rel);
    if (!url.startsWith(BASE) || rel.endsWith(opts.drop ?? '\0') || !existsSync(file)) return undefined;
    const bytes = new Uint8Array(readFileSync(file));
    if (opts.alter && rel.endsWith(opts.alter)) bytes[0] = bytes[0]! ^ 1;
    return new Response(bytes);
  };
}

describe.skipIf(!existsSync(join(ROOT, 'models/index.json')))('model pack update verification (service worker install)', () => {
  const index = `${BASE}models/index.json`;
  const manifest = JSON.parse(readFileSync(join(ROOT, 'models/fixture-tiny/manifest.json'), 'utf8')) as {
    files: { path: string }[];
  };
  const shard = manifest.files.find((f) => f.path.endsWith('.bin'))!.path;

  it('accepts a complete pack, checking every file', async () => {
    expect(await verifyCachedPacks(index, cacheOf())).toBe(manifest.files.length);
  });

  it('refuses a pack with a file missing, naming it', async () => {
    const err = await verifyCachedPacks(index, cacheOf({ drop: shard })).catch((e: Error) => e);
    expect(err).toBeInstanceOf(PackCacheError);
    expect((err as Error).message).toContain(shard);
  });

  it('refuses a pack with an altered file', async () => {
    const err = await verifyCachedPacks(index, cacheOf({ alter: shard })).catch((e: Error) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as Error).message).toContain(shard);
  });

  it('an offline copy of a pack is downloaded whole and verified, or not at all', async () => {
    const manifestUrl = `${BASE}models/fixture-tiny/manifest.json`;
    const fetchFrom = (opts: { drop?: string; alter?: string } = {}) => {
      const lookup = cacheOf(opts);
      return async (url: string) => (await lookup(url)) ?? new Response('', { status: 404 });
    };
    const files = await downloadVerifiedPack(manifestUrl, fetchFrom());
    expect(files.map((f) => f.url)).toEqual([manifestUrl, ...manifest.files.map((f) => `${BASE}models/fixture-tiny/${f.path}`)]);
    await expect(downloadVerifiedPack(manifestUrl, fetchFrom({ alter: shard }))).rejects.toThrow(IntegrityError);
    await expect(downloadVerifiedPack(manifestUrl, fetchFrom({ drop: shard }))).rejects.toThrow(/HTTP 404/);
  });

  it('treats an app without a bundled pack as nothing to verify', async () => {
    expect(await verifyCachedPacks(`${BASE}nothing/index.json`, cacheOf())).toBe(0);
  });
});
