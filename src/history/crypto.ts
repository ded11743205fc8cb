/**
 * Encryption at rest: PBKDF2-SHA-256 derives an AES-256-GCM key from the passphrase. The key is
 * non-extractable and lives only in memory while the history is unlocked. Every sealed value has its
 * own random 96-bit IV; the record's store and id are bound in as additional data, so a ciphertext
 * cannot be moved to another record unnoticed.
 */

export const DEFAULT_ITERATIONS = 600_000;
const CHECK_TEXT = 'lymphscope-history-key-check-v1';

export interface LockInfo {
  kdf: 'PBKDF2-SHA-256';
  iterations: number;
  salt: Uint8Array;
  /** CHECK_TEXT sealed with the key: tells a wrong passphrase from a right one without touching any case. */
  check: SealedBytes;
}

export interface SealedBytes {
  iv: Uint8Array;
  ct: Uint8Array;
}

const subtle = () => {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new Error('WebCrypto is not available (the page must be served over HTTPS or from localhost).');
  return s;
};

const enc = new TextEncoder();
const dec = new TextDecoder();
const buf = (u: Uint8Array): ArrayBuffer => u.slice().buffer;

export async function deriveKey(passphrase: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  const base = await subtle().importKey('raw', enc.encode(passphrase), 'PBKDF2', false, ['deriveKey']);
  return subtle().deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: buf(salt), iterations },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

export async function sealBytes(key: CryptoKey, plain: Uint8Array, aad: string): Promise<SealedBytes> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await subtle().encrypt({ name: 'AES-GCM', iv: buf(iv), additionalData: enc.encode(aad) }, key, buf(plain));
  return { iv, ct: new Uint8Array(ct) };
}

/** Throws (OperationError) when the key is wrong or the data was altered. */
export async function openBytes(key: CryptoKey, sealed: SealedBytes, aad: string): Promise<Uint8Array> {
  const pt = await subtle().decrypt(
    { name: 'AES-GCM', iv: buf(sealed.iv), additionalData: enc.encode(aad) },
    key,
    buf(sealed.ct),
  );
  return new Uint8Array(pt);
}

export const sealJson = (key: CryptoKey, value: unknown, aad: string) => sealBytes(key, enc.encode(JSON.stringify(value)), aad);

export async function openJson(key: CryptoKey, sealed: SealedBytes, aad: string): Promise<unknown> {
  return JSON.parse(dec.decode(await openBytes(key, sealed, aad)));
}

export async function createLock(
  passphrase: string,
  iterations = DEFAULT_ITERATIONS,
): Promise<{ key: CryptoKey; lock: LockInfo }> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const key = await deriveKey(passphrase, salt, iterations);
  const check = await sealBytes(key, enc.encode(CHECK_TEXT), 'check');
  return { key, lock: { kdf: 'PBKDF2-SHA-256', iterations, salt, check } };
}

/** The key for `passphrase`, or null when the passphrase is wrong. */
export async function tryUnlock(passphrase: string, lock: LockInfo): Promise<CryptoKey | null> {
  const key = await deriveKey(passphrase, lock.salt, lock.iterations);
  try {
    const text = dec.decode(await openBytes(key, lock.check, 'check'));
    return text === CHECK_TEXT ? key : null;
  } catch {
    return null;
  }
}

export function isSealedBytes(v: unknown): v is SealedBytes {
  const o = v as Partial<SealedBytes> | null;
  return typeof o === 'object' && o !== null && o.iv instanceof Uint8Array && o.iv.length === 12 && o.ct instanceof Uint8Array;
}

export function isLockInfo(v: unknown): v is LockInfo {
  const o = v as Partial<LockInfo> | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    o.kdf === 'PBKDF2-SHA-256' &&
    typeof o.iterations === 'number' &&
    Number.isInteger(o.iterations) &&
    o.iterations >= 1000 &&
    o.salt instanceof Uint8Array &&
    o.salt.length >= 16 &&
    isSealedBytes(o.check)
  );
}

const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/** True when `a` and `b` are the same passphrase record (or both absent): its salt and check value are unique to it. */
export function sameLock(a: LockInfo | null, b: LockInfo | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.iterations === b.iterations &&
    bytesEqual(a.salt, b.salt) &&
    bytesEqual(a.check.iv, b.check.iv) &&
    bytesEqual(a.check.ct, b.check.ct)
  );
}

/** Shortest passphrase accepted, in characters (code points, surrounding spaces not counted). */
export const MIN_PASSPHRASE_CHARS = 12;
/** Fewest different characters: "aaaaaaaaaaaa" or "121212121212" is not a passphrase. */
export const MIN_PASSPHRASE_DISTINCT = 5;

/**
 * The strength rule for a new passphrase: at least 12 characters, at least 5 of them different.
 * A PBKDF2-hashed passphrase that short still falls to an offline guesser with the stored salt and
 * check value; four unrelated words pass the rule and are far out of reach.
 */
export function isStrongPassphrase(passphrase: string): boolean {
  const chars = [...passphrase.trim()];
  return chars.length >= MIN_PASSPHRASE_CHARS && new Set(chars).size >= MIN_PASSPHRASE_DISTINCT;
}
