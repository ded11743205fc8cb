/**
 * Cross-origin isolation and the Content-Security-Policy from the service worker, for static hosts
 * that cannot send headers.
 *
 * WebAssembly threads need SharedArrayBuffer, which browsers grant only to pages served with
 * `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp`.
 * A hospital web server can send them (scripts/serve.mjs shows all the headers to send); a plain
 * static host often cannot. The app's service worker therefore adds them
 * to every same-origin response it serves, so from the second visit on (the first one installs the
 * worker) the page is isolated and the analysis uses every core. Where the host already sends
 * them, nothing changes.
 *
 * The same goes for the CSP (csp.ts): a <meta> policy covers the page only, and cannot say
 * frame-ancestors; a worker's policy comes from its script's own response. The service worker
 * therefore puts the policy on each response it serves, so the page and every worker started by a
 * controlled page run under it. (A first visit, before the service worker is installed, has the
 * page's <meta> policy only; its workers still obey the pack address rule: model-pack/pack-url.ts.)
 */
import { cspFor } from './csp';

export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

/**
 * `response` with the isolation and security headers (a CSP the host sent is replaced by the
 * app's own, which is the same where the host follows scripts/serve.mjs); opaque and error
 * responses pass through unchanged.
 */
export function withIsolationHeaders(response: Response): Response {
  if (response.type === 'opaque' || response.type === 'opaqueredirect' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(ISOLATION_HEADERS)) headers.set(name, value);
  headers.set('Content-Security-Policy', cspFor(headers.get('Content-Type')));
  headers.set('X-Content-Type-Options', 'nosniff');
  headers.set('Referrer-Policy', 'no-referrer');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
