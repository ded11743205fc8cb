/**
 * The packs the user can choose: the bundled ones (the pack index) and those stored on this device
 * (imported from a checkpoint or a pack zip, labelled "imported, not validated"). Importing and
 * exporting run in the import worker; this class only asks, waits and switches the runtime.
 */

import type { ModalityId } from '../../domain';
import {
  deleteLocalPack,
  listLocalPacks,
  localPackUrl,
  manifestUrlFor,
  parseLocalPackUrl,
  parsePackIndex,
  type LocalPackEntry,
  type PackIndex,
} from '../../model-pack';
import {
  createImportClient,
  ImportFailure,
  type ImportClient,
  type ImportErrorCode,
  type ImportOutcome,
} from '../../torch-import';
import type { RuntimeState } from './runtime.svelte';
import { downloadBytes } from '../download';

export interface PackChoice {
  id: string;
  title: string;
  local: boolean;
}

/** A checkpoint waiting for the user's answers (modality, classes, preprocessing). */
export interface PendingCheckpoint {
  file: File;
  architecture: string;
  defaultSize: number;
  numOutputs: number | null;
}

export interface CheckpointAnswers {
  modality: ModalityId;
  classes: string[];
  size: number;
  mean: [number, number, number];
  std: [number, number, number];
  packId: string;
  title: string;
}

type Retry = (newId: string) => Promise<void>;

export class PackLibraryState {
  bundled = $state.raw<PackIndex['packs']>([]);
  local = $state.raw<LocalPackEntry[]>([]);
  busy = $state(false);
  pending = $state.raw<PendingCheckpoint | null>(null);
  /** An id collision waiting for the user's answer. */
  collision = $state.raw<{ packId: string; retry: Retry } | null>(null);
  error = $state.raw<{ code: ImportErrorCode; detail: string } | null>(null);
  done = $state.raw<{ id: string; seconds: number } | null>(null);
  private index: PackIndex | null = null;
  private client: ImportClient | null = null;

  constructor(
    /** A getter, so a component can hand over its (reactive) prop. */
    private readonly runtimeOf: () => RuntimeState,
    private readonly onSwitch: () => void,
    private readonly makeClient: () => ImportClient = () => createImportClient(),
  ) {}

  private get runtime(): RuntimeState {
    return this.runtimeOf();
  }

  get choices(): PackChoice[] {
    return [
      ...this.bundled.map((p) => ({ id: p.id, title: p.title, local: false })),
      ...this.local
        .filter((l) => !this.bundled.some((b) => b.id === l.id))
        .map((l) => ({ id: l.id, title: l.title, local: true })),
    ];
  }

  /** The active pack's id (as the manifest says) and whether it is stored on this device. */
  get activeId(): string | null {
    return this.runtime.manifest?.id ?? null;
  }

  get activeIsLocal(): boolean {
    return this.runtime.manifestUrl !== null && parseLocalPackUrl(this.runtime.manifestUrl) !== null;
  }

  async refresh(): Promise<void> {
    try {
      const res = await fetch(this.runtime.indexUrl);
      if (res.ok) {
        this.index = parsePackIndex(await res.json());
        this.bundled = this.index.packs;
      }
    } catch {
      // The runtime reports an unreachable index itself; the stored packs are still listed.
    }
    try {
      this.local = await listLocalPacks();
    } catch {
      this.local = [];
    }
  }

  async select(id: string): Promise<void> {
    const isLocal = this.local.some((l) => l.id === id);
    const url = isLocal
      ? localPackUrl(id, document.baseURI)
      : this.index
        ? manifestUrlFor(this.index, this.runtime.indexUrl, id)
        : null;
    if (!url) return;
    this.onSwitch();
    await this.runtime.load(url);
  }

  /** Ids a stored pack may not take: the bundled packs' (a stored one would hide behind them). */
  private get taken(): string[] {
    return this.bundled.map((b) => b.id);
  }

  private get worker(): ImportClient {
    this.client ??= this.makeClient();
    return this.client;
  }

