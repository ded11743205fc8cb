/**
 * The first half of a validation: the picked folder (files, a zip, or a directory handle), what it
 * holds (layout, counts, skipped files, content duplicates), and the user's answers: which class
 * each folder means, which modality a single-modality folder is, and how patients are told apart.
 * Nothing is guessed: a class folder without an answer keeps Start disabled.
 */

/* eslint-disable svelte/prefer-svelte-reactivity -- the file map is private and never rendered; discovery results are replaced whole. */

import { unzipSync } from 'fflate';
import type { ModalityId } from '../../domain';
import {
  applyClassMapping,
  assignPatients,
  compileFileNamePattern,
  detectLayout,
  discoverCsv,
  discoverFolders,
  findDuplicates,
  isBlocking,
  previewPattern,
  sha256Hex,
  withModality,
  type ClassMapping,
  type Discovery,
  type DuplicateReport,
  type FileEntry,
  type PatientSource,
  type PatternPreview,
  type RunImage,
} from '../../validation';

export type Grouping = 'per-image' | 'csv-column' | 'file-name';

/** Answer of a class folder: '' not yet answered, EXCLUDE left out, otherwise a class id. */
export const EXCLUDE = '-';

/** The seed study's naming (`171-3.jpg`: patient 171, image 3), offered first. */
export const DEFAULT_PATTERN = '{patient}-*';

/** A directory handle's entries (the File System Access API is not in TypeScript's DOM types yet). */
interface DirHandle {
  kind: 'directory';
  name: string;
  values(): AsyncIterable<DirHandle | { kind: 'file'; name: string; getFile(): Promise<File> }>;
}

export type StartBlocker =
  | 'no-set'
  | 'blocking-problem'
  | 'hashing'
  | 'modality-unset'
  | 'unmapped'
  | 'nothing-mapped'
  | 'pattern-unconfirmed'
  | 'no-patient-id'
  | 'patient-class-conflict';

export class ValidationSetup {
  /** Name of what was picked (folder or zip), for the user. */
  source = $state<string | null>(null);
  reading = $state(false);
  readError = $state<string | null>(null);
  /** Discovery as found, before the single-modality answer. */
  private found = $state.raw<Discovery | null>(null);
  singleModality = $state<ModalityId | ''>('');
  mapping = $state<Record<string, string>>({});
  grouping = $state<Grouping>('per-image');
  pattern = $state(DEFAULT_PATTERN);
  /** The pattern text the user confirmed after seeing its examples. */
  confirmedPattern = $state<string | null>(null);
  duplicates = $state.raw<DuplicateReport | null>(null);
  hashed = $state(0);
  /** Path → file, kept only until the run is over or another set is picked. */
  private files = new Map<string, Blob>();
  private generation = 0;

  get discovery(): Discovery | null {
    const d = this.found;
    if (d === null) return null;
    return this.singleModality === '' ? d : withModality(d, this.singleModality);
  }

  file(path: string): Blob | undefined {
    return this.files.get(path);
  }

  get hasFiles(): boolean {
    return this.files.size > 0;
  }

  /** Files from an `<input webkitdirectory>` (or several files, or one zip). */
  async pickFiles(list: readonly File[]): Promise<void> {
    const first = list[0];
    if (list.length === 1 && first !== undefined && /\.zip$/i.test(first.name)) return this.pickZip(first);
    const entries = list.map((f) => ({ path: f.webkitRelativePath || f.name, file: f }));
    const root = (list[0]?.webkitRelativePath ?? '').split('/')[0] || null;
    await this.load(entries, root ?? (list.length > 0 ? `${list.length}` : null));
  }

  /** A zip of the folder; read in memory (compressed images are small next to decoded ones). */
  async pickZip(zip: File): Promise<void> {
    const ticket = this.begin(zip.name);
    let entries: { path: string; file: Blob }[];
    try {
      const unpacked = unzipSync(new Uint8Array(await zip.arrayBuffer()));
      entries = Object.entries(unpacked)
        .filter(([path]) => !path.endsWith('/'))
        .map(([path, bytes]) => ({ path, file: new Blob([bytes]) }));
    } catch (e) {
      if (ticket === this.generation) {
        this.readError = (e as Error).message;
        this.reading = false;
      }
      return;
    }
    if (ticket === this.generation) await this.load(entries, zip.name, ticket);
  }

  /** A folder from `showDirectoryPicker` (walked recursively). */
  async pickDirectory(dir: DirHandle): Promise<void> {
    const ticket = this.begin(dir.name);
    const entries: { path: string; file: Blob }[] = [];
    const walk = async (d: DirHandle, prefix: string): Promise<void> => {
      for await (const h of d.values()) {
        if (h.kind === 'directory') await walk(h, `${prefix}${h.name}/`);
        else entries.push({ path: `${prefix}${h.name}`, file: await h.getFile() });
      }
    };
    try {
      await walk(dir, `${dir.name}/`);
    } catch (e) {
      if (ticket === this.generation) {
        this.readError = (e as Error).message;
        this.reading = false;
      }
      return;
    }
    if (ticket === this.generation) await this.load(entries, dir.name, ticket);
  }

  private begin(source: string | null): number {
    this.generation++;
    this.reading = true;
    this.readError = null;
    this.source = source;
    return this.generation;
  }

