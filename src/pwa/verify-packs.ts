/**
 * Checks that every model pack listed in `models/index.json` is completely present and intact in
 * a cache, file by file (size and SHA-256 from the pack's manifest). The service worker runs this
 * at install time: a new version of the app (and of its model pack) only replaces the old one when
 * every file has been downloaded and verified.
 */

import { parsePackIndex, verifyFile, parseManifest } from '../model-pack';

export type CacheLookup = (url: string) => Promise<Response | undefined>;

export class PackCacheError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PackCacheError';
  }
}

/** Returns the number of files verified. `indexUrl` absent from the cache means "no bundled pack". */
export async function verifyCachedPacks(indexUrl: string, lookup: CacheLookup): Promise<number> {
  const indexRes = await lookup(indexUrl);
  if (!indexRes) return 0;
  const index = parsePackIndex(await indexRes.json());
  let verified = 0;
  for (const entry of index.packs) {
    const manifestUrl = new URL(entry.path, indexUrl).toString();
    const mres = await lookup(manifestUrl);
    if (!mres) throw new PackCacheError(`Model pack "${entry.id}": manifest.json is missing from the download.`);
    const manifest = parseManifest(await mres.json());
    for (const file of manifest.files) {
      const res = await lookup(new URL(file.path, manifestUrl).toString());
      if (!res) throw new PackCacheError(`Model pack "${entry.id}": file "${file.path}" is missing from the download.`);
      await verifyFile(file, await res.arrayBuffer());
      verified++;
    }
  }
  return verified;
}

export interface PackFileData {
  url: string;
  bytes: ArrayBuffer;
}

/**
 * Downloads one pack completely (manifest and every file it lists) and verifies each file's size
 * and SHA-256. Returns all files, or throws without returning anything: a pack is cached whole or
 * not at all.
 */
export async function downloadVerifiedPack(
  manifestUrl: string,
  fetchFn: (url: string) => Promise<Response>,
): Promise<PackFileData[]> {
  const get = async (url: string, what: string): Promise<ArrayBuffer> => {
    const res = await fetchFn(url);
    if (!res.ok) throw new PackCacheError(`${what} could not be downloaded (HTTP ${res.status}).`);
    return res.arrayBuffer();
  };
  const manifestBytes = await get(manifestUrl, 'manifest.json');
  const manifest = parseManifest(JSON.parse(new TextDecoder().decode(manifestBytes)));
  const out: PackFileData[] = [{ url: manifestUrl, bytes: manifestBytes }];
  for (const file of manifest.files) {
    const url = new URL(file.path, manifestUrl).toString();
    const bytes = await get(url, `"${file.path}"`);
    await verifyFile(file, bytes);
    out.push({ url, bytes });
  }
  return out;
}
