/**
 * Errors of the case history, each with a stable code the UI turns into a translated sentence.
 * Nothing here is Svelte- or DOM-specific beyond DOMException names.
 */

export type HistoryErrorCode =
  | 'unavailable' // IndexedDB missing or refused (some private modes, disabled storage)
  | 'quota' // the browser refused to store more
  | 'blocked' // another tab holds an older version of the database open
  | 'version' // the database was written by a newer version of the app
  | 'locked' // protected by a passphrase that has not been entered
  | 'wrong-passphrase'
  | 'weak-passphrase' // a new passphrase shorter than the strength rule allows
  | 'not-found'
  | 'corrupt' // a stored record failed validation or decryption
  | 'failed';

export class HistoryError extends Error {
  constructor(
    readonly code: HistoryErrorCode,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'HistoryError';
  }
}

export type ImportErrorCode = 'too-large' | 'not-json' | 'wrong-format' | 'unsupported-version' | 'no-cases' | 'invalid-case';

/** A rejected import file. `path` names the offending field, e.g. `cases[2].results.bmode.crop`. */
export class ImportError extends Error {
  constructor(
    readonly code: ImportErrorCode,
    message: string,
    readonly path?: string,
  ) {
    super(message);
    this.name = 'ImportError';
  }
}

/** A value that does not have the shape it must have; `path` locates it. */
export class InvalidDataError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'InvalidDataError';
  }
}

/** Maps anything IndexedDB throws to a HistoryError with a meaningful code. */
export function toHistoryError(e: unknown, context: string): HistoryError {
  if (e instanceof HistoryError) return e;
  const name = (e as { name?: unknown } | null)?.name;
  const message = (e as { message?: unknown } | null)?.message;
  const detail = typeof message === 'string' && message ? message : String(e);
  if (name === 'QuotaExceededError') return new HistoryError('quota', `${context}: storage quota exceeded`, detail);
  if (name === 'VersionError')
    return new HistoryError('version', `${context}: the history was written by a newer version`, detail);
  if (name === 'InvalidStateError' || name === 'SecurityError' || name === 'UnknownError')
    return new HistoryError('unavailable', `${context}: browser storage is unavailable`, detail);
  return new HistoryError('failed', `${context} failed`, detail);
}
