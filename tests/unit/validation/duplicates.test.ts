import { describe, expect, it } from 'vitest';
import { DigestError, findDuplicates, sha256Hex } from '../../../src/validation';

const H = (c: string) => c.repeat(64);

describe('content duplicates', () => {
  it('groups equal digests and flags the ones under two classes first', () => {
    const r = findDuplicates([
      { path: '2d/0/a.jpg', sha256: H('a'), classLabel: '0' },
      { path: '2d/0/a-copy.jpg', sha256: H('A'), classLabel: '0' },
      { path: '2d/1/b.jpg', sha256: H('b'), classLabel: '1' },
      { path: '2d/2/b.jpg', sha256: H('b'), classLabel: '2' },
      { path: '2d/2/c.jpg', sha256: H('c'), classLabel: '2' },
    ]);
    expect(r.groups).toEqual([
      { sha256: H('b'), paths: ['2d/1/b.jpg', '2d/2/b.jpg'], classLabels: ['1', '2'], acrossClasses: true },
      { sha256: H('a'), paths: ['2d/0/a.jpg', '2d/0/a-copy.jpg'], classLabels: ['0'], acrossClasses: false },
    ]);
    expect(r.redundantFiles).toBe(2);
    expect(r.acrossClassGroups).toBe(1);
  });

  it('finds none in distinct files, and refuses something that is not a digest', () => {
    expect(findDuplicates([{ path: 'a', sha256: H('1'), classLabel: '0' }]).groups).toEqual([]);
    expect(() => findDuplicates([{ path: 'bad.jpg', sha256: 'xyz', classLabel: '0' }])).toThrow(DigestError);
  });

  it('hashes bytes as SHA-256 hex', async () => {
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});
