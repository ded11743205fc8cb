/**
 * `npm run phantoms` with generator version 2 and --full, run for real: the node finder's training
 * data (whole screenshots and their masks) must stay pixel-aligned when the screen size varies with
 * the vendor layout, worker threads must not change a byte, and generator.json says what made it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { generateCase } from '../../../src/phantoms';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function run(out: string, workers: number): void {
  execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'scripts/phantoms.ts',
      '--out',
      out,
      '--per-class',
      '2',
      '--seed',
      '40',
      '--generator',
      '2',
      '--full',
      '--workers',
      String(workers),
    ],
    { cwd: ROOT, stdio: 'pipe' },
  );
}

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

const png = (path: string): PNG => PNG.sync.read(readFileSync(path));

describe('phantom CLI, generator version 2', () => {
  it('writes aligned full screenshots and masks, the same bytes with 1 or 2 workers, and its provenance', () => {
    const a = mkdtempSync(join(tmpdir(), 'lymphscope-ph2-a-'));
    const b = mkdtempSync(join(tmpdir(), 'lymphscope-ph2-b-'));
    run(a, 1);
    run(b, 2);
    const listed = files(a);
    expect(files(b)).toEqual(listed);
    for (const f of listed) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f))), f).toBe(true);

    const generator = JSON.parse(readFileSync(join(a, 'generator.json'), 'utf8')) as Record<string, unknown>;
    expect(generator.version).toBe(2);
    expect(generator.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(typeof generator.uncommittedChanges).toBe('boolean');

    // m000040: the full B-mode screenshot, its node mask and the case as the library renders it.
    const full = png(join(a, 'full', '2d', '0', 'm000040.png'));
    const mask = png(join(a, 'full', 'masks', 'm000040_node.png'));
    const pc = generateCase({ seed: 40, cls: 'metastatic', version: 2 });
    expect([full.width, full.height]).toEqual([pc.images.bmode.width, pc.images.bmode.height]);
    expect([mask.width, mask.height]).toEqual([full.width, full.height]);
    let same = 0;
    let count = 0;
    for (let i = 0; i < pc.masks.node.length; i++) {
      count += pc.masks.node[i]!;
      if ((mask.data[i * 4]! > 127 ? 1 : 0) === pc.masks.node[i]) same++;
    }
    expect(count).toBeGreaterThan(100);
    expect(same).toBe(pc.masks.node.length);
    // The ROI crop and its mask crop have the ROI's size.
    const crop = png(join(a, '2d', '0', 'm000040.png'));
    const cropMask = png(join(a, 'masks', 'm000040_node.png'));
    expect([crop.width, crop.height]).toEqual([pc.rois.bmode.width, pc.rois.bmode.height]);
    expect([cropMask.width, cropMask.height]).toEqual([crop.width, crop.height]);
    const header = readFileSync(join(a, 'labels.csv'), 'utf8').split('\n')[0]!.split(',');
    for (const column of ['probe', 'layout', 'level', 'jpegQuality', 'mattedCount']) expect(header).toContain(column);
  }, 120_000);
});
