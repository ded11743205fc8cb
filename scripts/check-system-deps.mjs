#!/usr/bin/env node
/**
 * `npm test`'s first step (the `pretest` script): makes sure the machine has what the suite needs
 * beyond Node and node_modules — Chromium and a font for the browser tests, Python 3 with
 * PyTorch & co. for the training tests, clang and wasm-ld for the kernel check — before any long
 * step runs.
 *
 * - Nothing missing: says nothing and exits 0 in well under a second.
 * - Missing, on Debian/Ubuntu with apt as root or with passwordless sudo: installs it with apt,
 *   saying what and why, then checks again.
 * - Otherwise (or with LYMPHSCOPE_NO_INSTALL=1 / --no-install): prints the exact commands for this
 *   platform and exits 1 within seconds.
 *
 * Needs Node alone (no npm package), so it also runs before `npm ci`. The decisions are pure
 * functions in system-deps.mjs, unit-tested in tests/unit/scripts/system-deps.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_PYTHON,
  PYTHON_MODULES,
  SYSTEM_CHROMIUM,
  describeMissing,
  detectPlatform,
  findMissing,
  installPlan,
  nothingMissing,
  whyNotAutomatic,
} from './system-deps.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const optedOut = process.argv.includes('--no-install') || Boolean(process.env.LYMPHSCOPE_NO_INSTALL);

/** @param {string} path */
function isExecutableFile(path) {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The first executable called `name` on PATH (or `name` itself if it has a slash). @param {string} name */
function onPath(name) {
  if (name.includes('/')) return isExecutableFile(name);
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && isExecutableFile(join(dir, name)));
}

/** Playwright's own headless Chromium for the revision node_modules expects, if installed. */
function playwrightChromiumInstalled() {
  const browsersJson = join(ROOT, 'node_modules', 'playwright-core', 'browsers.json');
  if (!existsSync(browsersJson)) return false;
  /** @type {{ browsers?: { name?: unknown, revision?: unknown }[] }} */
  const parsed = JSON.parse(readFileSync(browsersJson, 'utf8'));
  const shell = (parsed.browsers ?? []).find((b) => b.name === 'chromium-headless-shell');
  if (!shell || typeof shell.revision !== 'string') return false;
  // Same lookup as Playwright's registry: PLAYWRIGHT_BROWSERS_PATH, '0' meaning inside the package.
  const env = process.env.PLAYWRIGHT_BROWSERS_PATH;
  const cache =
    process.platform === 'darwin'
      ? join(homedir(), 'Library', 'Caches')
      : process.platform === 'win32'
        ? (process.env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'))
        : (process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'));
  const registry =
    env === '0' ? join(ROOT, 'node_modules', 'playwright-core', '.local-browsers') : env ? env : join(cache, 'ms-playwright');
  return existsSync(join(registry, `chromium_headless_shell-${shell.revision}`, 'INSTALLATION_COMPLETE'));
}

/** Whether any font file is installed where fontconfig looks by default. */
function haveFont() {
  const dirs = ['/usr/share/fonts', '/usr/local/share/fonts', join(homedir(), '.local', 'share', 'fonts')];
  /** @param {string} dir @param {number} depth */
  const search = (dir, depth) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return false;
    }
    for (const e of entries) {
      if (e.isFile() && /\.(ttf|otf|ttc|pfb|woff2?)$/i.test(e.name)) return true;
      if (e.isDirectory() && depth < 4 && search(join(dir, e.name), depth + 1)) return true;
    }
    return false;
  };
  return dirs.some((d) => search(d, 0));
}

/** Whether fontconfig lists a font for Chinese (what Chromium falls back to for Chinese text). */
function haveCjkFont() {
  if (process.platform === 'darwin') return true;
  const run = spawnSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8', timeout: 20_000 });
  return run.status === 0 && run.stdout.trim().length > 0;
}

/** Which of the modules `python` cannot find (without importing them: torch alone takes seconds). @param {string} python */
function probePython(python) {
  if (!onPath(python)) return { path: python, usable: false, missingModules: [] };
  const code =
    'import importlib.util, json, sys\n' + 'print(json.dumps([m for m in sys.argv[1:] if importlib.util.find_spec(m) is None]))';
  const run = spawnSync(python, ['-c', code, ...PYTHON_MODULES.map((m) => m.module)], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (run.status !== 0) return { path: python, usable: false, missingModules: [] };
  /** @type {unknown} */
  const found = JSON.parse(run.stdout.trim().split('\n').pop() ?? '[]');
  const missingModules = Array.isArray(found) ? found.filter((m) => typeof m === 'string') : [];
  return { path: python, usable: true, missingModules };
}

function probe() {
  let osRelease;
  try {
    osRelease = readFileSync('/etc/os-release', 'utf8');
  } catch {
    osRelease = undefined;
  }
  const envPath = process.env.CHROMIUM_PATH || undefined;
  return {
    platform: detectPlatform(process.platform, osRelease),
    chromium: {
      envPath,
      envPathUsable: envPath !== undefined && isExecutableFile(envPath),
      systemUsable: isExecutableFile(SYSTEM_CHROMIUM),
      // Only looked for when the other two are absent: it reads node_modules.
      playwrightInstalled: !envPath && !isExecutableFile(SYSTEM_CHROMIUM) && playwrightChromiumInstalled(),
    },
    fonts: haveFont(),
    python: probePython(process.env.PYTHON || DEFAULT_PYTHON),
    clang: onPath(process.env.CC || 'clang'),
    wasmLd: onPath('wasm-ld'),
    relaxedClang: onPath(process.env.RELAXED_CC || 'clang-19'),
    // Debian's clang-19 calls /usr/lib/llvm-19/bin/wasm-ld, which lld-19 brings with wasm-ld-19.
    relaxedWasmLd: !!process.env.RELAXED_CC || onPath('wasm-ld-19'),
    pdftotext: onPath('pdftotext'),
    cjkFont: haveCjkFont(),
  };
}

function access() {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const passwordlessSudo =
    !root && onPath('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
  return { root, passwordlessSudo, hasApt: onPath('apt-get') };
}

/** @param {string[]} lines */
function say(...lines) {
  process.stderr.write(lines.map((l) => `[system deps] ${l}\n`).join(''));
}

const facts = probe();
const missing = findMissing(facts);
if (nothingMissing(missing)) process.exit(0);

const acc = access();
const plan = installPlan(missing, facts.platform, acc);
const automatic = plan.automatic && !optedOut;

say('npm test needs, and this machine lacks:', ...describeMissing(missing).map((l) => `  - ${l}`));

if (!automatic) {
  say(
    `Not installing them automatically: ${whyNotAutomatic(facts.platform, { ...acc, optedOut }, missing)}.`,
    'Run this, then `npm test` again:',
    '',
    ...plan.commands.map((c) => `    ${c}`),
    ...plan.notes.map((n) => `    ${n}`),
    '',
  );
  process.exit(1);
}

say('Installing them now (set LYMPHSCOPE_NO_INSTALL=1 to be shown the commands instead):');
for (const step of plan.steps) {
  say(`$ ${step.join(' ')}`);
  const run = spawnSync(step[0], step.slice(1), { stdio: 'inherit' });
  if (run.status !== 0) {
    say(`That failed (exit ${run.status ?? run.signal}). Install by hand, then run \`npm test\` again:`, ...plan.commands);
    process.exit(1);
  }
}

const after = findMissing(probe());
if (!nothingMissing(after)) {
  say('Still missing after the install:', ...describeMissing(after).map((l) => `  - ${l}`));
  process.exit(1);
}
say('All system dependencies are present.');
for (const note of plan.notes) say(note);
