/**
 * The offline copy of a model pack is checked every time the service worker serves a file from
 * it, against the SHA-256 in the pack's manifest (itself from the same copy). A damaged file (a
 * disk error, an interrupted write, a cache altered by other software) is fetched again from the
 * server, verified and put in place of the damaged one, so the app keeps working whenever the
 * network is there. When it cannot be repaired (offline, or the server's file does not match
 * either), the service worker answers 503 with OFFLINE_COPY_HEADER, and the analysis worker turns
 * that into a message that says what happened (`checkedOfflineCopy`): the server is not blamed for
 * a damaged copy on this device.
 */

import { OFFLINE_COPY_HEADER, parseManifest, verifyFile, type Manifest, type RepairFailure } from '../model-pack';

export type CacheLookup = (url: string) => Promise<Response | undefined>;

export interface PackFileRef {
  manifestUrl: string;
  file: Manifest['files'][number];
}

/**
 * Finds the manifest entry of a pack file by looking for `manifest.json` in each folder above it,
 * up to the `models` folder. Manifests and indexes themselves have no entry (null): a manifest
 * vouches for the other files, not for itself.
 */
export async function findPackFile(url: string, lookup: CacheLookup): Promise<PackFileRef | null> {
  const target = new URL(url);
  target.search = '';
  const segments = target.pathname.split('/');
  const models = segments.lastIndexOf('models');
  if (models < 0) return null;
  for (let end = segments.length - 1; end > models + 1; end--) {
    const dir = `${target.origin}${segments.slice(0, end).join('/')}/`;
    const manifestUrl = `${dir}manifest.json`;
    if (manifestUrl === target.href) return null;
    const res = await lookup(manifestUrl);
    if (!res) continue;
    let manifest: Manifest;
    try {
      manifest = parseManifest(await res.json());
    } catch {
      return null; // not a pack manifest: nothing to check against (the app refuses the pack anyway)
    }
    const rel = target.href.slice(dir.length);
    const file = manifest.files.find((f) => f.path === rel);
    return file ? { manifestUrl, file } : null;
  }
  return null;
}

async function matches(file: PackFileRef['file'], bytes: ArrayBuffer): Promise<boolean> {
  try {
    await verifyFile(file, bytes);
    return true;
  } catch {
    return false;
  }
}

function damagedResponse(path: string, reason: RepairFailure): Response {
  return new Response(null, {
    status: 503,
    statusText: 'Offline copy damaged',
    headers: { [OFFLINE_COPY_HEADER]: reason, [`${OFFLINE_COPY_HEADER}-Path`]: encodeURIComponent(path) },
  });
}

export interface RepairOptions {
  /** The file's URL as the app asked for it. */
  url: string;
  /** The cached response (undefined: not in the copy). */
  cached: Response | undefined;
  ref: PackFileRef | null;
  /** Downloads the file again, bypassing every HTTP cache. */
  refetch: () => Promise<Response>;
  /** Puts verified bytes in place of the damaged copy. */
  replace: (bytes: ArrayBuffer, like: Response) => Promise<void>;
}

/**
 * The response to serve for a cached pack file: the cached one when it matches its manifest (or
 * there is nothing to check it against), else a verified fresh copy that has replaced it, else a
 * 503 with OFFLINE_COPY_HEADER.
 */
export async function verifiedOrRepaired(opts: RepairOptions): Promise<Response | undefined> {
  const { cached, ref } = opts;
  if (!cached || !ref) return cached;
  const bytes = await cached.clone().arrayBuffer();
  if (await matches(ref.file, bytes)) return cached;
  let fresh: Response;
  try {
    fresh = await opts.refetch();
  } catch {
    return damagedResponse(ref.file.path, 'offline');
  }
  const freshBytes = fresh.ok ? await fresh.arrayBuffer() : null;
  if (!freshBytes || !(await matches(ref.file, freshBytes))) return damagedResponse(ref.file.path, 'server-mismatch');
  await opts.replace(freshBytes, fresh);
  return new Response(freshBytes, { status: 200, headers: fresh.headers });
}
