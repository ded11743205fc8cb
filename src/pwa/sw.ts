/**
 * The service worker: precaches the app shell, the tfjs WASM binaries and the bundled model pack
 * (all same-origin), serves them offline, and keeps a verified offline copy of any other
 * same-origin model pack the app has loaded (message CACHE_PACK). It never contacts another
 * origin, and it reports each request it handles on a BroadcastChannel so the Privacy panel can
 * list them.
 *
 * Every response it serves carries the cross-origin isolation headers and the app's
 * Content-Security-Policy (isolation.ts, csp.ts), so the app runs WebAssembly on every core, and
 * the page and its workers run under the policy, even where the host cannot send headers.
 *
 * Model files are served from the offline copy only after a check against their manifest; a
 * damaged copy is downloaded again, verified and replaced (offline-copy.ts).
 *
 * Updates: a new version installs in the background; its install only succeeds once every
 * precached file is downloaded and every model file is verified against its manifest. It then
 * waits until the user chooses "Reload" (message SKIP_WAITING), so a case in progress is never
 * switched to new code or a new model under its feet.
 */

import { PrecacheController, PrecacheRoute, type PrecacheEntry } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { isPackUrl, parseManifest, parsePackIndex, resolvePackUrl } from '../model-pack';
import { withIsolationHeaders } from './isolation';
import { findPackFile, verifiedOrRepaired, type CacheLookup } from './offline-copy';
import { downloadVerifiedPack, verifyCachedPacks } from './verify-packs';
import { NETWORK_CHANNEL, type NetworkRecord } from './network-record';

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

const PACK_CACHE = 'lymphscope-model-packs';

/** A file of the offline copy: the precache (app and bundled pack) or the other packs' cache. */
const lookupCopy: CacheLookup = async (url) =>
  (await precache.matchPrecache(url)) ?? (await caches.open(PACK_CACHE).then((c) => c.match(url)));

/** Downloads a file again for a repair, past every HTTP cache (the service worker's own request). */
const refetch = (url: string) => {
  const clean = new URL(url);
  clean.search = '';
  const request = new Request(clean.href, { cache: 'reload' });
  report(request, 'offline copy');
  return fetch(request);
};

// The service worker's own downloads (the offline copy) are reported too.
const precache = new PrecacheController({
  plugins: [
    {
      requestWillFetch: ({ request }) => {
        report(request, 'offline copy');
        return Promise.resolve(request);
      },
      // Model files of the bundled pack are checked against its manifest each time they are served.
      cachedResponseWillBeUsed: async ({ cacheName, request, cachedResponse }) =>
        verifiedOrRepaired({
          url: request.url,
          cached: cachedResponse,
          ref: cachedResponse && isPackFile(new URL(request.url)) ? await findPackFile(request.url, lookupCopy) : null,
          refetch: () => refetch(request.url),
          replace: (bytes, like) =>
            caches.open(cacheName).then((c) => c.put(request, new Response(bytes, { headers: like.headers }))),
        }),
      handlerWillRespond: ({ response }) => Promise.resolve(withIsolationHeaders(response)),
    },
  ],
});
// `self.__WB_MANIFEST` is replaced at build time by the list of files to precache (with revisions).
precache.addToCacheList((self as unknown as { __WB_MANIFEST: (PrecacheEntry | string)[] }).__WB_MANIFEST);

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

/**
 * Model pack files (JSON, weights, golden images) under the pack address rule (pack-url.ts); the
 * precache's revision parameter is not part of the address.
 */
function isPackFile(url: URL): boolean {
  const bare = new URL(url);
  bare.searchParams.delete('__WB_REVISION__');
  return isPackUrl(bare.href, sw.location.href) && /\.(json|bin|png)$/.test(bare.pathname);
}

