/**
 * Fetches a model pack, verifies every file against the manifest, and hands back plain data
 * (JSON and bytes) for the runtime to build models from. No tfjs here: this room is shared by the
 * app, the Node tests and the benchmarks.
 */

import { parseInputCheck, type InputCheckParams } from './input-check-file';
import { IntegrityError, verifyFile } from './integrity';
import { parseManifest, packModalities, type Manifest, type Modality, type PackFile } from './manifest';

export type FetchLike = (url: string) => Promise<{ ok: boolean; status: number; arrayBuffer(): Promise<ArrayBuffer> }>;

/** One TF.js weights-manifest entry, as written in model.json. */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | 'string' | 'complex64';
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number };
}

export interface ModelFiles {
  /** The Keras topology object from model.json (`modelTopology`). */
  topology: Record<string, unknown>;
  weightSpecs: WeightSpec[];
  /** All weight shards, concatenated in manifest order. */
  weightData: ArrayBuffer;
}

export interface LoadedPack {
  manifest: Manifest;
  baseUrl: string;
  models: Partial<Record<Modality, ModelFiles>>;
  /** The node finder's files, when the manifest has `nodeFinder` (and loading it was not turned off). */
  nodeFinder?: ModelFiles;
  /** Verified bytes of every other file (golden inputs and the like), by pack-relative path. */
  extras: Map<string, ArrayBuffer>;
  /** Each modality's input checks, where the manifest names them (older packs have none). */
  inputChecks?: Partial<Record<Modality, InputCheckParams>>;
}

export class PackLoadError extends Error {
  constructor(
    message: string,
    readonly path?: string,
  ) {
    super(message);
    this.name = 'PackLoadError';
  }
}

function resolve(base: string, path: string): string {
  return new URL(path, base).toString();
}

async function fetchBytes(fetchFn: FetchLike, url: string, path: string): Promise<ArrayBuffer> {
  let res;
  try {
    res = await fetchFn(url);
  } catch (e) {
    // A refused address or a damaged offline copy already says what happened (pack-url.ts,
    // pwa/offline-copy.ts); it is not a network failure.
    if (e instanceof Error && (e.name === 'PackUrlError' || e.name === 'OfflineCopyError'))
      throw new PackLoadError(e.message, path);
    throw new PackLoadError(
      `Could not fetch model file "${path}" (${(e as Error).message}). If you are offline, this file is not in the offline cache.`,
      path,
    );
  }
  if (!res.ok) throw new PackLoadError(`Model file "${path}" could not be loaded (HTTP ${res.status}).`, path);
  return res.arrayBuffer();
}

function parseJsonBytes(bytes: ArrayBuffer, path: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new PackLoadError(`"${path}" is not valid JSON.`, path);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads the LayersModel JSON and returns topology, weight specs and shard paths (pack-relative). */
export function parseModelJson(
  json: unknown,
  modelPath: string,
): { topology: Record<string, unknown>; weightSpecs: WeightSpec[]; shards: string[] } {
  if (!isRecord(json) || !isRecord(json.modelTopology) || !Array.isArray(json.weightsManifest)) {
    throw new PackLoadError(`"${modelPath}" is not a TF.js LayersModel (needs modelTopology and weightsManifest).`, modelPath);
  }
  const dir = modelPath.includes('/') ? modelPath.slice(0, modelPath.lastIndexOf('/') + 1) : '';
  const weightSpecs: WeightSpec[] = [];
  const shards: string[] = [];
  for (const group of json.weightsManifest) {
    if (!isRecord(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new PackLoadError(`"${modelPath}" has a malformed weightsManifest group.`, modelPath);
    }
    for (const p of group.paths) {
      if (typeof p !== 'string' || p.includes('..') || p.startsWith('/') || p.includes(':')) {
        throw new PackLoadError(`"${modelPath}" names an invalid weight shard path.`, modelPath);
      }
      shards.push(dir + p);
    }
    for (const w of group.weights) {
      if (!isRecord(w) || typeof w.name !== 'string' || !Array.isArray(w.shape) || typeof w.dtype !== 'string') {
        throw new PackLoadError(`"${modelPath}" has a malformed weight entry.`, modelPath);
      }
      weightSpecs.push(w as unknown as WeightSpec);
    }
  }
  return { topology: json.modelTopology, weightSpecs, shards };
}

function concat(parts: ArrayBuffer[]): ArrayBuffer {
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), offset);
    offset += p.byteLength;
  }
  return out.buffer;
}

export async function loadManifest(manifestUrl: string, fetchFn: FetchLike = fetch): Promise<Manifest> {
  const bytes = await fetchBytes(fetchFn, manifestUrl, 'manifest.json');
  return parseManifest(parseJsonBytes(bytes, 'manifest.json'));
}

