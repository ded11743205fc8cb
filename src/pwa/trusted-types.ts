/**
 * The page's Trusted Types `default` policy (the CSP requires Trusted Types for every script sink:
 * pwa/csp.ts). The app itself writes no HTML and runs no strings as code; the sinks it reaches are
 * script URLs: `new Worker(new URL(…, import.meta.url))` (analysis and imaging workers) and the
 * service worker registration (workbox-window passes a string). Those get through only when they
 * point at this origin, inside the app's folder; anything else throws. HTML and script strings get
 * no default conversion at all (Svelte's templates use its own named policy).
 *
 * Imported first by main.ts, so the policy exists before any worker is created.
 */

interface TrustedTypePolicyFactoryLike {
  createPolicy(name: string, rules: { createScriptURL?: (input: string) => string }): unknown;
}

export function appScriptUrl(input: string, baseURI: string, origin: string): string {
  const url = new URL(input, baseURI);
  const appFolder = new URL('./', baseURI).pathname;
  if (url.origin !== origin || !url.pathname.startsWith(appFolder) || url.username || url.password) {
    throw new TypeError(`Trusted Types: script URL refused (${url.origin}${url.pathname}).`);
  }
  return url.href;
}

const factory = (globalThis as { trustedTypes?: TrustedTypePolicyFactoryLike }).trustedTypes;
if (factory && typeof document !== 'undefined') {
  factory.createPolicy('default', {
    createScriptURL: (input) => appScriptUrl(input, document.baseURI, location.origin),
  });
}
