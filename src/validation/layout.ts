/**
 * What a labelled folder holds, from its file list alone (paths and sizes, as a directory picker or
 * a zip gives them; no bytes are read here). Two layouts are understood: the seed study's
 * `<modality folder>/<class folder>/<image>` (modality folders named as the registry's data set
 * folders such as 2d or elastic, or by the app's own ids) and a CSV that lists the images
 * (layout-csv.ts). Class folders and CSV class values are only listed: which class each one means is
 * the user's answer (class-map.ts), never a guess here. Every problem is a code plus data, so the UI
 * can say it in the user's language.
 */

import { isModalityId, MODALITY_IDS, modalityForFolder, type ModalityId } from '../domain';

/** One file as the picker gives it: the path relative to the picked folder, `/` or `\` separated. */
export interface FileEntry {
  path: string;
  size: number;
}

/** Why a file is not taken as an image of the set. */
export type SkipReason =
  /** Extension of a document, archive, spreadsheet…: not an image the app decodes. */
  | 'not-an-image'
  /** Zero bytes. */
  | 'empty-file'
  /** Operating-system clutter: `.DS_Store`, `Thumbs.db`, `__MACOSX/`, hidden files. */
  | 'system-file'
  /** An image directly in a modality folder, so no class folder names its class. */
  | 'no-class-folder'
  /** An image outside every modality folder while others are inside one. */
  | 'outside-modality-folders'
  /** A path with `..` in it (a hostile zip), never followed. */
  | 'unsafe-path'
  /** Listed by no row of the CSV. */
  | 'not-in-csv';

export interface SkippedFile {
  path: string;
  reason: SkipReason;
}

export interface DiscoveredImage {
  /** Normalised path (`/`-separated, no leading `./`), the key every later step uses. */
  path: string;
  size: number;
  /** null in a single-modality folder until the user says which modality it is. */
  modality: ModalityId | null;
  /** The class folder's name or the CSV's class value, as written: the user maps it. */
  classLabel: string;
  /** From the CSV's patient column; null when the folder layout (or no such column) gives none. */
  patientId: string | null;
}

export type LayoutProblem =
  | { code: 'no-files' }
  | { code: 'no-images'; skipped: number }
  | { code: 'single-modality' }
  | { code: 'one-modality'; modality: ModalityId }
  | { code: 'one-class'; classLabel: string }
  | { code: 'skipped-files'; count: number }
  | { code: 'nested-folders'; folders: string[] }
  | { code: 'several-roots'; roots: string[] }
  | { code: 'unknown-folder'; folder: string; files: number }
  | { code: 'csv-syntax'; line: number; problem: 'unclosed-quote' | 'text-after-quote' }
  | { code: 'csv-empty' }
  | { code: 'csv-missing-column'; column: 'path' | 'modality' | 'class' }
  | { code: 'csv-positional-columns' }
  | { code: 'csv-missing-value'; line: number; column: 'path' | 'modality' | 'class' }
  | { code: 'csv-unknown-modality'; line: number; value: string }
  | { code: 'csv-file-missing'; line: number; path: string }
  | { code: 'csv-repeated-row'; line: number; path: string }
  /** Rows whose path was written on another machine, matched by the longest tail that names a picked file. */
  | { code: 'csv-paths-by-suffix'; rows: number };

/** Problems after which no validation can run; the rest are told and the run may go on. */
export function isBlocking(p: LayoutProblem): boolean {
  return ['no-files', 'no-images', 'several-roots', 'csv-syntax', 'csv-empty', 'csv-missing-column'].includes(p.code);
}

export interface ModalityClassCount {
  modality: ModalityId | null;
  classLabel: string;
  count: number;
}

export interface Discovery {
  layout: 'modality-folders' | 'single-modality' | 'csv';
  /** Folders above the modality folders (`export/study` in `export/study/2d/0/a.jpg`), '' if none. */
  root: string;
  images: DiscoveredImage[];
  /** Distinct class labels in natural order (`2` before `10`): what the mapping step asks about. */
  classLabels: string[];
  /** Images per modality × class label, in registry order then label order. */
  counts: ModalityClassCount[];
  skipped: SkippedFile[];
  problems: LayoutProblem[];
}

const IMAGE_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'jpe', 'bmp', 'webp', 'dcm', 'dicom']);
const SYSTEM_NAMES = new Set(['thumbs.db', 'desktop.ini', 'ehthumbs.db']);

/** `a\b/./c` → `['a','b','c']`; null when a `..` segment would leave the folder. */
export function pathSegments(path: string): string[] | null {
  const parts = path.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
  return parts.includes('..') ? null : parts;
}

