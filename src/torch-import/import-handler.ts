/**
 * The import worker's work, independent of the worker scope so Node tests drive it directly:
 * checkpoint → pack → device storage, pack zip / folder → checks → device storage, pack → zip.
 * Every failure becomes an `error` response with a code the UI translates and a detail naming
 * what was wrong.
 */

import { isModalityId } from '../domain';
import {
  IntegrityError,
  LocalPackError,
  ManifestError,
  PackLoadError,
  fetchLocalPack,
  loadManifest,
  loadPackFile,
  resolvePackUrl,
  storeLocalPack,
  type FetchLike,
} from '../model-pack';
import { CheckpointError } from './archive';
import { convertCheckpoint, inspectCheckpoint } from './convert';
import { MappingError } from './graph';
import type { CheckpointOptions, ImportErrorCode, ImportRequest, ImportResponse } from './import-protocol';
import { buildPack } from './pack-build';
import { PackArchiveError, checkPackFiles, packZip, readPackZip, renamedPack, type PackContents } from './pack-zip';
import { PickleError } from './pickle';
import { ZipError } from './zip';

export type Post = (r: ImportResponse, transfer?: Transferable[]) => void;

const PACK_ID = /^[a-z0-9][a-z0-9-]{0,99}$/;
const ARCHITECTURE_CODES = new Set(['missing-keys', 'unexpected-keys', 'head-size', 'architecture']);

export function importErrorCode(e: unknown): ImportErrorCode {
  if (e instanceof PickleError) return e.kind === 'refused' ? 'refused' : 'malformed';
  if (e instanceof CheckpointError) return 'not-checkpoint';
  if (e instanceof MappingError) return ARCHITECTURE_CODES.has(e.problem) ? (e.problem as ImportErrorCode) : 'malformed';
  if (e instanceof PackArchiveError) return e.problem === 'unsafe-path' || e.problem === 'extra-files' ? e.problem : 'manifest';
  if (e instanceof ZipError) return 'unsafe-path';
  if (e instanceof ManifestError || e instanceof PackLoadError) return 'manifest';
  if (e instanceof IntegrityError) return 'integrity';
  if (e instanceof LocalPackError) return e.problem === 'quota' ? 'quota' : 'storage';
  if (e instanceof RangeError) return 'quota'; // an ArrayBuffer the device could not allocate
  return 'malformed';
}

function checkOptions(o: CheckpointOptions): void {
  const bad = (what: string): never => {
    throw new MappingError(what, 'shape');
  };
  if (!isModalityId(o.modality)) bad(`unknown modality "${String(o.modality)}"`);
  if (!PACK_ID.test(o.packId)) bad(`the pack id "${o.packId}" must be lower-case letters, digits and dashes`);
  if (!Number.isInteger(o.size) || o.size < 32 || o.size > 1024) bad(`the input size ${o.size} is outside 32…1024`);
  if (![...o.mean, ...o.std].every(Number.isFinite) || o.std.some((s) => s <= 0)) bad('mean and std must be numbers, std > 0');
}

async function storeContents(
  id: number,
  c: PackContents,
  origin: 'checkpoint' | 'zip',
  post: Post,
  started: number,
  notes: string[],
  taken: string[] = [],
) {
  if (taken.includes(c.manifest.id)) {
    post({ type: 'exists', id, packId: c.manifest.id });
    return;
  }
  try {
    const entry = await storeLocalPack({
      id: c.manifest.id,
      title: c.manifest.title,
      version: c.manifest.version,
      origin,
      manifest: c.manifestBytes,
      files: c.files,
    });
    post({ type: 'imported', id, entry, ms: performance.now() - started, notes });
  } catch (e) {
    if (e instanceof LocalPackError && e.problem === 'exists') post({ type: 'exists', id, packId: c.manifest.id });
    else throw e;
  }
}

const bytesOf = async (b: Blob) => new Uint8Array(await b.arrayBuffer());

export function createImportHandler(post: Post, fetchFn: FetchLike, origin: string): (req: ImportRequest) => Promise<void> {
  return async (req) => {
    const started = performance.now();
    try {
      switch (req.type) {
        case 'inspect': {
          const info = inspectCheckpoint(await bytesOf(req.file));
          post({ type: 'inspected', id: req.id, ...info });
          return;
        }
        case 'import-checkpoint': {
          const o = req.options;
          checkOptions(o);
          const c = convertCheckpoint(await bytesOf(req.file), { numClasses: o.classes.length, size: o.size });
          const pack = await buildPack(
            {
              id: o.packId,
              title: o.title,
              version: '1.0.0',
              classes: o.classes,
              provenance: { source: o.sourceName, read: c.notes },
            },
            [{ modality: o.modality, graph: c.graph, input: { ...inputOf(o) } }],
          );
          const manifestBytes = new TextEncoder().encode(JSON.stringify(pack.manifest, null, 1) + '\n');
          const notes = [c.graph.architecture, ...c.notes];
          await storeContents(req.id, { ...pack, manifestBytes }, 'checkpoint', post, started, notes, req.taken);
          return;
        }
        case 'import-pack': {
          let contents: PackContents;
          if (req.zip) contents = await readPackZip(await bytesOf(req.zip));
          else {
            const entries = new Map<string, Uint8Array>();
            for (const f of req.files ?? []) entries.set(f.path, await bytesOf(f.file));
            contents = await checkPackFiles(entries);
          }
          if (req.rename !== undefined) {
            if (!PACK_ID.test(req.rename))
              throw new ManifestError('id', `"${req.rename}" must be lower-case letters, digits and dashes`);
            contents = renamedPack(contents, req.rename);
          }
          await storeContents(req.id, contents, 'zip', post, started, [], req.taken);
          return;
        }
        case 'export': {
          const url = resolvePackUrl(req.manifestUrl, origin);
          const manifest = await loadManifest(url, fetchFn);
          const raw = await fetchFn(url);
          const files = [];
          for (const f of manifest.files)
            files.push({ path: f.path, bytes: new Uint8Array(await loadPackFile(url, manifest, f.path, fetchFn)) });
          const zip = packZip(manifest.id, new Uint8Array(await raw.arrayBuffer()), files);
          const bytes = zip.buffer.slice(zip.byteOffset, zip.byteOffset + zip.byteLength) as ArrayBuffer;
          post({ type: 'exported', id: req.id, fileName: `${manifest.id}-${manifest.version}.zip`, bytes }, [bytes]);
          return;
        }
      }
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      post({ type: 'error', id: req.id, code: req.type === 'export' ? 'export-failed' : importErrorCode(e), message });
    }
  };
}

function inputOf(o: CheckpointOptions) {
  return {
    height: o.size,
    width: o.size,
    channelOrder: 'RGB' as const,
    resize: 'bilinear-antialias' as const,
    scale: 1 / 255,
    mean: o.mean,
    std: o.std,
  };
}

/** Stored packs first, then the network (within the pack address rule). */
export function packFetch(origin: string): FetchLike {
  return async (url) => (await fetchLocalPack(url)) ?? fetch(resolvePackUrl(url, origin));
}
