/**
 * The adaptation worker: head re-fitting with cross-validation and bootstrap CIs is seconds of
 * arithmetic that must not freeze the page. Stored packs are read from IndexedDB, bundled ones
 * over the network (within the pack address rule).
 */

import { fetchLocalPack, resolvePackUrl, type FetchLike } from '../model-pack';
import { createAdaptHandler, type AdaptPost } from './adapt-handler';

interface Scope {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<unknown>) => void): void;
  location: { href: string };
}
const scope = self as unknown as Scope;
const post: AdaptPost = (r, transfer) => scope.postMessage(r, transfer ?? []);
const origin = scope.location.href;
// Stored packs first, then the network, within the pack address rule (as the import worker reads them).
const fetchFn: FetchLike = async (url) => (await fetchLocalPack(url)) ?? fetch(resolvePackUrl(url, origin));
const handle = createAdaptHandler(post, fetchFn);
scope.addEventListener('message', (event) => void handle(event.data));
