/**
 * Automatic backend choice by measurement. The registry's order (webgpu → webgl → wasm → cpu)
 * assumes a GPU backend is fast; on a software GPU (SwiftShader, llvmpipe: a virtual desktop, a
 * machine without GPU drivers) it is many times slower than wasm. So, in `auto` only:
 *
 * 1. A choice remembered for this browser (user agent) and pack (id + version) goes first and
 *    nothing is probed or timed: later visits start as fast as the backend allows.
 * 2. Otherwise each available GPU backend is probed (`BackendStrategy.probe`): a software one goes
 *    after the first CPU backend (wasm), a real one keeps its place.
 * 3. GPU backends that cannot be told apart are timed with a small fixed inference (timing.ts)
 *    against that CPU backend, and the fastest goes first.
 *
 * The supervisor then works through the order as before (a failing backend is still skipped), and
 * the engine remembers the backend that came up. A new user agent (a browser update) makes the
 * remembered choice stale, so it is decided again. A forced backend never comes here.
 */

import type { BackendId } from '../../domain';
import type { BackendDecision } from '../protocol';
import type { BackendHost, BackendProbe, BackendStrategy } from './strategy';

/** What is remembered per pack. */
export interface RememberedChoice {
  userAgent: string;
  backend: BackendId;
  /** The notes of the decision that picked it (measured times, software devices). */
  notes: string[];
}

/** Where decisions are kept between visits (IndexedDB in the worker, choice-memory.ts). */
export interface ChoiceMemory {
  load(packKey: string): Promise<RememberedChoice | null>;
  save(packKey: string, choice: RememberedChoice): Promise<void>;
}

export interface ChoiceContext {
  userAgent: string;
  /** Pack id and version, e.g. `lymphscope-demo-r18@1.0.0`. */
  packKey: string;
  memory: ChoiceMemory | null;
}

/** Times the fixed inference on a strategy: ms, or why it could not run (timing.ts). */
export type Measure = (strategy: BackendStrategy, host: BackendHost) => Promise<number | string>;

export interface Arrangement {
  order: BackendStrategy[];
  decision: BackendDecision;
}

const ms = (t: number) => `${Math.round(t)} ms`;

/** Reads memory; an unreadable store only means deciding again. */
async function recall(ctx: ChoiceContext): Promise<RememberedChoice | null> {
  try {
    return (await ctx.memory?.load(ctx.packKey)) ?? null;
  } catch {
    return null;
  }
}

/** Orders `candidates` (the registry's order, minus those failed this session) for `auto`. */
export async function arrangeAuto(
  candidates: readonly BackendStrategy[],
  host: BackendHost,
  ctx: ChoiceContext,
  measure: Measure,
): Promise<Arrangement> {
  const remembered = await recall(ctx);
  const notes: string[] = [];
  if (remembered) {
    const first = candidates.find((s) => s.id === remembered.backend);
    if (first && remembered.userAgent === ctx.userAgent) {
      return {
        order: [first, ...candidates.filter((s) => s !== first)],
        decision: {
          basis: 'remembered',
          notes: [`${first.id} remembered for this browser and pack`, ...remembered.notes],
        },
      };
    }
    notes.push(
      first
        ? `the browser changed since ${remembered.backend} was chosen: decided again`
        : `the remembered ${remembered.backend} is not available now: decided again`,
    );
  }

  const firstCpu = candidates.find((s) => !s.gpu && s.precondition() === null);
  const probes = new Map<BackendStrategy, BackendProbe>();
  for (const s of candidates) {
    if (s.gpu && s.probe && s.precondition() === null) probes.set(s, await s.probe());
  }
  const isSoftware = (s: BackendStrategy) => probes.get(s)?.software === true;
  // No probe, or one that could not tell: only a measurement can say.
  const unsure = candidates.filter((s) => s.gpu && s.precondition() === null && typeof probes.get(s)?.software !== 'boolean');
  for (const [s, p] of probes) {
    notes.push(`${s.id}: ${p.detail}${p.software ? ` (software: after ${firstCpu?.id ?? 'the CPU backends'})` : ''}`);
  }

  let basis: BackendDecision['basis'] = probes.size > 0 ? 'probed' : 'order';
  // Timed: the unsure GPUs and the CPU backend they must beat, fastest first; an untimable one after.
  let timed: BackendStrategy[] = [];
  if (unsure.length > 0 && firstCpu) {
    basis = 'measured';
    const results: { s: BackendStrategy; t: number | string }[] = [];
    for (const s of [...unsure, firstCpu]) results.push({ s, t: await measure(s, host) });
    notes.push(`measured: ${results.map(({ s, t }) => `${s.id} ${typeof t === 'number' ? ms(t) : `failed (${t})`}`).join(', ')}`);
    const byTime = (r: { t: number | string }) => (typeof r.t === 'number' ? r.t : Infinity);
    timed = results.sort((a, b) => byTime(a) - byTime(b)).map((r) => r.s);
  }

  const placed = new Set<BackendStrategy>();
  const order: BackendStrategy[] = [];
  const put = (list: readonly BackendStrategy[]) => {
    for (const s of list) {
      if (placed.has(s)) continue;
      placed.add(s);
      order.push(s);
    }
  };
  // Unavailable backends stay in front: the supervisor reports why each was passed over, at no cost.
  put(candidates.filter((s) => s.precondition() !== null));
  put(candidates.filter((s) => s.gpu && probes.get(s)?.software === false));
  put(timed);
  if (firstCpu) put([firstCpu]);
  put(candidates.filter(isSoftware));
  put(candidates);
  return { order, decision: { basis, notes } };
}

/** Remembers the backend that came up in `auto`, for the next visit; a failing store is ignored. */
export async function rememberChoice(ctx: ChoiceContext, backend: BackendId, arrangement: Arrangement): Promise<void> {
  const { decision, order } = arrangement;
  // A remembered choice that came up again is already stored; one that failed is replaced.
  if (!ctx.memory || (decision.basis === 'remembered' && order[0]?.id === backend)) return;
  try {
    const notes = decision.basis === 'remembered' ? [`${order[0]?.id} failed; ${backend} came up instead`] : decision.notes;
    await ctx.memory.save(ctx.packKey, { userAgent: ctx.userAgent, backend, notes });
  } catch {
    // not remembered: the next visit decides again
  }
}

/** Remembers the backend a fallback moved to during the session (the decided one failed). */
export async function rememberFallback(ctx: ChoiceContext, backend: BackendId, reason: string): Promise<void> {
  try {
    await ctx.memory?.save(ctx.packKey, { userAgent: ctx.userAgent, backend, notes: [`moved to ${backend}: ${reason}`] });
  } catch {
    // not remembered: the next visit decides again
  }
}
