/** File integrity with WebCrypto (available in browsers, workers and Node 20). */

export class IntegrityError extends Error {
  constructor(
    readonly path: string,
    readonly problem: 'size' | 'sha256' | 'missing',
    detail: string,
  ) {
    super(`Model file "${path}" ${detail}`);
    this.name = 'IntegrityError';
  }
}

export async function sha256Hex(data: ArrayBuffer | Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', data as BufferSource);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Throws `IntegrityError` unless `data` has exactly the declared size and SHA-256. */
export async function verifyFile(
  file: { path: string; bytes: number; sha256: string },
  data: ArrayBuffer | Uint8Array,
): Promise<void> {
  if (data.byteLength !== file.bytes) {
    throw new IntegrityError(file.path, 'size', `has ${data.byteLength} bytes, the manifest declares ${file.bytes}`);
  }
  const actual = await sha256Hex(data);
  if (actual !== file.sha256) {
    throw new IntegrityError(file.path, 'sha256', 'does not match its SHA-256 in the manifest (altered or corrupted)');
  }
}
