/**
 * The service worker: precaches the app shell, the tfjs WASM binaries and the bundled model pack
 * (all same-origin), serves them offline, and caches other same-origin model packs after their
 * first use. It never contacts another origin, and it reports each request it handles on a
 * BroadcastChannel so the Privacy panel can list them.
 *
 * Updates: a new version installs in the background; its install only succeeds once every
 * precached file is downloaded and every model file is verified against its manifest. It then
 * waits until the user chooses "Reload" (message SKIP_WAITING), so a case in progress is never
 * switched to new code or a new model under its feet.
 */

import { PrecacheController, PrecacheRoute, type PrecacheEntry } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { NetworkFirst } from 'workbox-strategies';
import { verifyCachedPacks } from './verify-packs';
import { NETWORK_CHANNEL, type NetworkRecord } from './network-log';

const sw = self as unknown as ServiceWorkerGlobalScope;

const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(NETWORK_CHANNEL) : null;
const report = (request: Request, kind: string) => {
  const record: NetworkRecord = {
    time: Date.now(),
    method: request.method,
    url: request.url,
    kind,
    source: 'service-worker',
    hasBody: request.method !== 'GET' && request.method !== 'HEAD',
  };
  channel?.postMessage(record);
};

// The service worker's own downloads (the offline copy) are reported too.
const precache = new PrecacheController({
  plugins: [
    {
      requestWillFetch: async ({ request }) => {
        report(request, 'offline copy');
        return request;
      },
    },
  ],
});
// `self.__WB_MANIFEST` is replaced at build time by the list of files to precache (with revisions).
precache.addToCacheList((self as unknown as { __WB_MANIFEST: (PrecacheEntry | string)[] }).__WB_MANIFEST);

const PACK_CACHE = 'lymphscope-model-packs';
sw.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      await precache.install(event);
      await verifyCachedPacks(new URL('models/index.json', sw.registration.scope).toString(), (url) =>
        precache.matchPrecache(url),
      );
    })(),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      // No clients.claim(): a page is controlled from its next load on. The first visit keeps
      // running exactly as it started, and offline navigation works regardless of control.
      await precache.activate(event);
    })(),
  );
});

sw.addEventListener('message', (event) => {
  const data = event.data as { type?: unknown } | null;
  if (data?.type === 'SKIP_WAITING') void sw.skipWaiting();
});

// Runs before the routes below (listeners fire in registration order) and only observes.
sw.addEventListener('fetch', (event) => report(event.request, event.request.destination || 'fetch'));

registerRoute(new PrecacheRoute(precache, { ignoreURLParametersMatching: [/.*/] }));
registerRoute(new NavigationRoute(precache.createHandlerBoundToURL('index.html')));
// Other same-origin model packs (e.g. chosen with ?models=): network first, cached copy offline.
// The app verifies every model file against its manifest, so a stale copy can never be used silently.
registerRoute(
  ({ url, request }) =>
    url.origin === sw.location.origin && request.method === 'GET' && /\/models\/.+\.(json|bin|png)$/.test(url.pathname),
  new NetworkFirst({ cacheName: PACK_CACHE }),
);
