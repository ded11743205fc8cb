/**
 * Chooses the backend and keeps watch over it. A backend is trusted only after it configured and
 * its smoke test matched a JavaScript reference; every backend passed over is reported with the
 * reason, so the UI (and a bug report) can say why. In `auto` mode a backend that fails later (while
 * the models load, or during an analysis: a lost device, a driver error, non-finite output) is left
 * for the next one in order, the models are loaded there, and the analysis runs again. A backend
 * that failed is not chosen again in this session. A forced backend is the only one tried.
 */

import type { BackendId } from '../../domain';
import { errorText, RuntimeError } from '../errors';
import type { BackendChoice, SkippedBackend } from '../protocol';
import { STRATEGIES } from './registry';
import type { BackendHost, BackendStrategy } from './strategy';

/** What the supervisor does with a backend once it works: the model set's part. */
export interface ModelLoader {
  /** Before each backend selection (progress reporting). */
  selecting?(): void;
  /** After a backend passed its smoke test, before anything is set up on it. */
  selected?(): Promise<void>;
  /** Builds (and warms) the models on the active backend. Throwing leaves the backend, in `auto`. */
  load(backend: BackendStrategy): Promise<void>;
  /** Frees what `load` built, also after a failed load. */
  unload(): void;
}

/** True for failures that say something about the request or the pack, not about the backend. */
export function isCallerError(e: unknown): boolean {
  return e instanceof RuntimeError && (e.code === 'bad-input' || e.code === 'pack-invalid' || e.code === 'not-ready');
}

export class BackendSupervisor {
  private choice: BackendChoice = 'auto';
  private current: BackendStrategy | null = null;
  private last: BackendId | null = null;
  /** The strategy whose `attach` ran last (detached when another takes over). */
  private attached: BackendStrategy | null = null;
  /** Set when the active backend's device is known to be gone; checked before each run. */
  private lostReason: string | null = null;
  /** Backends that failed during this session, with why: never chosen again automatically. */
  private readonly failed = new Map<BackendId, string>();
  /** The order of the last `start` (automatic choice may change the registry's). */
  private order: readonly BackendStrategy[];

  constructor(
    private readonly host: BackendHost,
    private readonly onBackendChanged: (backend: BackendId, reason: string) => void = () => undefined,
    private readonly strategies: readonly BackendStrategy[] = STRATEGIES,
  ) {
    this.order = strategies;
  }

  /** The backend the models are loaded on; null before `start` and after `stop`. */
  get active(): BackendStrategy | null {
    return this.current;
  }

  /** The backend last used, still known after `stop`. */
  get lastUsed(): BackendId | null {
    return this.last;
  }

  /**
   * Activates the first working backend (`auto`: in order, minus those that failed this session;
   * else only the forced one) and loads the models on it. In `auto`, a backend that passes its
   * smoke test but fails to load is recorded in `skipped` and the next one is tried.
   */
  async start(
    choice: BackendChoice,
    loader: ModelLoader,
    arrange?: (candidates: BackendStrategy[]) => Promise<BackendStrategy[]>,
  ): Promise<{ backend: BackendId; skipped: SkippedBackend[] }> {
    this.stop();
    this.choice = choice;
    const skipped: SkippedBackend[] = [];
    let candidates = choice === 'auto' ? this.usable(this.strategies, skipped) : this.strategies.filter((s) => s.id === choice);
    // Automatic choice may reorder (choice.ts); a fallback then follows the same order.
    if (choice === 'auto' && arrange) candidates = await arrange(candidates);
    this.order = [...candidates, ...this.strategies.filter((s) => !candidates.includes(s))];
    const backend = await this.activate(candidates, skipped, loader);
    return { backend, skipped };
  }

  /**
   * Runs `task` on the active backend. If the backend fails (or its device was lost) and it was
   * chosen automatically, moves to the next working backend, loads the models there, tells the
   * host, and runs `task` again so the caller still gets its result.
   */
  async run<T>(task: (backend: BackendId) => Promise<T>, loader: ModelLoader): Promise<T> {
    for (;;) {
      const failed = this.current;
      if (!failed) throw new RuntimeError('not-ready', 'The analysis engine is not ready: load a model pack first.');
      let reason: string;
      try {
        if (this.lostReason) throw new Error(this.lostReason);
        return await task(failed.id);
      } catch (e) {
        if (isCallerError(e)) throw e;
        reason = errorText(e);
      }
      if (this.choice !== 'auto') {
        throw new RuntimeError(
          'inference-failed',
          `The analysis failed on the ${failed.id} backend (${reason}). Choose "auto" to let the app use another backend.`,
        );
      }
      await this.fallBack(failed, reason, loader);
    }
  }