  private async load(entries: { path: string; file: Blob }[], source: string | null, ticket = this.begin(source)): Promise<void> {
    this.files = new Map(entries.map((e) => [e.path, e.file]));
    const list: FileEntry[] = entries.map((e) => ({ path: e.path, size: e.file.size }));
    const layout = detectLayout(list);
    let d: Discovery;
    if (layout.kind === 'csv') {
      const csvPath = layout.csvFiles[0]!;
      const csv = entries.find((e) => e.path.replace(/\\/g, '/').replace(/^\.\//, '') === csvPath)?.file;
      d = discoverCsv(csv ? await csv.text() : '', csvPath, list);
    } else d = discoverFolders(list);
    if (ticket !== this.generation) return;
    // Discovery normalises paths (`./a\b` → `a/b`); the files are found under the same keys.
    this.files = new Map(
      entries.map((e) => [
        e.path
          .split(/[\\/]+/)
          .filter((s) => s !== '' && s !== '.')
          .join('/'),
        e.file,
      ]),
    );
    this.found = d;
    this.singleModality = '';
    this.mapping = Object.fromEntries(d.classLabels.map((l) => [l, '']));
    this.grouping = d.images.some((i) => i.patientId !== null) ? 'csv-column' : 'per-image';
    this.confirmedPattern = null;
    this.duplicates = null;
    this.hashed = 0;
    this.reading = false;
    void this.hashAll(d, ticket);
  }

  /** SHA-256 of every image, a few at a time so the page stays responsive on 10,000 files. */
  private async hashAll(d: Discovery, ticket: number): Promise<void> {
    const hashes: { path: string; sha256: string; classLabel: string }[] = [];
    for (const img of d.images) {
      const f = this.files.get(img.path);
      if (f === undefined) continue;
      let sha256: string;
      try {
        sha256 = await sha256Hex(await f.arrayBuffer());
      } catch {
        continue; // unreadable: the run lists it
      }
      if (ticket !== this.generation) return;
      hashes.push({ path: img.path, sha256, classLabel: img.classLabel });
      this.hashed = hashes.length;
    }
    this.duplicates = findDuplicates(hashes);
  }

  get patternPreview(): PatternPreview | { error: string } | null {
    const d = this.discovery;
    if (!d || this.grouping !== 'file-name') return null;
    const c = compileFileNamePattern(this.pattern);
    if (!c.ok) return { error: c.error };
    return previewPattern(
      c.regex,
      d.images.map((i) => i.path),
    );
  }

  confirmPattern(): void {
    const p = this.patternPreview;
    if (p !== null && !('error' in p) && p.unmatchedCount === 0) this.confirmedPattern = this.pattern;
  }

  private patientSource(): PatientSource | null {
    if (this.grouping === 'csv-column') return { kind: 'csv-column' };
    if (this.grouping === 'per-image') return { kind: 'per-image' };
    if (this.confirmedPattern === null || this.confirmedPattern !== this.pattern) return null;
    const c = compileFileNamePattern(this.confirmedPattern);
    return c.ok ? { kind: 'file-name', regex: c.regex } : null;
  }

  /** How patients are grouped, as recorded with the run. */
  get groupingText(): string {
    return this.grouping === 'file-name' ? `file-name:${this.confirmedPattern ?? ''}` : this.grouping;
  }

  /** The images to analyse, or why Start must wait. */
  plan(
    classes: readonly string[],
  ): { ok: true; images: RunImage[]; excluded: number } | { ok: false; why: StartBlocker; detail?: string[] } {
    const d = this.discovery;
    if (!d || d.images.length === 0) return { ok: false, why: 'no-set' };
    if (d.problems.some(isBlocking)) return { ok: false, why: 'blocking-problem' };
    if (d.images.some((i) => i.modality === null)) return { ok: false, why: 'modality-unset' };
    const unanswered = Object.entries(this.mapping).filter(([, v]) => v === '');
    if (unanswered.length > 0) return { ok: false, why: 'unmapped', detail: unanswered.map(([k]) => k) };
    const mapping: ClassMapping = Object.fromEntries(Object.entries(this.mapping).map(([k, v]) => [k, v === EXCLUDE ? null : v]));
    const mapped = applyClassMapping(d.images, mapping, classes);
    if (!mapped.ok) return { ok: false, why: mapped.modalityUnset ? 'modality-unset' : 'unmapped', detail: mapped.unmapped };
    if (mapped.images.length === 0) return { ok: false, why: 'nothing-mapped' };
    const source = this.patientSource();
    if (source === null) return { ok: false, why: 'pattern-unconfirmed' };
    const grouped = assignPatients(mapped.images, source);
    if (!grouped.ok)
      return grouped.error === 'no-patient-id'
        ? { ok: false, why: 'no-patient-id', detail: grouped.paths.slice(0, 10) }
        : { ok: false, why: 'patient-class-conflict', detail: grouped.patients.slice(0, 10) };
    if (this.duplicates === null) return { ok: false, why: 'hashing' };
    return { ok: true, images: grouped.images, excluded: mapped.excluded };
  }

  /** Forgets the picked files (the stored run and its results stay). */
  clear(): void {
    this.generation++;
    this.files = new Map();
    this.found = null;
    this.source = null;
    this.duplicates = null;
    this.mapping = {};
  }
}
