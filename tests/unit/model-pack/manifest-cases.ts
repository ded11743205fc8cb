/**
 * The shared manifest fixture (tests/fixtures/manifest-cases.json) and the JSON Schema, loaded
 * from disk as the Python tests load them. training/tests/test_manifest_schema.py applies the
 * same patches the same way.
 */

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

type Key = string | number;
type Patch = { path: Key[]; value: unknown } | { path: Key[]; delete: true };

export interface ManifestCase {
  name: string;
  patch: Patch[];
  /** The field the parser must name; null for a valid manifest. */
  field: string | null;
  /** Refused by the parser for a rule JSON Schema cannot express; the schema accepts it. */
  parserOnly?: boolean;
}

interface CaseFile {
  base: Record<string, unknown>;
  cases: ManifestCase[];
}

export const readJson = (rel: string): unknown => JSON.parse(readFileSync(resolve(ROOT, rel), 'utf8'));

export const manifestCases = readJson('tests/fixtures/manifest-cases.json') as CaseFile;
export const schema = readJson('src/domain/model-pack.schema.json') as Record<string, unknown>;

/** `{"$text": {prefix, repeat, times}}` spells long text without writing it out. */
function expand(v: unknown): unknown {
  if (typeof v === 'object' && v !== null && '$text' in v) {
    const t = (v as { $text: { prefix: string; repeat: string; times: number } }).$text;
    return t.prefix + t.repeat.repeat(t.times);
  }
  return v;
}

export function buildManifest(c: ManifestCase): unknown {
  let root: unknown = structuredClone(manifestCases.base);
  for (const p of c.patch) {
    if (p.path.length === 0) {
      root = 'value' in p ? expand(p.value) : undefined;
      continue;
    }
    let at = root as Record<Key, unknown>;
    for (const k of p.path.slice(0, -1)) at = at[k] as Record<Key, unknown>;
    const last = p.path[p.path.length - 1]!;
    if ('delete' in p) delete at[last];
    else at[last] = expand(p.value);
  }
  return root;
}

export function compileSchema() {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
  // strictRequired would refuse `required` naming keys that are checked, not declared, as the
  // fusion-weight rule does; every other strict check stays on.
  return ajv.compile(schema);
}
