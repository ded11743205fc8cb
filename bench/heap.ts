/**
 * Peak JS heap of a page and its workers, sampled from outside through the DevTools protocol
 * (Runtime.getHeapUsage on the page and on every dedicated worker, summed). In-page APIs cannot do
 * this: performance.memory sees the page only, and measureUserAgentSpecificMemory waits for
 * threads blocked in Atomics.wait (every idle wasm pthread), up to a minute per call.
 * WebAssembly memories live outside the JS heap and are not counted (they are reported by
 * neither API); nested workers (wasm pthreads, which hold almost no JS) are not visited.
 */

import type { CDPSession, Page } from '@playwright/test';

export class HeapSampler {
  private cdp: CDPSession | null = null;
  private workers = new Set<string>();
  private nextId = 1;
  private pending = new Map<number, (r: { usedSize?: number }) => void>();
  private timer: ReturnType<typeof setInterval> | null = null;
  peakBytes = 0;
  samples = 0;

  async attach(page: Page): Promise<void> {
    const cdp = await page.context().newCDPSession(page);
    this.cdp = cdp;
    cdp.on('Target.attachedToTarget', (e: { sessionId: string; targetInfo: { type: string } }) => {
      if (e.targetInfo.type === 'worker') this.workers.add(e.sessionId);
    });
    cdp.on('Target.detachedFromTarget', (e: { sessionId: string }) => this.workers.delete(e.sessionId));
    cdp.on('Target.receivedMessageFromTarget', (e: { message: string }) => {
      const msg = JSON.parse(e.message) as { id?: number; result?: { usedSize?: number } };
      if (msg.id !== undefined) this.pending.get(msg.id)?.(msg.result ?? {});
    });
    await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  }

  private workerHeap(sessionId: string): Promise<number> {
    const id = this.nextId++;
    return new Promise<number>((resolve) => {
      const timeout = setTimeout(() => {
        this.pending.delete(id);
        resolve(0);
      }, 2000);
      this.pending.set(id, (r) => {
        clearTimeout(timeout);
        this.pending.delete(id);
        resolve(r.usedSize ?? 0);
      });
      void this.cdp!.send('Target.sendMessageToTarget', {
        sessionId,
        message: JSON.stringify({ id, method: 'Runtime.getHeapUsage' }),
      }).catch(() => resolve(0));
    });
  }

  async sample(): Promise<void> {
    if (!this.cdp) return;
    try {
      const page = (await this.cdp.send('Runtime.getHeapUsage')).usedSize;
      const workers = await Promise.all([...this.workers].map((w) => this.workerHeap(w)));
      const total = page + workers.reduce((a, b) => a + b, 0);
      this.samples++;
      this.peakBytes = Math.max(this.peakBytes, total);
    } catch {
      // the page is closing
    }
  }

  start(everyMs = 500): void {
    let busy = false;
    this.timer = setInterval(() => {
      if (busy) return;
      busy = true;
      void this.sample().finally(() => (busy = false));
    }, everyMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.sample();
  }
}