  /** Records that the active backend's device is gone: the next run moves to another backend first. */
  notifyLost(reason: string): void {
    this.lostReason = reason;
  }

  /** The models were freed: no backend is in use until the next `start`. */
  stop(): void {
    this.current = null;
  }

  private async fallBack(failed: BackendStrategy, reason: string, loader: ModelLoader): Promise<void> {
    this.failed.set(failed.id, reason);
    loader.unload();
    this.stop();
    let backend: BackendId;
    try {
      backend = await this.activate(this.usable(this.after(failed), []), [], loader);
    } catch (e) {
      throw new RuntimeError(
        'inference-failed',
        `The ${failed.id} backend failed (${reason}) and no other backend works: ${errorText(e)}`,
      );
    }
    this.onBackendChanged(backend, `${failed.id} failed: ${reason}`);
  }

  private async activate(
    candidates: readonly BackendStrategy[],
    skipped: SkippedBackend[],
    loader: ModelLoader,
  ): Promise<BackendId> {
    for (;;) {
      loader.selecting?.();
      const selection = await this.select(candidates).catch((e: unknown) => {
        throw withEarlierReasons(e, skipped);
      });
      const strategy = selection.strategy;
      await loader.selected?.();
      skipped.push(...selection.skipped);
      if (this.attached && this.attached !== strategy) this.attached.detach?.(this.host);
      this.attached = strategy;
      await strategy.attach?.(this.host);
      try {
        await loader.load(strategy);
      } catch (e) {
        loader.unload();
        if (isCallerError(e) || this.choice !== 'auto') throw asRuntimeError(e, `on ${strategy.id}`);
        const reason = `failed while loading the models: ${errorText(e)}`;
        this.failed.set(strategy.id, reason);
        skipped.push({ backend: strategy.id, reason });
        candidates = this.usable(this.after(strategy), []);
        continue;
      }
      this.current = strategy;
      this.last = strategy.id;
      this.lostReason = null;
      // A loss reported by a backend that is no longer the active one says nothing about the new one.
      strategy.watchLoss((reason) => {
        if (this.current === strategy) this.notifyLost(reason);
      });
      return strategy.id;
    }
  }

  /** Makes the first working strategy of `candidates` tfjs's active backend. */
  private async select(candidates: readonly BackendStrategy[]) {
    const skipped: SkippedBackend[] = [];
    for (const strategy of candidates) {
      const reason = await this.tryStrategy(strategy);
      if (reason === null) return { strategy, skipped };
      skipped.push({ backend: strategy.id, reason });
    }
    const reasons = skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
    const message =
      this.choice === 'auto'
        ? `No compute backend works on this device (${reasons}).`
        : `The ${this.choice} backend does not work on this device (${reasons}). Choose "auto" to use another backend.`;
    throw new RuntimeError('no-backend', message);
  }

  /** Precondition, configuration, smoke test: null when the backend works, else why not. */
  private async tryStrategy(strategy: BackendStrategy): Promise<string | null> {
    const unmet = strategy.precondition();
    if (unmet) return unmet;
    try {
      return (await strategy.configure(this.host)) ?? (await strategy.smokeTest());
    } catch (e) {
      return `exception: ${errorText(e)}`;
    }
  }

  private usable(candidates: readonly BackendStrategy[], skipped: SkippedBackend[]): BackendStrategy[] {
    return candidates.filter((s) => {
      const reason = this.failed.get(s.id);
      if (reason) skipped.push({ backend: s.id, reason: `failed earlier in this session (${reason})` });
      return !reason;
    });
  }

  /** The strategies after `strategy` in the preferred order: where to go when it fails. */
  private after(strategy: BackendStrategy): BackendStrategy[] {
    return this.order.slice(this.order.indexOf(strategy) + 1);
  }
}

function asRuntimeError(e: unknown, where: string): RuntimeError {
  if (e instanceof RuntimeError) return e;
  return new RuntimeError('no-backend', `Analysis engine failed ${where}: ${errorText(e)}`);
}

/** Adds the reasons backends were passed over earlier to a "no backend" error. */
function withEarlierReasons(e: unknown, skipped: SkippedBackend[]): unknown {
  if (!(e instanceof RuntimeError) || skipped.length === 0) return e;
  const earlier = skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
  return new RuntimeError(e.code, `${e.message.replace(/\.$/, '')}; earlier: ${earlier}.`);
}
