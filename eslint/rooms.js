/**
 * The "may import" table of ARCHITECTURE.md as a lint rule. Each folder under `src/` is a room; a
 * file may import another room only if the table allows it, and only through that room's
 * `index.ts` (or `index.svelte.ts`), so a room's internals can change without breaking others.
 * Relative specifiers are resolved against the importing file, so a folder that happens to share
 * a room's name (say `ui/components/history/`) is never mistaken for the room.
 */
import path from 'node:path';

/** Room → rooms it may import. `*` = every room. Files directly in `src/` (main.ts) may import any room. */
export const MAY_IMPORT = {
  domain: [],
  i18n: ['domain'],
  'model-pack': ['domain'],
  explain: ['domain'],
  analysis: ['domain', 'model-pack'],
  imaging: ['domain', 'model-pack'],
  phantoms: ['domain', 'imaging'],
  history: ['domain', 'model-pack'],
  report: ['domain', 'model-pack', 'history', 'analysis'],
  pwa: ['domain', 'model-pack'],
  runtime: ['domain', 'model-pack', 'imaging', 'explain', 'analysis'],
  validation: ['domain', 'model-pack', 'analysis'],
  'torch-import': ['domain', 'model-pack'],
  adaptation: ['domain', 'model-pack', 'validation', 'analysis'],
  ui: ['*'],
};

const INDEX_FILES = new Set(['index', 'index.ts', 'index.svelte', 'index.svelte.ts', 'index.js']);

/**
 * Where `specifier` (imported from `fromFile`) lands, as `{ fromRoom, toRoom, inner }`, or null when
 * it is not a relative import between two files of `srcDir`.
 */
export function classifyImport(srcDir, fromFile, specifier) {
  if (!specifier.startsWith('.')) return null;
  const fromRel = path.relative(srcDir, fromFile);
  if (fromRel.startsWith('..')) return null;
  const target = path.resolve(path.dirname(fromFile), specifier.replace(/\?.*$/, ''));
  const toRel = path.relative(srcDir, target);
  if (toRel.startsWith('..') || path.isAbsolute(toRel)) return null;
  const fromParts = fromRel.split(path.sep);
  const toParts = toRel.split(path.sep);
  const fromRoom = fromParts.length > 1 ? fromParts[0] : '.';
  const toRoom = toParts.length > 1 ? toParts[0] : toParts[0] in MAY_IMPORT ? toParts[0] : '.';
  return { fromRoom, toRoom, inner: toParts.slice(1).join('/') };
}

/** Why this import breaks the table, or null when it is allowed. */
export function boundaryViolation(cls) {
  if (cls === null || cls.fromRoom === cls.toRoom || cls.toRoom === '.') return null;
  if (cls.fromRoom !== '.') {
    const allowed = MAY_IMPORT[cls.fromRoom];
    if (allowed === undefined) return `src/${cls.fromRoom}/ is not a room of ARCHITECTURE.md; add it to eslint/rooms.js`;
    if (!allowed.includes('*') && !allowed.includes(cls.toRoom)) {
      return `src/${cls.fromRoom}/ may not import src/${cls.toRoom}/ (see the "may import" table in ARCHITECTURE.md)`;
    }
  }
  if (cls.inner !== '' && !INDEX_FILES.has(cls.inner)) {
    return `import src/${cls.toRoom}/ through its index.ts, not its internal file ${cls.inner}`;
  }
  return null;
}

/** @param {string} srcDir absolute path of `src/` */
export function roomsPlugin(srcDir) {
  const check = (context, node) => {
    if (node.source === null || node.source === undefined || typeof node.source.value !== 'string') return;
    const why = boundaryViolation(classifyImport(srcDir, context.filename, node.source.value));
    if (why !== null) context.report({ node: node.source, message: why });
  };
  return {
    rules: {
      boundaries: {
        meta: { type: 'problem', docs: { description: 'Rooms import each other only as ARCHITECTURE.md allows' }, schema: [] },
        create: (context) => ({
          ImportDeclaration: (node) => check(context, node),
          ExportNamedDeclaration: (node) => check(context, node),
          ExportAllDeclaration: (node) => check(context, node),
          ImportExpression: (node) => check(context, node),
        }),
      },
    },
  };
}
