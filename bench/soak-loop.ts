/**
 * The soak loop shared by `npm run soak` (bench/soak.ts) and the quick browser check
 * (tests/browser/soak-quick.spec.ts): one full analysis as a user does it (a new demo case in all
 * three modality slots, then Analyse), and a probe that reads the app's resource use between
 * analyses: the worker's tfjs tensor count, bytes and WebAssembly heap (`lymphscope.stats()`,
 * src/main.ts) and the JS heap of the page and its dedicated workers after a forced garbage
 * collection (DevTools protocol), plus the page's DOM node and event listener counts.
 */

import type { CDPSession, Page } from '@playwright/test';

/** What the app's stats hook returns (src/runtime/protocol.ts, TensorStats), checked at runtime. */
export interface AppStats {
  numTensors: number;
  numBytes: number;
  backend: string;
  wasmHeapBytes: number | null;
}

export function parseAppStats(raw: unknown): AppStats {
  if (typeof raw !== 'object' || raw === null) throw new Error(`stats(): not an object: ${String(raw)}`);
  const o = raw as Record<string, unknown>;
  const count = (k: string): number => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`stats().${k}: not a count: ${String(v)}`);
    return v;
  };
  if (typeof o.backend !== 'string') throw new Error('stats().backend missing');
  return {
    numTensors: count('numTensors'),
    numBytes: count('numBytes'),
    backend: o.backend,
    wasmHeapBytes: o.wasmHeapBytes === undefined ? null : count('wasmHeapBytes'),
  };
}

export interface SoakSample {
  /** Analyses completed when the sample was taken. */
  analyses: number;
  /** Milliseconds since the loop started. */
  tMs: number;
  numTensors: number;
  numBytes: number;
  wasmHeapBytes: number | null;
  /** JS heap in use after a forced GC: the page, and its dedicated workers summed. */
  jsHeapPageBytes: number;
  jsHeapWorkersBytes: number;
  domNodes: number;
  jsEventListeners: number;
}

/**
 * The modalities the page shows a slot for (the app's modality registry, as rendered). Read from
 * the page rather than imported: Playwright's test loader cannot import src/domain's JSON.
 */
export async function pageModalities(page: Page): Promise<string[]> {
  const ids = await page.evaluate(() =>
    [...document.querySelectorAll('[data-testid^="slot-"]')].map((el) => el.getAttribute('data-testid')!.slice(5)),
  );
  if (ids.length === 0) throw new Error('no modality slots on the page');
  return ids;
}

/** Fills every slot with a new random demo case and analyses it; checks the probabilities shown. */
export async function analyseDemoCase(page: Page, modalities: string[], timeoutMs = 600_000): Promise<void> {
  const firstProb = `[data-testid="prob-${modalities[0]}-metastatic"]`;
  await page.getByTestId('demo-load').click({ timeout: timeoutMs });
  // A new case discards the previous results: their probabilities leave the page.
  await page.waitForFunction((sel) => !document.querySelector(sel), firstProb, { timeout: timeoutMs });
  await page.getByTestId('analyze').click({ timeout: timeoutMs });
  // Every modality's result is on screen and the button is back to idle.
  await page.waitForFunction(
    (mods) => {
      const btn = document.querySelector('[data-testid="analyze"]');
      return (
        !!btn &&
        /Analyse$/.test(btn.textContent?.trim() ?? '') &&
        mods.every((m) => document.querySelector(`[data-testid="prob-${m}-metastatic"]`))
      );
    },
    modalities,
    { timeout: timeoutMs, polling: 20 },
  );
  const sums = await page.evaluate(
    (mods) =>
      mods.map((m) =>
        [...document.querySelectorAll(`[data-testid^="prob-${m}-"]`)].reduce(
          (s, el) => s + Number(el.getAttribute('data-value')),
          0,
        ),
      ),
    modalities,
  );
  sums.forEach((s, i) => {
    if (!(Math.abs(s - 1) < 1e-3)) throw new Error(`${modalities[i]}: probabilities sum to ${s}, not 1`);
  });
  const error = page.getByTestId('error');
  if (await error.count()) throw new Error(`the app shows an error: ${await error.innerText()}`);
}

