/**
 * The app's own record of its network requests since load, for the Privacy panel. Sources:
 * Resource Timing of the page (everything the page itself loaded), the page's fetch calls (with
 * method and whether a body was sent), and the service worker's report of every request it handled
 * (this includes the analysis worker's downloads of model files).
 */

import { NETWORK_CHANNEL, type NetworkRecord } from './network-record';

export { NETWORK_CHANNEL, type NetworkRecord };

type Listener = (records: readonly NetworkRecord[]) => void;

class NetworkLog {
  private records: NetworkRecord[] = [];
  private listeners = new Set<Listener>();
  private started = false;

  start(): void {
    if (this.started || typeof window === 'undefined') return;
    this.started = true;
    const origin = performance.timeOrigin;
    const add = (e: PerformanceEntry) => {
      const r = e as PerformanceResourceTiming;
      // fetch() calls are recorded by the wrapper below, with their method.
      if (r.initiatorType === 'fetch') return;
      this.push({
        time: origin + r.startTime,
        method: 'GET',
        url: r.name,
        kind: r.initiatorType || 'navigation',
        source: 'page',
        hasBody: false,
      });
    };
    for (const e of performance.getEntriesByType('navigation')) add(e);
    try {
      new PerformanceObserver((list) => list.getEntries().forEach(add)).observe({ type: 'resource', buffered: true });
    } catch {
      performance.getEntriesByType('resource').forEach(add);
    }
    const nativeFetch = window.fetch.bind(window);
    window.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
      const req = input instanceof Request ? input : null;
      const method = (init?.method ?? req?.method ?? 'GET').toUpperCase();
      const url = req ? req.url : new URL(typeof input === 'string' ? input : (input as URL).href, document.baseURI).toString();
      this.push({
        time: Date.now(),
        method,
        url,
        kind: 'fetch',
        source: 'page',
        hasBody: init?.body != null || (req?.body ?? null) !== null,
      });
      return nativeFetch(input, init);
    };
    if (typeof BroadcastChannel === 'function') {
      new BroadcastChannel(NETWORK_CHANNEL).onmessage = (ev: MessageEvent) => {
        const d = ev.data as Partial<NetworkRecord> | null;
        if (d && typeof d.url === 'string' && typeof d.method === 'string' && typeof d.time === 'number')
          this.push({
            time: d.time,
            method: d.method,
            url: d.url,
            kind: String(d.kind ?? ''),
            source: 'service-worker',
            hasBody: d.hasBody === true,
          });
      };
    }
  }

  private push(r: NetworkRecord): void {
    this.records.push(r);
    for (const l of this.listeners) l(this.records);
  }

  get all(): readonly NetworkRecord[] {
    return this.records;
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    l(this.records);
    return () => this.listeners.delete(l);
  }
}

export const networkLog = new NetworkLog();

/** True when the request went to the app's own origin (or stayed in memory: blob:/data:). */
export function isOwnOrigin(url: string, origin: string): boolean {
  if (url.startsWith('blob:') || url.startsWith('data:')) return true;
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}
