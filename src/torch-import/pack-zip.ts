/**
 * Model packs as ZIP files or folders: import with every check a bundled pack gets (manifest
 * schema, every listed file present with its size and SHA-256, model.json well formed) plus the
 * archive's own (no path traversal, no file the manifest does not list), and export of a pack's
 * exact files as `<id>/manifest.json`, `<id>/…` — a folder a hospital can put into public/models/.
 */

import { zipSync } from 'fflate';
import { IntegrityError, parseManifest, parseModelJson, packModalities, verifyFile, type Manifest } from '../model-pack';
import { ZipError, ZipReader, unsafeZipName } from './zip';

export class PackArchiveError extends Error {
  constructor(
    message: string,
    readonly problem: 'unsafe-path' | 'extra-files' | 'no-manifest' | 'not-json',
  ) {
    super(message);
    this.name = 'PackArchiveError';
  }
}

export interface PackContents {
  manifest: Manifest;
  /** manifest.json exactly as it came (fields this version does not know are kept). */
  manifestBytes: Uint8Array;
  /** Every file but manifest.json, pack-relative paths. */
  files: { path: string; bytes: Uint8Array }[];
}

const MAX_FILES = 10_000;

/** Checks a pack given as pack-relative (or one-folder-deep) paths → bytes. */
export async function checkPackFiles(entries: Map<string, Uint8Array>): Promise<PackContents> {
  if (entries.size > MAX_FILES)
    throw new PackArchiveError(`the pack has ${entries.size} files (at most ${MAX_FILES})`, 'extra-files');
  for (const name of entries.keys()) {
    const why = unsafeZipName(name);
    if (why) throw new PackArchiveError(`the file "${name.slice(0, 200)}" has ${why}; refused`, 'unsafe-path');
  }
  const manifests = [...entries.keys()].filter((n) => n === 'manifest.json' || /^[^/]+\/manifest\.json$/.test(n));
  if (manifests.length !== 1) {
    throw new PackArchiveError(
      manifests.length ? 'there is more than one manifest.json' : 'there is no manifest.json at the top (or in one folder)',
      'no-manifest',
    );
  }
  const prefix = manifests[0]!.slice(0, -'manifest.json'.length);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(entries.get(manifests[0]!)));
  } catch {
    throw new PackArchiveError('"manifest.json" is not valid JSON', 'not-json');
  }
  const manifest = parseManifest(json);
  const listed = new Set(manifest.files.map((f) => f.path));
  const extra = [...entries.keys()].filter(
    (n) => n !== manifests[0] && (!n.startsWith(prefix) || !listed.has(n.slice(prefix.length))),
  );
  if (extra.length) {
    throw new PackArchiveError(
      `files that the manifest does not list: ${extra.slice(0, 8).join(', ')}${extra.length > 8 ? ', …' : ''}; refused`,
      'extra-files',
    );
  }
  const files: PackContents['files'] = [];
  for (const f of manifest.files) {
    const bytes = entries.get(prefix + f.path);
    if (!bytes) throw new IntegrityError(f.path, 'missing', 'is listed in the manifest but missing from the pack');
    await verifyFile(f, bytes);
    files.push({ path: f.path, bytes });
  }
  for (const m of packModalities(manifest)) {
    const model = files.find((f) => f.path === manifest.modalities[m]!.model)!;
    parseModelJson(JSON.parse(new TextDecoder().decode(model.bytes)), model.path);
  }
  return { manifest, manifestBytes: entries.get(manifests[0]!)!, files };
}

/** Reads and checks a pack zip. */
export async function readPackZip(bytes: Uint8Array): Promise<PackContents> {
  let zip: ZipReader;
  try {
    zip = new ZipReader(bytes);
  } catch (e) {
    if (e instanceof ZipError) throw new PackArchiveError(`the ZIP file was refused: ${e.message}`, 'unsafe-path');
    throw e;
  }
  const entries = new Map<string, Uint8Array>();
  for (const name of zip.names()) entries.set(name, zip.read(name));
  return checkPackFiles(entries);
}

/** The pack under a new id (asked of the user on a collision); nothing else in the manifest changes. */
export function renamedPack(c: PackContents, id: string): PackContents {
  const raw = JSON.parse(new TextDecoder().decode(c.manifestBytes)) as Record<string, unknown>;
  const renamed = { ...raw, id };
  return {
    ...c,
    manifest: parseManifest(renamed),
    manifestBytes: new TextEncoder().encode(JSON.stringify(renamed, null, 1) + '\n'),
  };
}

/** A pack's exact files as a zip (stored, not deflated: weights do not compress), inside `<id>/`. */
export function packZip(id: string, manifestBytes: Uint8Array, files: { path: string; bytes: Uint8Array }[]): Uint8Array {
  const tree: Record<string, [Uint8Array, { level: 0 }]> = { [`${id}/manifest.json`]: [manifestBytes, { level: 0 }] };
  for (const f of files) tree[`${id}/${f.path}`] = [f.bytes, { level: 0 }];
  return zipSync(tree);
}