export interface LoadOptions {
  fetchFn?: FetchLike;
  /** Load only these modalities (default: all the pack has). */
  modalities?: Modality[];
  /**
   * Called after each file is downloaded and its SHA-256 verified: bytes verified so far, of the
   * total that loading these modalities' models takes (`modelBytes`).
   */
  onProgress?: (loadedBytes: number, totalBytes: number) => void;
  /** Load the node finder when the pack has one (default true). */
  nodeFinder?: boolean;
}

/**
 * Bytes that loading `modalities` downloads: each model's JSON and the files beside it (its weight
 * shards live in its folder). Other files of the pack (model card, golden inputs) are not loaded,
 * so a progress bar over this total ends at 100 %.
 */
export function modelBytes(manifest: Manifest, modalities: readonly Modality[]): number {
  const paths = new Set<string>();
  for (const m of modalities) {
    const model = manifest.modalities[m]?.model;
    if (!model) continue;
    const dir = model.includes('/') ? model.slice(0, model.lastIndexOf('/') + 1) : null;
    for (const f of manifest.files) if (f.path === model || (dir !== null && f.path.startsWith(dir))) paths.add(f.path);
  }
  return manifest.files.reduce((n, f) => n + (paths.has(f.path) ? f.bytes : 0), 0);
}

/**
 * Loads and verifies a pack. Every file used is checked for size and SHA-256 before anything is
 * built from it; a mismatch throws `IntegrityError` and nothing of the pack is returned.
 */
export async function loadPack(manifestUrl: string, opts: LoadOptions = {}): Promise<LoadedPack> {
  const fetchFn = opts.fetchFn ?? ((u: string) => fetch(u));
  const manifest = await loadManifest(manifestUrl, fetchFn);
  const byPath = new Map<string, PackFile>(manifest.files.map((f) => [f.path, f]));
  const wanted = opts.modalities ?? packModalities(manifest);
  // At least what is actually fetched: a pack whose shards lie outside their model's folder still ends at 100 %.
  let totalBytes = modelBytes(manifest, wanted);
  let loadedBytes = 0;

  const getVerified = async (path: string): Promise<ArrayBuffer> => {
    const entry = byPath.get(path);
    if (!entry) throw new IntegrityError(path, 'missing', 'is used by the pack but not listed in the manifest');
    const bytes = await fetchBytes(fetchFn, resolve(manifestUrl, path), path);
    await verifyFile(entry, bytes);
    loadedBytes += bytes.byteLength;
    totalBytes = Math.max(totalBytes, loadedBytes);
    opts.onProgress?.(loadedBytes, totalBytes);
    return bytes;
  };

  const models: Partial<Record<Modality, ModelFiles>> = {};
  const extras = new Map<string, ArrayBuffer>();
  const inputChecks: Partial<Record<Modality, InputCheckParams>> = {};
  for (const m of wanted) {
    const spec = manifest.modalities[m];
    if (!spec) throw new PackLoadError(`The model pack has no ${m} model.`);
    const parsed = parseModelJson(parseJsonBytes(await getVerified(spec.model), spec.model), spec.model);
    const shards = await Promise.all(parsed.shards.map(getVerified));
    models[m] = { topology: parsed.topology, weightSpecs: parsed.weightSpecs, weightData: concat(shards) };
    if (spec.inputCheck) {
      const path = spec.inputCheck;
      try {
        inputChecks[m] = parseInputCheck(parseJsonBytes(await getVerified(path), path), path);
      } catch (e) {
        if (e instanceof IntegrityError || e instanceof PackLoadError) throw e;
        throw new PackLoadError((e as Error).message, path);
      }
    }
  }
  // --- node finder (optional) ---
  const finder = manifest.nodeFinder;
  if (finder && opts.nodeFinder !== false) {
    const parsed = parseModelJson(parseJsonBytes(await getVerified(finder.model), finder.model), finder.model);
    const shards = await Promise.all(parsed.shards.map(getVerified));
    const nodeFinder = { topology: parsed.topology, weightSpecs: parsed.weightSpecs, weightData: concat(shards) };
    return { manifest, baseUrl: manifestUrl, models, nodeFinder, extras, inputChecks };
  }
  return { manifest, baseUrl: manifestUrl, models, extras, inputChecks };
}

/** Fetches and verifies one extra file of a pack (e.g. a golden input image). */
export async function loadPackFile(
  manifestUrl: string,
  manifest: Manifest,
  path: string,
  fetchFn: FetchLike = (u) => fetch(u),
): Promise<ArrayBuffer> {
  const entry = manifest.files.find((f) => f.path === path);
  if (!entry) throw new IntegrityError(path, 'missing', 'is not listed in the manifest');
  const bytes = await fetchBytes(fetchFn, resolve(manifestUrl, path), path);
  await verifyFile(entry, bytes);
  return bytes;
}
