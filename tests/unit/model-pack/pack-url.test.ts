import { describe, expect, it } from 'vitest';
import { manifestUrlFor, PackIndexError, parsePackIndex } from '../../../src/model-pack/index-file';
import { isPackRelativePath, isPackUrl, PackUrlError, resolvePackUrl } from '../../../src/model-pack/pack-url';

const PAGE = 'http://127.0.0.1:4173/clinic/app/';
const INDEX = 'http://127.0.0.1:4173/clinic/app/models/index.json';

/** Index paths that the URL parser turns into another origin (or out of the models folder). */
const HOSTILE_RELATIVE = [
  '\\\\127.0.0.2:9/models/x/manifest.json',
  '\\/127.0.0.2:9/models/x/manifest.json',
  '/\\127.0.0.2:9/models/x/manifest.json',
  '\t//127.0.0.2:9/models/x/manifest.json',
  ' //127.0.0.2:9/models/x/manifest.json',
  '\n//127.0.0.2:9/models/x/manifest.json',
  'ht\ntp://127.0.0.2:9/models/x/manifest.json',
  'ht\ttp://127.0.0.2:9/models/x/manifest.json',
  'http://127.0.0.2:9/models/x/manifest.json',
  'https://127.0.0.1:4173/clinic/app/models/x/manifest.json',
  '//127.0.0.2:9/models/x/manifest.json',
  '///127.0.0.2:9/models/x/manifest.json',
  'http:/127.0.0.2:9/models/x/manifest.json'.replace('http:', 'https:'),
  'data:application/json,{}',
  'blob:http://127.0.0.1:4173/abc',
  'javascript:alert(1)',
  '%2e%2e/%2e%2e/secret.json',
  '%2F%2F127.0.0.2/models/x.json',
  'x/%5c%5c127.0.0.2/manifest.json',
  '../secret/manifest.json',
  'x/../../secret.json',
  './x/manifest.json',
  '.hidden/manifest.json',
  'x//manifest.json',
  'x/manifest.json?v=1',
  'x/manifest.json#a',
  'http://user:pw@127.0.0.1:4173/clinic/app/models/x/manifest.json',
  'x/manifest.json\u2028',
  '\ufeffx/manifest.json',
  'x/manifest.json ',
  '',
];

describe('pack address rule (resolvePackUrl)', () => {
  it('accepts same-origin addresses inside a models folder', () => {
    expect(resolvePackUrl('models/index.json', PAGE)).toBe(INDEX);
    expect(resolvePackUrl('/__fixtures__/models/index.json', PAGE)).toBe('http://127.0.0.1:4173/__fixtures__/models/index.json');
    expect(resolvePackUrl('fixture-tiny/manifest.json', INDEX)).toBe(
      'http://127.0.0.1:4173/clinic/app/models/fixture-tiny/manifest.json',
    );
    expect(resolvePackUrl(INDEX, INDEX)).toBe(INDEX);
  });

  it.each(HOSTILE_RELATIVE.map((a) => [JSON.stringify(a), a]))('refuses %s', (_, address) => {
    expect(() => resolvePackUrl(address, INDEX)).toThrow(PackUrlError);
    expect(isPackUrl(address, INDEX)).toBe(false);
  });

  it('refuses same-origin files outside a models folder (any JSON is not an index)', () => {
    for (const a of ['/clinic/app/manifest.webmanifest', '/models', '/models/', '/clinic/models', '/assets/index.json']) {
      expect(() => resolvePackUrl(a, PAGE), a).toThrow(PackUrlError);
    }
  });

  it('shows control characters escaped in its message', () => {
    expect(() => resolvePackUrl('ht\ntp://evil/models/a.json', PAGE)).toThrow(/ht\\u000atp/);
  });
});

describe('pack index paths', () => {
  const index = (path: string) => ({ formatVersion: 1, default: 'p', packs: [{ id: 'p', path, title: 'P' }] });

  it.each(HOSTILE_RELATIVE.map((a) => [JSON.stringify(a), a]))('the index refuses path %s', (_, path) => {
    expect(isPackRelativePath(path)).toBe(false);
    expect(() => parsePackIndex(index(path))).toThrow(PackIndexError);
  });

  it('resolves a listed pack under the index folder, and refuses an index outside the rule', () => {
    const parsed = parsePackIndex(index('p/manifest.json'));
    expect(manifestUrlFor(parsed, INDEX, null)).toBe('http://127.0.0.1:4173/clinic/app/models/p/manifest.json');
    expect(() => manifestUrlFor(parsed, 'http://127.0.0.1:4173/clinic/app/data/index.json', null)).toThrow(PackUrlError);
  });
});
