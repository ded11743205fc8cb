import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Linter } from 'eslint';
import ts from 'typescript-eslint';
// @ts-expect-error the lint rule is plain JavaScript without type declarations
import { MAY_IMPORT, roomsPlugin } from '../../../eslint/rooms.js';

const srcDir = path.resolve('src');
const linter = new Linter({ configType: 'flat' });

function problems(file: string, code: string): string[] {
  const messages = linter.verify(
    code,
    [
      {
        files: ['**/*.ts'],
        plugins: { rooms: roomsPlugin(srcDir) },
        rules: { 'rooms/boundaries': 'error' },
        languageOptions: { sourceType: 'module', parser: ts.parser },
      },
    ],
    { filename: path.join(srcDir, file) },
  );
  return messages.map((m) => m.message);
}

describe('room boundaries lint rule', () => {
  it('lets a room import an allowed room through its index', () => {
    expect(problems('runtime/engine.ts', "import { x } from '../model-pack';")).toEqual([]);
    expect(problems('ui/components/A.ts', "import { x } from '../../runtime';")).toEqual([]);
    expect(problems('ui/components/A.ts', "import { t } from '../../i18n/index.svelte';")).toEqual([]);
  });

  it('refuses an internal file of another room', () => {
    const [why] = problems('ui/components/A.ts', "import { Engine } from '../../runtime/engine';");
    expect(why).toMatch(/through its index\.ts.*engine/);
  });

  it('refuses a room the table does not allow, however it is reached', () => {
    expect(problems('history/record.ts', "import type { R } from '../runtime';")[0]).toMatch(/may not import src\/runtime/);
    expect(problems('domain/ids.ts', "export * from '../model-pack';")[0]).toMatch(/may not import/);
    expect(problems('imaging/a.ts', "const m = import('../ui');")[0]).toMatch(/may not import/);
  });

  it('does not mistake a folder named like a room for the room', () => {
    expect(problems('ui/components/report/ReportView.ts', "import H from '../history/HistoryPanel.svelte';")).toEqual([]);
    expect(problems('runtime/conv/pool.ts', "import { c } from '../engine';")).toEqual([]);
  });

  it('ignores packages and files outside src/', () => {
    expect(problems('imaging/a.ts', "import x from 'dicom-parser';")).toEqual([]);
    expect(problems('imaging/a.ts', "import x from '../../scripts/thing';")).toEqual([]);
  });

  it('names an unknown room', () => {
    expect(problems('newroom/a.ts', "import { x } from '../domain';")[0]).toMatch(/not a room/);
  });

  it('lists only rooms that exist as folders', async () => {
    const { readdirSync } = await import('node:fs');
    const folders = readdirSync(srcDir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(Object.keys(MAY_IMPORT as Record<string, string[]>).sort()).toEqual(folders);
  });
});
