/**
 * Cross-origin isolation from the service worker, for static hosts that cannot send headers.
 *
 * WebAssembly threads need SharedArrayBuffer, which browsers grant only to pages served with
 * `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp`.
 * A hospital web server can send them (scripts/serve.mjs shows all the headers to send); a plain
 * static host often cannot. The app's service worker therefore adds them
 * to every same-origin response it serves, so from the second visit on (the first one installs the
 * worker) the page is isolated and the analysis uses every core. Where the host already sends
 * them, nothing changes.
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

/** `response` with the isolation headers; opaque and error responses pass through unchanged. */
export function withIsolationHeaders(response: Response): Response {
  if (response.type === 'opaque' || response.type === 'opaqueredirect' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(ISOLATION_HEADERS)) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