export function normalisePath(path: string): string | null {
  return pathSegments(path)?.join('/') ?? null;
}

/**
 * Why the file is not an image candidate, or null when it is. Files without an extension are kept:
 * DICOM exports often name files `IM000001`; the decode step lists them if they are not images.
 */
export function fileSkipReason(entry: FileEntry): SkipReason | null {
  const parts = pathSegments(entry.path);
  if (parts === null || parts.length === 0) return 'unsafe-path';
  const name = parts[parts.length - 1]!;
  if (parts.some((p) => p.startsWith('.') || p === '__MACOSX') || SYSTEM_NAMES.has(name.toLowerCase())) return 'system-file';
  const dot = name.lastIndexOf('.');
  if (dot > 0 && !IMAGE_EXTENSIONS.has(name.slice(dot + 1).toLowerCase())) return 'not-an-image';
  if (entry.size === 0) return 'empty-file';
  return null;
}

/** The modality a folder name stands for: a registry data set folder or an app id. */
export function folderModality(name: string): ModalityId | null {
  return modalityForFolder(name) ?? (isModalityId(name.toLowerCase()) ? (name.toLowerCase() as ModalityId) : null);
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
export const naturalCompare = (a: string, b: string): number => collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);

/** Which reader fits: CSV files and no modality folders → the CSV; otherwise the folders. */
export function detectLayout(entries: readonly FileEntry[]): { kind: 'csv' | 'folders'; csvFiles: string[] } {
  const csvFiles: string[] = [];
  let modalityFolder = false;
  for (const e of entries) {
    const parts = pathSegments(e.path);
    if (parts === null || parts.length === 0) continue;
    const name = parts[parts.length - 1]!;
    if (/\.csv$/i.test(name) && !name.startsWith('.')) csvFiles.push(parts.join('/'));
    if (!modalityFolder && parts.slice(0, -1).some((p) => folderModality(p) !== null)) modalityFolder = true;
  }
  // Shallowest first: a CSV beside the images is more likely the list than one deep inside.
  csvFiles.sort((a, b) => a.split('/').length - b.split('/').length || naturalCompare(a, b));
  return { kind: csvFiles.length > 0 && !modalityFolder ? 'csv' : 'folders', csvFiles };
}

/** Counts, labels and the one-class / no-images / skipped problems every layout shares. */
export function summarise(
  layout: Discovery['layout'],
  root: string,
  images: DiscoveredImage[],
  skipped: SkippedFile[],
  problems: LayoutProblem[],
): Discovery {
  const labels = [...new Set(images.map((i) => i.classLabel))].sort(naturalCompare);
  const countMap = new Map<string, ModalityClassCount>();
  for (const img of images) {
    const key = `${img.modality ?? ''}\u0000${img.classLabel}`;
    const c = countMap.get(key);
    if (c) c.count++;
    else countMap.set(key, { modality: img.modality, classLabel: img.classLabel, count: 1 });
  }
  const order = (m: ModalityId | null) => (m === null ? -1 : MODALITY_IDS.indexOf(m));
  const counts = [...countMap.values()].sort(
    (a, b) => order(a.modality) - order(b.modality) || naturalCompare(a.classLabel, b.classLabel),
  );
  const out: LayoutProblem[] = [];
  // A blocking problem already given (a broken CSV) is the reason there are no images; not repeated.
  if (images.length === 0 && !problems.some(isBlocking)) {
    out.push(skipped.length === 0 ? { code: 'no-files' } : { code: 'no-images', skipped: skipped.length });
  } else if (labels.length === 1) out.push({ code: 'one-class', classLabel: labels[0]! });
  const modalities = new Set(images.map((i) => i.modality));
  const only = [...modalities][0];
  // Fused results then equal that modality's; worth saying when the user expected several.
  if (layout !== 'single-modality' && modalities.size === 1 && only !== undefined && only !== null) {
    out.push({ code: 'one-modality', modality: only });
  }
  if (skipped.length > 0 && images.length > 0) out.push({ code: 'skipped-files', count: skipped.length });
  return { layout, root, images, classLabels: labels, counts, skipped, problems: [...out, ...problems] };
}

/**
 * Reads the folder layout. The modality folder is the first path segment that names a modality;
 * the segment after it is the class folder; folders deeper than that are told (`nested-folders`)
 * and their images keep the class folder's label. Without any modality folder the set is taken as a
 * single modality (`single-modality`): the class folder is each image's parent folder, and the user
 * says which modality it is.
 */
