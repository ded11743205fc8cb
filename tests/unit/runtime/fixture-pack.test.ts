import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURE_GRADCAM_LAYER, makeFixturePack } from '../../../scripts/make-fixture-pack';
import { parsePackIndex } from '../../../src/model-pack/index-file';
import { parseManifest } from '../../../src/model-pack/manifest';

async function filesUnder(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.set(relative(dir, path), await readFile(path));
  }
  return out;
}

describe('fixture pack generator', () => {
  it('writes a valid, clearly labelled v1 pack, byte-identical on every run', async () => {
    const [a, b] = [await mkdtemp(join(tmpdir(), 'fixture-a-')), await mkdtemp(join(tmpdir(), 'fixture-b-'))];
    const first = await makeFixturePack(a);
    await makeFixturePack(b);
    const filesA = await filesUnder(a);
    const filesB = await filesUnder(b);
    expect([...filesA.keys()].sort()).toEqual([...filesB.keys()].sort());
    for (const [path, bytes] of filesA) expect(bytes.equals(filesB.get(path)!), path).toBe(true);

    const manifest = parseManifest(JSON.parse(await readFile(first.manifest, 'utf8')));
    expect(manifest.fixture).toBe(true);
    expect(manifest.title).toBe('Test fixture — random weights, not a model');
    expect(Object.keys(manifest.modalities).sort()).toEqual(['bmode', 'cdfi', 'elastography']);
    expect(manifest.modalities.bmode!.gradcamLayer).toBe(FIXTURE_GRADCAM_LAYER);
    // Every file but the manifest is listed.
    const listed = manifest.files.map((f) => f.path).sort();
    expect(listed).toEqual(
      [...filesA.keys()]
        .filter((p) => p.startsWith('fixture-tiny/') && !p.endsWith('manifest.json'))
        .map((p) => p.slice('fixture-tiny/'.length))
        .sort(),
    );
    const index = parsePackIndex(JSON.parse(await readFile(first.index, 'utf8')));
    expect(index.default).toBe('fixture-tiny');
  });
});
