/**
 * Runs the input checks (docs/input-checks.md) of every slot: right after an image is loaded and
 * whenever its region changes (debounced while a region is dragged), and again when another pack
 * is loaded. Results are kept per slot revision and pack, so a verdict never describes an image or
 * region the slot no longer shows. A reopened case is not checked again: it keeps the verdict it
 * was analysed with.
 */

import type { InputCheckOutcome } from '../../analysis';
import { MODALITY_IDS, type ModalityId } from '../../domain';
import { cropRgba, type RgbaImage } from '../../imaging';
import type { RuntimeState } from './runtime.svelte';
import type { SlotState } from './slot.svelte';

/** Wait after the last change before checking (a region being dragged changes many times a second). */
const DEBOUNCE_MS = 150;

export class InputChecks {
  // Plain records, deliberately not reactive: timers and promises are bookkeeping, not state to show.
  private readonly timers: Partial<Record<ModalityId, ReturnType<typeof setTimeout>>> = {};
  private readonly pending: Partial<
    Record<ModalityId, { revision: number; pack: string; result: Promise<InputCheckOutcome | null> }>
  > = {};
  private readonly stop: () => void;

  constructor(
    private readonly runtime: RuntimeState,
    private readonly slots: Record<ModalityId, SlotState>,
  ) {
    // A changed image or region is checked again (debounced); the effect below also catches a
    // pack loaded after the image (or replaced by another one), in the page.
    for (const mod of MODALITY_IDS) this.slots[mod].onchange = () => this.refresh(mod);
    this.stop = $effect.root(() => {
      $effect(() => {
        for (const mod of MODALITY_IDS) this.refresh(mod);
      });
    });
  }

  /** The loaded pack (id@version) when the runtime can run checks, else null. */
  private packKey(): string | null {
    const m = this.runtime.manifest;
    return this.runtime.phase === 'ready' && m ? `${m.id}@${m.version}` : null;
  }

  /** Schedules a check of `mod` when its current image and region have none for the loaded pack. */
  refresh(mod: ModalityId): void {
    const pack = this.packKey();
    const slot = this.slots[mod];
    const c = slot.check;
    if (pack && this.checkable(slot) && (!c || c.revision !== slot.revision || c.pack !== pack)) this.schedule(mod);
  }

  private checkable(slot: SlotState): boolean {
    return (
      slot.image !== null &&
      slot.roi !== null &&
      slot.image.kind !== 'history' &&
      !!this.runtime.manifest?.modalities[slot.modality]
    );
  }

  private schedule(mod: ModalityId): void {
    clearTimeout(this.timers[mod]);
    this.timers[mod] = setTimeout(() => {
      delete this.timers[mod];
      const slot = this.slots[mod];
      if (slot.image && slot.roi) void this.run(mod, cropRgba(slot.image.pixels, slot.roi), slot.revision);
    }, DEBOUNCE_MS);
  }

  /**
   * The verdict of `crop` at the slot's `revision`: the slot's finished or running check when it is
   * of that very revision and pack, else a new one. Null when no check could run (no pack, or the
   * engine failed: the failure is shown as "check failed", and analysis is not blocked by it).
   */
  run(mod: ModalityId, crop: RgbaImage, revision: number): Promise<InputCheckOutcome | null> {
    const pack = this.packKey();
    const slot = this.slots[mod];
    if (!pack) return Promise.resolve(null);
    const c = slot.check;
    if (c?.status === 'done' && c.revision === revision && c.pack === pack) return Promise.resolve(c.outcome);
    const running = this.pending[mod];
    if (running && running.revision === revision && running.pack === pack) return running.result;
    const current = () => slot.revision === revision;
    if (current()) slot.check = { status: 'checking', revision, pack };
    const result = this.runtime.check(mod, crop).then(
      (outcome) => {
        if (current()) slot.check = { status: 'done', revision, pack, outcome };
        return outcome;
      },
      () => {
        if (current()) slot.check = { status: 'failed', revision, pack };
        return null;
      },
    );
    this.pending[mod] = { revision, pack, result };
    void result.finally(() => {
      if (this.pending[mod]?.result === result) delete this.pending[mod];
    });
    return result;
  }

  dispose(): void {
    for (const mod of MODALITY_IDS) {
      clearTimeout(this.timers[mod]);
      delete this.timers[mod];
    }
    this.stop();
  }
}
