/**
 * Runtime errors and the mapping from any exception to a protocol error: the UI shows
 * `message` to a clinician, so it must say what went wrong and, where possible, what to do.
 * No tfjs here, so the mapping can be tested and reused without a backend.
 */

import { IntegrityError, PackLoadError, ManifestError } from '../model-pack';
import type { ErrorCode } from './protocol';

export class RuntimeError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}

export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  if (typeof e === 'object' && e !== null && 'message' in e && typeof e.message === 'string') return e.message;
  return String(e);
}

export interface DescribeContext {
  /** Code for exceptions nothing more specific is known about (depends on the request). */
  fallbackCode: ErrorCode;
  /** True when a network fetch of a pack file failed during this request. */
  fetchFailed?: boolean;
}

/** Maps an exception to the protocol's `{ code, message }`. */
export function describeError(e: unknown, ctx: DescribeContext): { code: ErrorCode; message: string } {
  if (e instanceof RuntimeError) return { code: e.code, message: e.message };
  if (e instanceof IntegrityError) {
    return {
      code: 'pack-integrity',
      message: `${e.message}. The model pack was not used. Reload the page; if this persists, the pack on the server is damaged or has been tampered with.`,
    };
  }
  if (e instanceof ManifestError) return { code: 'pack-invalid', message: `${e.message}. The model pack was not used.` };
  if (e instanceof PackLoadError) {
    // The loader reports both unreachable files and malformed ones as PackLoadError; whether a
    // fetch failed during this request tells them apart.
    return ctx.fetchFailed
      ? { code: 'pack-unavailable', message: e.message }
      : { code: 'pack-invalid', message: `${e.message} The model pack was not used.` };
  }
  return { code: ctx.fallbackCode, message: errorText(e) };
}