/**
 * Reads resource use from outside the page. Workers are reached through the DevTools protocol's
 * auto-attach (non-flattened, as bench/heap.ts explains); their heaps are summed after each is
 * garbage-collected, so a sample is what is really retained, not the sawtooth between collections.
 */
export class SoakProbe {
  private cdp: CDPSession | null = null;
  private workers = new Set<string>();
  private nextId = 1;
  private pending = new Map<number, (r: Record<string, unknown>) => void>();
  private started = 0;

  constructor(private readonly page: Page) {}

  async attach(): Promise<void> {
    const cdp = await this.page.context().newCDPSession(this.page);
    this.cdp = cdp;
    cdp.on('Target.attachedToTarget', (e: { sessionId: string; targetInfo: { type: string } }) => {
      if (e.targetInfo.type === 'worker') this.workers.add(e.sessionId);
    });
    cdp.on('Target.detachedFromTarget', (e: { sessionId: string }) => this.workers.delete(e.sessionId));
    cdp.on('Target.receivedMessageFromTarget', (e: { message: string }) => {
      const msg = JSON.parse(e.message) as { id?: number; result?: Record<string, unknown> };
      if (msg.id !== undefined) this.pending.get(msg.id)?.(msg.result ?? {});
    });
    await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
    await cdp.send('Performance.enable');
    this.started = Date.now();
  }

