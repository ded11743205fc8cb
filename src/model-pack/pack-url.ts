/**
 * The one rule for model pack addresses, shared by the page (`?models=`, the pack index), the
 * inference worker (every pack file it downloads) and the service worker (what it routes and keeps
 * offline): a pack file is a plain http(s) URL on the app's own origin, inside a `models` folder,
 * with no credentials, query or fragment.
 *
 * The check runs on the raw text first, because `new URL()` quietly repairs what a hostile index
 * could send: it strips leading and trailing spaces and control characters, deletes tabs and
 * newlines anywhere (`ht\ntp://evil` becomes `http://evil`) and reads `\` as `/` (`\\evil` becomes
 * `//evil`, another host). Such text is refused rather than repaired. Percent escapes are refused
 * too: `%2e%2e` is `..` to the URL parser and `%2f` is `/` to many servers.
 */

export class PackUrlError extends Error {
  constructor(
    readonly address: string,
    reason: string,
  ) {
    super(`The model pack address "${printable(address)}" was refused: ${reason}.`);
    this.name = 'PackUrlError';
  }
}

/** Control characters shown as escapes, so an error message cannot be used to forge text. */
function printable(s: string): string {
  const clipped = s.length > 120 ? `${s.slice(0, 120)}…` : s;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is escaped here
  return clipped.replace(/[\u0000-\u001f\u007f-\u009f\\]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Anything `new URL()` would strip, delete or reinterpret, plus `%` (escapes) and spaces. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
const UNSAFE_TEXT = /[\u0000-\u0020\u007f-\u009f\\%\u2028\u2029\ufeff]/;
/** One path segment: starts with a letter, digit or `_` (so never `.`, `..` or a hidden file). */
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const MAX_LENGTH = 2048;

/** A path relative to a pack index or manifest: safe segments separated by `/`, nothing else. */
export function isPackRelativePath(path: unknown): path is string {
  return typeof path === 'string' && path.length > 0 && path.length <= 512 && path.split('/').every((s) => SEGMENT.test(s));
}

/**
 * Resolves `address` (absolute, or relative to `base`) and returns it if it obeys the rule; throws
 * `PackUrlError` otherwise. `base` is the page, worker or service worker location (or a pack
 * index / manifest URL that itself passed this check): its origin is the only one allowed.
 */
export function resolvePackUrl(address: string, base: string | URL): string {
  const refuse = (reason: string): never => {
    throw new PackUrlError(String(address), reason);
  };
  if (typeof address !== 'string' || address.length === 0) return refuse('it is empty');
  if (address.length > MAX_LENGTH) refuse('it is too long');
  if (UNSAFE_TEXT.test(address)) refuse('it contains a space, a control character, a backslash or a percent escape');
  // `..` is resolved away by the parser, so it is judged here, before anything can climb out of a folder.
  if (address.split(/[/?#]/).some((s) => s === '.' || s === '..')) refuse('it has a "." or ".." segment');
  let baseUrl: URL;
  let url: URL;
  try {
    baseUrl = new URL(base);
    url = new URL(address, baseUrl);
  } catch {
    return refuse('it is not a valid address');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') refuse('only http and https are allowed');
  if (url.origin !== baseUrl.origin) refuse(`it is on another origin than ${baseUrl.origin}`);
  if (url.username || url.password) refuse('it carries credentials');
  if (url.search || url.hash || address.includes('?') || address.includes('#')) refuse('it has a query or a fragment');
  const segments = url.pathname.split('/').slice(1);
  if (!segments.every((s) => SEGMENT.test(s))) refuse('its path has an empty, dot or unusual segment');
  const models = segments.indexOf('models');
  if (models < 0 || models === segments.length - 1) refuse('it is not inside a "models" folder');
  return url.href;
}

/** `resolvePackUrl` as a test, for routing decisions that must not throw. */
export function isPackUrl(address: string, base: string | URL): boolean {
  try {
    resolvePackUrl(address, base);
    return true;
  } catch {
    return false;
  }
}
