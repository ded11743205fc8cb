/**
 * Images with the same bytes, by SHA-256 (hashed where the bytes are read; only the digests come
 * here). A copy inside one class inflates the set; a copy under two classes is a labelling error
 * that the mapping step must show before any number is computed.
 */

export interface HashedImage {
  path: string;
  /** Lower- or upper-case hex SHA-256 of the file's bytes. */
  sha256: string;
  classLabel: string;
}

export interface DuplicateGroup {
  sha256: string;
  paths: string[];
  classLabels: string[];
  /** The same bytes carry more than one class label. */
  acrossClasses: boolean;
}

export interface DuplicateReport {
  groups: DuplicateGroup[];
  /** Files beyond the first of each group (what removing the copies would remove). */
  redundantFiles: number;
  acrossClassGroups: number;
}

const SHA256 = /^[0-9a-f]{64}$/;

export class DigestError extends Error {
  constructor(readonly path: string) {
    super(`"${path}": not a SHA-256 digest`);
    this.name = 'DigestError';
  }
}

/** Groups of two or more files with one digest, across-class groups first, then by first path. */
export function findDuplicates(images: readonly HashedImage[]): DuplicateReport {
  const byHash = new Map<string, HashedImage[]>();
  for (const img of images) {
    const h = img.sha256.toLowerCase();
    if (!SHA256.test(h)) throw new DigestError(img.path);
    const list = byHash.get(h);
    if (list) list.push(img);
    else byHash.set(h, [img]);
  }
  const groups: DuplicateGroup[] = [];
  for (const [sha256, list] of byHash) {
    if (list.length < 2) continue;
    const classLabels = [...new Set(list.map((i) => i.classLabel))];
    groups.push({ sha256, paths: list.map((i) => i.path), classLabels, acrossClasses: classLabels.length > 1 });
  }
  groups.sort((a, b) => Number(b.acrossClasses) - Number(a.acrossClasses) || (a.paths[0]! < b.paths[0]! ? -1 : 1));
  return {
    groups,
    redundantFiles: groups.reduce((s, g) => s + g.paths.length - 1, 0),
    acrossClassGroups: groups.filter((g) => g.acrossClasses).length,
  };
}

/** Hex SHA-256 of bytes with Web Crypto (available in browsers, workers and Node ≥ 19). */
export async function sha256Hex(bytes: BufferSource): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