export function discoverFolders(entries: readonly FileEntry[]): Discovery {
  const skipped: SkippedFile[] = [];
  const candidates: { parts: string[]; size: number }[] = [];
  for (const e of entries) {
    const reason = fileSkipReason(e);
    const parts = pathSegments(e.path);
    if (reason !== null || parts === null)
      skipped.push({ path: normalisePath(e.path) ?? e.path, reason: reason ?? 'unsafe-path' });
    else candidates.push({ parts, size: e.size });
  }
  if (entries.length === 0) return summarise('modality-folders', '', [], [], []);
  // `<modality>/<class>/<image>` at the end of the path wins; otherwise the first modality folder
  // (the class folder then holds nested folders). So a wrapper folder that happens to be called
  // like a modality (a folder CDFI above 2d/0/a.jpg) is not taken for the modality.
  const modalityIndex = (parts: string[]) =>
    parts.length >= 3 && folderModality(parts[parts.length - 3]!) !== null
      ? parts.length - 3
      : parts.slice(0, -1).findIndex((p) => folderModality(p) !== null);
  const anyModality = candidates.some((c) => modalityIndex(c.parts) >= 0);
  return anyModality ? readModalityFolders(candidates, skipped, modalityIndex) : readSingleModality(candidates, skipped);
}

function readModalityFolders(
  candidates: { parts: string[]; size: number }[],
  skipped: SkippedFile[],
  modalityIndex: (parts: string[]) => number,
): Discovery {
  const images: DiscoveredImage[] = [];
  const roots = new Set<string>();
  const nested = new Set<string>();
  const unknown = new Map<string, number>();
  const problems: LayoutProblem[] = [];
  for (const { parts, size } of candidates) {
    const path = parts.join('/');
    const m = modalityIndex(parts);
    if (m < 0) {
      // A sibling of the modality folders that names none (`notes/`, `2d_old/`): told by name.
      const folder = parts.length > 1 ? parts.slice(0, -1).join('/') : '';
      if (folder !== '') unknown.set(folder, (unknown.get(folder) ?? 0) + 1);
      skipped.push({ path, reason: 'outside-modality-folders' });
      continue;
    }
    if (parts.length - m < 3) {
      skipped.push({ path, reason: 'no-class-folder' });
      continue;
    }
    roots.add(parts.slice(0, m).join('/'));
    if (parts.length - m > 3) nested.add(parts.slice(0, -1).join('/'));
    images.push({ path, size, modality: folderModality(parts[m]!)!, classLabel: parts[m + 1]!, patientId: null });
  }
  const rootList = [...roots].sort(naturalCompare);
  if (rootList.length > 1) problems.push({ code: 'several-roots', roots: rootList });
  if (nested.size > 0) problems.push({ code: 'nested-folders', folders: [...nested].sort(naturalCompare) });
  for (const [folder, files] of [...unknown].sort((a, b) => naturalCompare(a[0], b[0]))) {
    problems.push({ code: 'unknown-folder', folder, files });
  }
  return summarise('modality-folders', rootList[0] ?? '', images, skipped, problems);
}

function readSingleModality(candidates: { parts: string[]; size: number }[], skipped: SkippedFile[]): Discovery {
  const images: DiscoveredImage[] = [];
  // The class folders sit at one depth: the deepest image depth common to most files would be a
  // guess, so the parent folder of each image is its class label and the root is what they share.
  const shared = candidates.length > 0 ? commonPrefix(candidates.map((c) => c.parts.slice(0, -2))) : [];
  for (const { parts, size } of candidates) {
    const path = parts.join('/');
    if (parts.length < 2) {
      skipped.push({ path, reason: 'no-class-folder' });
      continue;
    }
    images.push({ path, size, modality: null, classLabel: parts[parts.length - 2]!, patientId: null });
  }
  const problems: LayoutProblem[] = images.length > 0 ? [{ code: 'single-modality' }] : [];
  return summarise('single-modality', shared.join('/'), images, skipped, problems);
}

function commonPrefix(lists: string[][]): string[] {
  const first = lists[0] ?? [];
  let n = first.length;
  for (const l of lists) {
    let i = 0;
    while (i < n && i < l.length && l[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n);
}

/** The single-modality set with the modality the user chose; other layouts come back unchanged. */
export function withModality(d: Discovery, modality: ModalityId): Discovery {
  if (d.layout !== 'single-modality') return d;
  // summarise() adds the shared problems again; the question the user just answered is gone.
  const redone = new Set(['single-modality', 'one-class', 'skipped-files', 'no-images', 'no-files']);
  const kept = d.problems.filter((p) => !redone.has(p.code));
  return summarise(
    'single-modality',
    d.root,
    d.images.map((i) => ({ ...i, modality })),
    d.skipped,
    kept,
  );
}
