/**
 * The Chinese catalogue mirrors the English one key for key (the type system already insists),
 * every function takes the same arguments and returns a non-empty string, and the text is in fact
 * Chinese rather than English left in place.
 */
import { describe, expect, it } from 'vitest';
import { en } from '../../../src/i18n/en';
import { zh } from '../../../src/i18n/zh';

type Node = string | ((...a: never[]) => string) | readonly string[] | { [k: string]: Node };

const HAN = /[\u4e00-\u9fff]/;
/** Keys whose value is legitimately the same in both languages (names, codes). */
const SAME = new Set(['appName', 'privacy.sourceSw', 'probabilityOf', 'result.percent', 'clinical.descriptors.notRecorded']);

function walk(a: Node, b: Node, path: string, out: string[]): void {
  if (typeof a === 'function') {
    expect(typeof b, path).toBe('function');
    const fb = b as (...x: unknown[]) => string;
    expect(fb.length, `${path} arity`).toBe(a.length);
    const args = Array.from({ length: a.length }, (_, i) => (i % 2 ? 3 : 'x'));
    const s = fb(...args);
    expect(typeof s === 'string' && s.length > 0, path).toBe(true);
    if (!HAN.test(s) && !SAME.has(path)) out.push(path);
    return;
  }
  if (typeof a === 'string') {
    expect(typeof b, path).toBe('string');
    expect((b as string).length, path).toBeGreaterThan(0);
    if (!HAN.test(b as string) && !SAME.has(path)) out.push(path);
    return;
  }
  if (Array.isArray(a)) {
    expect(Array.isArray(b), path).toBe(true);
    expect((b as string[]).length, path).toBe(a.length);
    a.forEach((x, i) => walk(x, (b as string[])[i]!, `${path}[${i}]`, out));
    return;
  }
  expect(Object.keys(b as object).sort(), path).toEqual(Object.keys(a as object).sort());
  for (const k of Object.keys(a as object))
    walk((a as Record<string, Node>)[k]!, (b as Record<string, Node>)[k]!, path ? `${path}.${k}` : k, out);
}

describe('Chinese catalogue', () => {
  it('has every English key, with matching shapes, in Chinese', () => {
    const untranslated: string[] = [];
    walk(en as unknown as Node, zh as unknown as Node, '', untranslated);
    expect(untranslated).toEqual([]);
  });
});
