/**
 * The import worker: reading a checkpoint (hundreds of MB for an EfficientNet-B7), building,
 * hashing and storing a pack all happen here, never on the page's thread.
 */

import { createImportHandler, packFetch, type Post } from './import-handler';
import type { ImportRequest } from './import-protocol';

interface Scope {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<unknown>) => void): void;
  location: { href: string };
}
const scope = self as unknown as Scope;
const post: Post = (r, transfer) => scope.postMessage(r, transfer ?? []);
const handle = createImportHandler(post, packFetch(scope.location.href), scope.location.href);

scope.addEventListener('message', (event) => {
  const req = event.data as ImportRequest;
  if (typeof req !== 'object' || req === null || typeof req.id !== 'number') return;
  if (!['inspect', 'import-checkpoint', 'import-pack', 'export'].includes(req.type)) {
    post({ type: 'error', id: req.id, code: 'malformed', message: `unknown request "${String(req.type)}"` });
    return;
  }
  void handle(req);
});