  private toWorker(sessionId: string, method: string): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timeout = setTimeout(() => {
        this.pending.delete(id);
        resolve({});
      }, 10_000);
      this.pending.set(id, (r) => {
        clearTimeout(timeout);
        this.pending.delete(id);
        resolve(r);
      });
      void this.cdp!.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method }) }).catch(() =>
        resolve({}),
      );
    });
  }

  async stats(): Promise<AppStats> {
    const raw = await this.page.evaluate(() =>
      (globalThis as unknown as { lymphscope: { stats(): Promise<unknown> } }).lymphscope.stats(),
    );
    return parseAppStats(raw);
  }

  async sample(analyses: number): Promise<SoakSample> {
    const cdp = this.cdp;
    if (!cdp) throw new Error('SoakProbe.attach() first');
    const app = await this.stats();
    const workers = [...this.workers];
    await Promise.all([
      cdp.send('HeapProfiler.collectGarbage'),
      ...workers.map((w) => this.toWorker(w, 'HeapProfiler.collectGarbage')),
    ]);
    const page = (await cdp.send('Runtime.getHeapUsage')).usedSize;
    const workerHeaps = await Promise.all(workers.map((w) => this.toWorker(w, 'Runtime.getHeapUsage')));
    const metrics = new Map((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
    return {
      analyses,
      tMs: Date.now() - this.started,
      numTensors: app.numTensors,
      numBytes: app.numBytes,
      wasmHeapBytes: app.wasmHeapBytes,
      jsHeapPageBytes: page,
      jsHeapWorkersBytes: workerHeaps.reduce((s, r) => s + (typeof r.usedSize === 'number' ? r.usedSize : 0), 0),
      domNodes: metrics.get('Nodes') ?? 0,
      jsEventListeners: metrics.get('JSEventListeners') ?? 0,
    };
  }
}

export interface FlatnessLimits {
  /** Samples taken before this many analyses are warm-up (models warming, caches filling). */
  warmupAnalyses: number;
  /** Allowed growth of the JS heap (page + workers) from the first post-warm-up sample. */
  jsHeapToleranceBytes: number;
  /** Allowed growth of the WebAssembly heap (it never shrinks; it must stop growing). */
  wasmHeapToleranceBytes: number;
  /** Allowed growth of the page's DOM node count. */
  domNodeTolerance: number;
}

export interface Range {
  start: number;
  peak: number;
  end: number;
}

export interface FlatnessVerdict {
  ok: boolean;
  failures: string[];
  /** Index of the first sample after warm-up (the baseline). */
  baselineAnalyses: number;
  tensors: Range;
  tensorBytes: Range;
  jsHeapBytes: Range;
  wasmHeapBytes: Range | null;
  domNodes: Range;
}

const MiB = 1024 * 1024;

/**
 * Median of up to three values at one end (never more than half of them, so the two ends never
 * share a sample): one collection that left a little behind does not decide.
 */
function edge(values: number[], from: 'start' | 'end'): number {
  const k = Math.max(1, Math.min(3, Math.floor(values.length / 2)));
  const part = from === 'start' ? values.slice(0, k) : values.slice(-k);
  const sorted = [...part].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function range(values: number[]): Range {
  return { start: values[0]!, peak: Math.max(...values), end: values[values.length - 1]! };
}

/**
 * Flat means: after warm-up the tensor count and tensor bytes never differ from the baseline (a
 * tensor is either freed or leaked, there is no noise), and the heaps and DOM end within the
 * stated tolerance of where they started (median of the first three vs the last three samples).
 */
export function judgeFlatness(samples: SoakSample[], limits: FlatnessLimits): FlatnessVerdict {
  const after = samples.filter((s) => s.analyses >= limits.warmupAnalyses);
  if (after.length < 2) throw new Error(`too few samples after ${limits.warmupAnalyses} warm-up analyses: ${after.length}`);
  const failures: string[] = [];
  const base = after[0]!;
  for (const s of after) {
    if (s.numTensors !== base.numTensors)
      failures.push(`tensor count ${base.numTensors} after ${base.analyses} analyses, ${s.numTensors} after ${s.analyses}`);
    if (s.numBytes !== base.numBytes)
      failures.push(`tensor bytes ${base.numBytes} after ${base.analyses} analyses, ${s.numBytes} after ${s.analyses}`);
  }
  const js = after.map((s) => s.jsHeapPageBytes + s.jsHeapWorkersBytes);
  const jsGrowth = edge(js, 'end') - edge(js, 'start');
  if (jsGrowth > limits.jsHeapToleranceBytes)
    failures.push(
      `JS heap grew ${(jsGrowth / MiB).toFixed(2)} MiB (limit ${(limits.jsHeapToleranceBytes / MiB).toFixed(2)} MiB)`,
    );
  const wasm = after.every((s) => s.wasmHeapBytes !== null) ? after.map((s) => s.wasmHeapBytes!) : null;
  if (wasm) {
    const wasmGrowth = wasm[wasm.length - 1]! - wasm[0]!;
    if (wasmGrowth > limits.wasmHeapToleranceBytes)
      failures.push(
        `WASM heap grew ${(wasmGrowth / MiB).toFixed(2)} MiB (limit ${(limits.wasmHeapToleranceBytes / MiB).toFixed(2)} MiB)`,
      );
  }
  const dom = after.map((s) => s.domNodes);
  const domGrowth = edge(dom, 'end') - edge(dom, 'start');
  if (domGrowth > limits.domNodeTolerance) failures.push(`DOM grew by ${domGrowth} nodes (limit ${limits.domNodeTolerance})`);
  return {
    ok: failures.length === 0,
    // A leak shows at every sample: the first few say enough.
    failures: failures.length > 6 ? [...failures.slice(0, 5), `… ${failures.length - 5} more`] : failures,
    baselineAnalyses: base.analyses,
    tensors: range(after.map((s) => s.numTensors)),
    tensorBytes: range(after.map((s) => s.numBytes)),
    jsHeapBytes: range(js),
    wasmHeapBytes: wasm ? range(wasm) : null,
    domNodes: range(dom),
  };
}
