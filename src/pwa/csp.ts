/**
 * The Content-Security-Policies of the app, in one place (csp.json, which scripts/serve.mjs reads too
 * and sends as headers; tests/unit/pwa/csp.test.ts keeps index.html's <meta> in step), and the
 * service worker adds them to every response it serves, for static hosts that cannot send headers.
 *
 * Two policies, because a worker's policy comes from its own script's response, not from the page:
 *
 * - DOCUMENT_CSP (the page): no blob: or inline script, Trusted Types required for every script
 *   sink. The only policies allowed are `default` (pwa/trusted-types.ts: same-origin script URLs
 *   under the app's folder, for `new Worker()` and the service worker registration) and Svelte's
 *   `svelte-trusted-html` (it turns the compiled templates into DOM; no `{@html}` is used).
 *   'unsafe-inline' stays for styles: Svelte writes `style="…"` attributes and `style:` directives
 *   (and its compiled templates carry static style attributes), which a nonce or hash cannot cover.
 * - WORKER_CSP (the analysis, imaging and convolution workers): tfjs's multi-threaded WebAssembly
 *   backend starts its threads from a blob: script it builds in memory (emscripten's pthread
 *   worker), and each thread loads the backend from another blob: via importScripts; that is why
 *   blob: is allowed here (and only here). No Trusted Types in workers: the blob: thread scripts
 *   call importScripts themselves and there is no way to give them a policy. connect-src is 'self':
 *   a worker cannot reach another origin even if it were handed another origin's address.
 */

import policies from './csp.json' with { type: 'json' };

export const DOCUMENT_CSP = policies.document.join('; ');

export const WORKER_CSP = policies.worker.join('; ');

/** The policy for a response: scripts may start a worker, everything else is treated as a page. */
export function cspFor(contentType: string | null): string {
  return /javascript/i.test(contentType ?? '') ? WORKER_CSP : DOCUMENT_CSP;
}