  private async run(task: () => Promise<void>): Promise<void> {
    this.busy = true;
    this.error = null;
    this.done = null;
    try {
      await task();
    } catch (e) {
      this.error =
        e instanceof ImportFailure ? { code: e.code, detail: e.message } : { code: 'storage', detail: (e as Error).message };
    } finally {
      this.busy = false;
    }
  }

  /** A file from `import-model`: a pack zip is imported at once; a checkpoint waits for the questions. */
  async chooseFile(file: File): Promise<void> {
    this.pending = null;
    this.collision = null;
    await this.run(async () => {
      if (/\.zip$/i.test(file.name))
        return this.finish(await this.worker.importPack({ zip: file }, undefined, this.taken), (id) =>
          this.renamePack({ zip: file }, id),
        );
      const info = await this.worker.inspect(file);
      this.pending = { file, ...info };
    });
  }

  /** A folder's files (`webkitRelativePath`) as one pack. */
  async chooseFolder(files: File[]): Promise<void> {
    const entries = files.map((f) => ({
      path: (f.webkitRelativePath || f.name).split('/').slice(1).join('/') || f.name,
      file: f,
    }));
    await this.run(async () =>
      this.finish(await this.worker.importPack({ files: entries }, undefined, this.taken), (id) =>
        this.renamePack({ files: entries }, id),
      ),
    );
  }

  private async renamePack(source: Parameters<ImportClient['importPack']>[0], id: string): Promise<void> {
    await this.run(async () =>
      this.finish(await this.worker.importPack(source, id, this.taken), (next) => this.renamePack(source, next)),
    );
  }

  async buildCheckpoint(a: CheckpointAnswers): Promise<void> {
    const p = this.pending;
    if (!p) return;
    const attempt = async (packId: string): Promise<void> =>
      this.run(async () => {
        const outcome = await this.worker.importCheckpoint(
          p.file,
          {
            modality: a.modality,
            classes: a.classes.map((id) => ({ id, label: id })),
            size: a.size,
            mean: a.mean,
            std: a.std,
            packId,
            title: a.title,
            sourceName: p.file.name,
          },
          this.taken,
        );
        if (outcome.kind === 'imported') this.pending = null;
        await this.finish(outcome, attempt);
      });
    await attempt(a.packId);
  }

  private async finish(outcome: ImportOutcome, retry: Retry): Promise<void> {
    if (outcome.kind === 'exists') {
      this.collision = { packId: outcome.packId, retry };
      return;
    }
    this.collision = null;
    this.done = { id: outcome.entry.id, seconds: outcome.ms / 1000 };
    await this.refresh();
    await this.select(outcome.entry.id);
  }

  /**
   * Stores a site-adapted version (src/adaptation) as a new local pack, through the same checks as
   * any imported pack, and makes it active. Resolves with its id, or null when it was not stored
   * (the reason is in `error`, an id collision in `collision`).
   */
  async storeAdapted(files: { path: string; bytes: Uint8Array }[]): Promise<string | null> {
    const source = { files: files.map((f) => ({ path: f.path, file: new Blob([f.bytes.slice()]) })) };
    let id: string | null = null;
    await this.run(async () => {
      const outcome = await this.worker.importPack(source, undefined, this.taken);
      if (outcome.kind === 'imported') id = outcome.entry.id;
      await this.finish(outcome, (next) => this.renamePack(source, next));
    });
    return id;
  }

  /** Removes the active stored pack from this device, after switching to the bundled default. */
  async deleteActive(): Promise<void> {
    const id = this.activeId;
    if (!id || !this.activeIsLocal) return;
    await this.run(async () => {
      if (this.index) await this.select(this.index.default);
      await deleteLocalPack(id);
      await this.refresh();
    });
  }

  cancel(): void {
    this.pending = null;
    this.collision = null;
  }

  /** Downloads the active pack as `<id>-<version>.zip`. */
  async exportActive(): Promise<void> {
    // Absolute already: the index's manifest URLs are resolved (pack-url.ts), stored packs' too.
    const url = this.runtime.manifestUrl;
    if (!url) return;
    await this.run(async () => {
      const { fileName, bytes } = await this.worker.exportPack(url);
      downloadBytes(new Uint8Array(bytes), fileName, 'application/zip');
    });
  }
}
