/**
 * The demo case is generated with the phantom generator version the loaded pack was trained on
 * (manifest `training.phantomGenerator.version`, default 1), so a pack is shown nodes like its own
 * training data: the bundled pack (version 1) keeps version 1's demo cases.
 */
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateCase } from '../../../../src/phantoms';
import { fixturePackDir } from '../../runtime/helpers';
import { startApp } from './harness';

/** The fixture pack with `training.phantomGenerator` set (the manifest is not among the hashed files). */
async function packDeclaring(phantomGenerator: unknown): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), 'lymphscope-generator-')), 'pack');
  await cp(await fixturePackDir(), dir, { recursive: true });
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { training?: Record<string, unknown> };
  manifest.training = { ...manifest.training, phantomGenerator };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return pathToFileURL(join(dir, 'manifest.json')).href;
}

describe('demo cases follow the pack’s phantom generator version', () => {
  for (const [declared, version] of [
    [undefined, 1],
    [{ commit: 'abc', uncommittedChanges: false }, 1],
    [{ version: 2 }, 2],
  ] as const) {
    it(`pack declaring ${JSON.stringify(declared)} → generator ${version}`, async () => {
      const { app } = await startApp(declared === undefined ? {} : { manifestUrl: await packDeclaring(declared) });
      await app.loadDemoCase('metastatic');
      const { seed } = app.demo!;
      const expected = generateCase({ seed, cls: 'metastatic', version });
      const shown = app.session.slots.bmode.image!;
      expect(shown.pixels.width).toBe(expected.images.bmode.width);
      expect(Buffer.from(shown.pixels.data).equals(Buffer.from(expected.images.bmode.data))).toBe(true);
      expect(shown.pixelSpacingMm).toEqual({ x: expected.pixelSpacingMm, y: expected.pixelSpacingMm });
    });
  }
});
