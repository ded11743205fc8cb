/**
 * UI state of the case history: wraps the plain-TS store (src/history) and turns its errors into
 * translated messages.
 */

import type { ExamInfo } from '../../../domain';
import { HistoryError, HistoryStore, ImportError, type CaseRecord, type CaseSummary } from '../../../history';
import { i18n } from '../../../i18n/index.svelte';

export type HistoryStatus = 'closed' | 'opening' | 'open' | 'locked' | 'unavailable';

export function historyErrorText(e: unknown): string {
  if (e instanceof ImportError) {
    const base = i18n.m.history.importErrors[e.code];
    return e.code === 'invalid-case' ? `${base} ${e.message}` : base;
  }
  if (e instanceof HistoryError) return i18n.m.history.errors[e.code];
  return `${i18n.m.history.errors.failed} (${(e as Error)?.message ?? String(e)})`;
}

export class HistoryState {
  status = $state<HistoryStatus>('closed');
  encrypted = $state(false);
  cases = $state.raw<CaseSummary[]>([]);
  unreadable = $state(0);
  query = $state('');
  error = $state<string | null>(null);
  message = $state<string | null>(null);
  busy = $state(false);
  private store: HistoryStore | null = null;

  constructor(private readonly iterations?: number) {}

  async open(): Promise<void> {
    if (this.store || this.status === 'opening') return;
    this.status = 'opening';
    try {
      this.store = await HistoryStore.open(this.iterations ? { iterations: this.iterations } : {});
      // Another tab saved, deleted, or set or removed the passphrase: show what is stored now.
      this.store.onChange(() => void this.refresh().catch((e: unknown) => (this.error = historyErrorText(e))));
      await this.refresh();
    } catch (e) {
      this.status = 'unavailable';
      this.error = historyErrorText(e);
    }
  }

  private sync(): void {
    const s = this.store;
    this.encrypted = s?.encrypted ?? false;
    this.status = !s ? 'unavailable' : s.locked ? 'locked' : 'open';
  }

  async refresh(): Promise<void> {
    this.sync();
    if (!this.store || this.store.locked) {
      this.cases = [];
      return;
    }
    const { cases, unreadable } = await this.store.list(this.query);
    this.cases = cases;
    this.unreadable = unreadable.length;
  }

  /** Runs an action, reporting its error; returns false when it failed. */
  private async run(action: (s: HistoryStore) => Promise<unknown>, success?: string): Promise<boolean> {
    if (!this.store) {
      await this.open();
      if (!this.store) return false;
    }
    this.busy = true;
    this.error = null;
    this.message = null;
    try {
      await action(this.store);
      if (success) this.message = success;
      return true;
    } catch (e) {
      this.error = historyErrorText(e);
      return false;
    } finally {
      this.busy = false;
      try {
        await this.refresh();
      } catch (e) {
        this.error ??= historyErrorText(e);
      }
    }
  }

  save(record: CaseRecord): Promise<boolean> {
    return this.run((s) => s.save(record), i18n.m.history.saved);
  }

  async get(id: string): Promise<CaseRecord | null> {
    let out: CaseRecord | null = null;
    await this.run(async (s) => (out = await s.get(id)));
    return out;
  }

  async getExam(examId: string): Promise<CaseRecord[]> {
    let out: CaseRecord[] = [];
    await this.run(async (s) => (out = await s.getExam(examId)));
    return out;
  }

  async updateExam(examId: string, patch: Partial<Omit<ExamInfo, 'id'>>): Promise<CaseRecord[] | null> {
    let out: CaseRecord[] | null = null;
    await this.run(async (s) => (out = await s.updateExam(examId, patch)));
    return out;
  }

  delete(id: string): Promise<boolean> {
    return this.run((s) => s.delete(id));
  }

  deleteAll(): Promise<boolean> {
    return this.run((s) => s.deleteAll());
  }

  unlock(passphrase: string): Promise<boolean> {
    return this.run((s) => s.unlock(passphrase));
  }

  lock(): void {
    this.store?.lock();
    this.message = null;
    void this.refresh();
  }

  setPassphrase(passphrase: string): Promise<boolean> {
    return this.run((s) => s.setPassphrase(passphrase), i18n.m.history.protectedNote);
  }

  removePassphrase(): Promise<boolean> {
    return this.run((s) => s.removePassphrase());
  }

  async exportCases(ids: string[], appVersion: string): Promise<string | null> {
    let text: string | null = null;
    await this.run(async (s) => (text = await s.exportCases(ids, appVersion)));
    return text;
  }

  async importFile(file: File): Promise<boolean> {
    let result = { added: 0, skipped: 0 };
    const ok = await this.run(async (s) => {
      if (file.size > 512 * 1024 * 1024) throw new ImportError('too-large', 'too large');
      result = await s.importCases(await file.text());
    });
    if (ok) this.message = i18n.m.history.imported(result.added, result.skipped);
    return ok;
  }
}
