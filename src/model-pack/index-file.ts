/** `public/models/index.json`: the list of packs the app offers. */

import { isPackRelativePath, resolvePackUrl } from './pack-url';

export interface PackIndexEntry {
  id: string;
  /** Manifest URL, relative to index.json, inside its folder (see `isPackRelativePath`). */
  path: string;
  title: string;
}

export interface PackIndex {
  formatVersion: 1;
  default: string;
  packs: PackIndexEntry[];
}

export class PackIndexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PackIndexError';
  }
}

export function parsePackIndex(json: unknown): PackIndex {
  const fail = (what: string): never => {
    throw new PackIndexError(`Model pack index: ${what}`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('must be an object');
  const o = json as Record<string, unknown>;
  if (o.formatVersion !== 1) fail('field "formatVersion" must be 1');
  if (!Array.isArray(o.packs) || o.packs.length === 0) fail('field "packs" must be a non-empty array');
  const packs = (o.packs as unknown[]).map((p, i) => {
    if (typeof p !== 'object' || p === null) return fail(`field "packs[${i}]" must be an object`);
    const e = p as Record<string, unknown>;
    if (typeof e.id !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(e.id)) fail(`field "packs[${i}].id" must be a pack id`);
    // Parsed, not pattern-matched: `\\host`, a leading space or tab and `ht\ntp:` all resolve to
    // another origin once the URL parser has tidied them (pack-url.ts).
    if (!isPackRelativePath(e.path)) fail(`field "packs[${i}].path" must be a relative path inside the index's folder`);
    if (typeof e.title !== 'string' || !e.title) fail(`field "packs[${i}].title" must be a non-empty string`);
    return { id: e.id as string, path: e.path as string, title: e.title as string };
  });
  const def = typeof o.default === 'string' ? o.default : fail('field "default" must be a pack id');
  if (!packs.some((p) => p.id === def)) fail(`field "default" names "${def}", which is not in "packs"`);
  return { formatVersion: 1, default: def, packs };
}

/**
 * The manifest URL of the pack `wanted` (if listed), else of the index's default pack. Both the
 * index URL and the result must obey the pack address rule; `PackUrlError` otherwise.
 */
export function manifestUrlFor(index: PackIndex, indexUrl: string, wanted: string | null): string {
  const entry = index.packs.find((p) => p.id === wanted) ?? index.packs.find((p) => p.id === index.default)!;
  const base = resolvePackUrl(indexUrl, indexUrl);
  return resolvePackUrl(entry.path, base);
}
