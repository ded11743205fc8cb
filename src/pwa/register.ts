/**
 * Registers the service worker and reports its state: "ready to work offline" after the first
 * install, "update available" when a verified new version is waiting, "update failed" when a new
 * version could not be stored (the running one stays). The new version only takes over when
 * `applyUpdate()` is called (the user pressed Reload).
 */

import { Workbox } from 'workbox-window';

export type PwaStatus = 'unsupported' | 'installing' | 'offline-ready' | 'update-available' | 'update-failed' | 'error';

export interface PwaController {
  applyUpdate(): void;
}

export function registerServiceWorker(onStatus: (s: PwaStatus, detail?: string) => void): PwaController | null {
  if (!('serviceWorker' in navigator) || (import.meta as { env?: { DEV?: boolean } }).env?.DEV) {
    onStatus('unsupported');
    return null;
  }
  const wb = new Workbox(new URL('sw.js', document.baseURI).toString(), { scope: new URL('./', document.baseURI).pathname });
  let reloading = false;
  wb.addEventListener('installed', (e) => {
    if (!e.isUpdate) {
      onStatus('offline-ready');
      // Ask the browser not to evict the offline copy and the saved cases (granted silently or not at all).
      void navigator.storage?.persist?.().catch(() => false);
    }
  });
  wb.addEventListener('waiting', () => onStatus('update-available'));
  // After "Reload" the waiting version takes over; reload this tab onto it (other tabs keep their
  // running version in memory until they reload themselves).
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (reloading) location.reload();
  });
  if (navigator.serviceWorker.controller) onStatus('offline-ready');
  else onStatus('installing');
  // An install that fails (a file missing or not matching its manifest) leaves the previous version
  // in place; on a first visit it means there is no offline copy yet.
  wb.addEventListener('redundant', () => {
    if (!navigator.serviceWorker.controller) onStatus('error', 'the offline copy could not be completed');
  });
  // An update whose install fails (storage full, the network cut mid-download, a file not matching
  // its manifest) leaves the running version and its offline copy untouched; say so, since the user
  // would otherwise never learn that the update did not arrive. A version that becomes redundant
  // after it had installed was replaced by a newer one, which is not a failure.
  const watchUpdate = (reg: ServiceWorkerRegistration) =>
    reg.addEventListener('updatefound', () => {
      const next = reg.installing;
      if (!next || !navigator.serviceWorker.controller) return;
      next.addEventListener('statechange', function failed() {
        if (next.state === 'installed' || next.state === 'activating' || next.state === 'activated') {
          next.removeEventListener('statechange', failed);
        } else if (next.state === 'redundant' && !reg.waiting) {
          // (A verified update already waiting keeps its Reload prompt.)
          onStatus('update-failed');
        }
      });
    });
  wb.register()
    .then((reg) => {
      if (reg) watchUpdate(reg);
      // e.g. after a hard reload, which bypasses the service worker: the offline copy is still there.
      if (reg?.active && !reg.installing && !reg.waiting) onStatus('offline-ready');
    })
    .catch((e: unknown) => onStatus('error', (e as Error)?.message));
  return {
    applyUpdate() {
      reloading = true;
      // A page that is not controlled yet (first visit) gets no controllerchange: reload once the
      // waiting version is active.
      void navigator.serviceWorker.getRegistration().then((reg) => {
        const waiting = reg?.waiting;
        waiting?.addEventListener('statechange', () => {
          if (waiting.state === 'activated' && !navigator.serviceWorker.controller) location.reload();
        });
        wb.messageSkipWaiting();
      });
    },
  };
}

/**
 * Asks the service worker to keep a verified offline copy of the pack the app has loaded (a no-op
 * for the bundled pack, which is part of the offline copy already). Resolves true when the copy is
 * complete.
 */
export async function cachePackForOffline(indexUrl: string, manifestUrl: string): Promise<boolean> {
  if (!('serviceWorker' in navigator)) return false;
  const reg = await navigator.serviceWorker.ready;
  if (!reg.active) return false;
  const channel = new MessageChannel();
  const reply = new Promise<boolean>(
    (ok) => (channel.port1.onmessage = (e: MessageEvent) => ok((e.data as { ok?: boolean })?.ok === true)),
  );
  reg.active.postMessage({ type: 'CACHE_PACK', indexUrl, manifestUrl }, [channel.port2]);
  return reply;
}