const sameBytes = (a: ArrayBuffer, b: ArrayBuffer) => {
  if (a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
};

/**
 * Keeps an offline copy of a pack that is not part of the precache. The copy is only written once
 * the whole pack has been downloaded and every file verified, so an interrupted or altered update
 * never replaces a working copy.
 */
async function cachePack(indexUrl: string, manifestUrl: string): Promise<void> {
  // The page's message is checked like any outside input: the same rule as the page and the workers.
  indexUrl = resolvePackUrl(indexUrl, sw.location.href);
  manifestUrl = resolvePackUrl(manifestUrl, sw.location.href);
  if (await precache.matchPrecache(manifestUrl)) return;
  const get = (u: string, init?: RequestInit) => {
    report(new Request(u), 'offline copy');
    return fetch(u, init);
  };
  const cache = await caches.open(PACK_CACHE);
  // The pack index, so the app can find the pack offline (small; refreshed whenever online).
  const index = await get(indexUrl, { cache: 'no-cache' }).catch(() => null);
  if (index?.ok) {
    const indexBytes = await index.arrayBuffer();
    parsePackIndex(JSON.parse(new TextDecoder().decode(indexBytes)));
    await cache.put(indexUrl, new Response(indexBytes));
  }
  const fresh = await get(manifestUrl, { cache: 'no-cache' }).catch(() => null);
  if (!fresh?.ok) return; // offline or gone: keep the copy there is
  const freshBytes = await fresh.arrayBuffer();
  const cached = await cache.match(manifestUrl);
  if (cached && sameBytes(await cached.arrayBuffer(), freshBytes)) {
    const manifest = parseManifest(JSON.parse(new TextDecoder().decode(freshBytes)));
    const present = await Promise.all(manifest.files.map((f) => cache.match(resolvePackUrl(f.path, manifestUrl))));
    if (present.every(Boolean)) return; // unchanged and complete
  }
  const files = await downloadVerifiedPack(manifestUrl, (u) =>
    u === manifestUrl ? Promise.resolve(new Response(freshBytes)) : get(u),
  );
  for (const f of files) await cache.put(f.url, new Response(f.bytes));
}

sw.addEventListener('message', (event) => {
  const data = event.data as { type?: unknown; indexUrl?: unknown; manifestUrl?: unknown } | null;
  if (data?.type === 'SKIP_WAITING') void sw.skipWaiting();
  if (data?.type === 'CACHE_PACK' && typeof data.indexUrl === 'string' && typeof data.manifestUrl === 'string') {
    const port = event.ports[0];
    event.waitUntil(
      cachePack(data.indexUrl, data.manifestUrl).then(
        () => port?.postMessage({ ok: true }),
        (e: unknown) => port?.postMessage({ ok: false, error: String((e as Error)?.message ?? e) }),
      ),
    );
  }
});

// Runs before the routes below (listeners fire in registration order) and only observes.
sw.addEventListener('fetch', (event) => report(event.request, event.request.destination || 'fetch'));

registerRoute(new PrecacheRoute(precache, { ignoreURLParametersMatching: [/.*/] }));
registerRoute(new NavigationRoute(precache.createHandlerBoundToURL('index.html')));
// Other same-origin model packs (e.g. chosen with ?models=): the network first, the verified offline
// copy when the network fails. (The app verifies every model file against its manifest as well.)
registerRoute(
  ({ url, request }) => request.method === 'GET' && isPackFile(url),
  async ({ request }) => {
    try {
      return withIsolationHeaders(await fetch(request));
    } catch (e) {
      const copy = await verifiedOrRepaired({
        url: request.url,
        cached: await caches.open(PACK_CACHE).then((c) => c.match(request.url)),
        ref: await findPackFile(request.url, lookupCopy),
        refetch: () => refetch(request.url),
        replace: (bytes, like) =>
          caches.open(PACK_CACHE).then((c) => c.put(request.url, new Response(bytes, { headers: like.headers }))),
      });
      if (copy) return withIsolationHeaders(copy);
      throw e;
    }
  },
);
