/**
 * The decisions of `npm test`'s system check (scripts/system-deps.mjs): given what a machine has,
 * what is missing, whether the check may install it, and which commands it prints on each platform.
 * The probing itself (files, PATH, Python) runs for real in scripts/fresh-machine-test.sh.
 */
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  PYTHON_MODULES,
  describeMissing,
  detectPlatform,
  findMissing,
  installPlan,
  nothingMissing,
  whyNotAutomatic,
  type Access,
  type Facts,
} from '../../../scripts/system-deps.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const ALL_MODULES = PYTHON_MODULES.map((m) => m.module);

/** A machine with everything; each test takes away what it is about. */
function complete(overrides: Partial<Facts> = {}): Facts {
  return {
    platform: 'debian',
    chromium: { envPath: undefined, envPathUsable: false, systemUsable: true, playwrightInstalled: false },
    fonts: true,
    python: { path: '/usr/bin/python3', usable: true, missingModules: [] },
    clang: true,
    wasmLd: true,
    relaxedClang: true,
    relaxedWasmLd: true,
    pdftotext: true,
    cjkFont: true,
    ...overrides,
  };
}

/** Debootstrap's minbase plus Node: nothing the suite needs. */
function bare(platform: Facts['platform'] = 'debian'): Facts {
  return complete({
    platform,
    chromium: { envPath: undefined, envPathUsable: false, systemUsable: false, playwrightInstalled: false },
    fonts: false,
    python: { path: '/usr/bin/python3', usable: false, missingModules: [] },
    clang: false,
    wasmLd: false,
    relaxedClang: false,
    relaxedWasmLd: false,
    pdftotext: false,
    cjkFont: false,
  });
}

const ROOT_ACCESS: Access = { root: true, passwordlessSudo: false, hasApt: true };
const USER_NO_SUDO: Access = { root: false, passwordlessSudo: false, hasApt: true };
const USER_SUDO: Access = { root: false, passwordlessSudo: true, hasApt: true };

describe('detectPlatform', () => {
  it.each([
    ['ID=debian\nVERSION_CODENAME=bookworm\n', 'debian'],
    ['ID=raspbian\nID_LIKE=debian\n', 'debian'],
    ['ID=ubuntu\nID_LIKE=debian\n', 'ubuntu'],
    ['ID=linuxmint\nID_LIKE="ubuntu debian"\n', 'ubuntu'],
    ['ID="fedora"\n', 'fedora'],
    ['ID="rocky"\nID_LIKE="rhel centos fedora"\n', 'fedora'],
    ['ID=arch\n', 'arch'],
    ['ID=manjaro\nID_LIKE=arch\n', 'arch'],
    ['ID=alpine\n', 'other'],
  ])('%j on Linux is %s', (osRelease, platform) => {
    expect(detectPlatform('linux', osRelease)).toBe(platform);
  });

  it('knows macOS without os-release, and calls everything unknown other', () => {
    expect(detectPlatform('darwin', undefined)).toBe('macos');
    expect(detectPlatform('linux', undefined)).toBe('other');
    expect(detectPlatform('win32', undefined)).toBe('other');
  });
});

describe('findMissing', () => {
  it('finds nothing on a complete machine', () => {
    expect(nothingMissing(findMissing(complete()))).toBe(true);
  });

  it('accepts each of the three Chromiums playwright.config.ts uses', () => {
    const via = (chromium: Facts['chromium']) => findMissing(complete({ chromium })).requirements;
    const none = { envPath: undefined, envPathUsable: false, systemUsable: false, playwrightInstalled: false };
    expect(via({ ...none, envPath: '/opt/chrome/chrome', envPathUsable: true })).toEqual([]);
    expect(via({ ...none, systemUsable: true })).toEqual([]);
    expect(via({ ...none, playwrightInstalled: true })).toEqual([]);
    expect(via(none)).toEqual(['chromium']);
  });

  it('treats a CHROMIUM_PATH that points nowhere as a setting to fix, not a package to install', () => {
    const missing = findMissing(
      complete({ chromium: { envPath: '/nope', envPathUsable: false, systemUsable: true, playwrightInstalled: false } }),
    );
    expect(missing.requirements).toEqual([]);
    expect(missing.badChromiumPath).toBe('/nope');
    expect(nothingMissing(missing)).toBe(false);
    expect(describeMissing(missing).join('\n')).toContain('CHROMIUM_PATH=/nope');
  });

  it('lists every Python module when the interpreter itself is missing, and only the absent ones otherwise', () => {
    expect(findMissing(bare()).pythonModules).toEqual(ALL_MODULES);
    const some = findMissing(complete({ python: { path: '/usr/bin/python3', usable: true, missingModules: ['mypy', 'torch'] } }));
    // In the declared order, whatever order the probe reported.
    expect(some.pythonModules).toEqual(['torch', 'mypy']);
    expect(describeMissing(some)).toEqual([expect.stringContaining('Python modules torch, mypy for /usr/bin/python3')]);
  });

  it('does not ask macOS for a font file', () => {
    expect(findMissing(complete({ platform: 'macos', fonts: false })).requirements).toEqual([]);
    expect(findMissing(complete({ fonts: false })).requirements).toEqual(['fonts']);
  });

  it('says what each missing thing is for', () => {
    const lines = describeMissing(findMissing(bare()));
    expect(lines).toHaveLength(9);
    expect(lines[0]).toMatch(/^Chromium: the browser tests/);
    expect(lines[2]).toMatch(/^Python 3 \(\/usr\/bin\/python3\): the training tests/);
    expect(lines[4]).toMatch(/^wasm-ld \(lld\): /);
    expect(lines[5]).toMatch(/^clang 16 or later .*Relaxed-SIMD/);
    expect(lines[6]).toMatch(/^wasm-ld of that clang \(lld-19\): /);
    expect(lines[7]).toMatch(/^pdftotext \(poppler\): the report print test/);
    expect(lines[8]).toMatch(/^a Chinese font: /);
  });
});

describe('installPlan on Debian', () => {
  const everything =
    'apt-get install -y --no-install-recommends chromium fonts-dejavu-core python3 clang lld clang-19 lld-19 poppler-utils fonts-wqy-microhei ' +
    'python3-torch python3-torchvision python3-pytest python3-numpy python3-pil python3-tqdm ' +
    'python3-jsonschema python3-sklearn python3-scipy flake8 mypy python3-typeshed python3-pydicom';

  it('installs everything with apt as root, and prints the same command', () => {
    const plan = installPlan(findMissing(bare()), 'debian', ROOT_ACCESS);
    expect(plan.automatic).toBe(true);
    expect(plan.steps).toEqual([
      ['apt-get', 'update'],
      ['env', 'DEBIAN_FRONTEND=noninteractive', ...everything.split(' ')],
    ]);
    expect(plan.commands).toEqual(['apt-get update', everything]);
  });

  it('uses sudo without a password prompt for a user who has it', () => {
    const plan = installPlan(findMissing(bare()), 'debian', USER_SUDO);
    expect(plan.automatic).toBe(true);
    expect(plan.steps[1]?.slice(0, 3)).toEqual(['sudo', 'env', 'DEBIAN_FRONTEND=noninteractive']);
  });

  it('stops with the sudo command for a user without sudo, or without apt-get', () => {
    for (const access of [USER_NO_SUDO, { ...USER_SUDO, hasApt: false }]) {
      const plan = installPlan(findMissing(bare()), 'debian', access);
      expect(plan.automatic).toBe(false);
      expect(plan.steps).toEqual([]);
      expect(plan.commands).toEqual(['sudo apt-get update', `sudo ${everything}`]);
    }
    expect(whyNotAutomatic('debian', { ...USER_NO_SUDO, optedOut: false }, findMissing(bare()))).toMatch(/sudo/);
  });

  it('asks only for what is missing', () => {
    const missing = findMissing(
      complete({ clang: false, python: { path: '/usr/bin/python3', usable: true, missingModules: ['jsonschema'] } }),
    );
    expect(installPlan(missing, 'debian', ROOT_ACCESS).commands).toEqual([
      'apt-get update',
      'apt-get install -y --no-install-recommends clang python3-jsonschema',
    ]);
  });

  it('installs modules for a PYTHON of your own with its pip, never with apt', () => {
    const missing = findMissing(
      complete({ python: { path: '/opt/venv/bin/python', usable: true, missingModules: ['torch', 'PIL'] } }),
    );
    const plan = installPlan(missing, 'debian', ROOT_ACCESS);
    expect(plan.automatic).toBe(false);
    expect(plan.commands).toEqual(['/opt/venv/bin/python -m pip install torch pillow']);
    expect(whyNotAutomatic('debian', { ...ROOT_ACCESS, optedOut: false }, missing)).toMatch(/PYTHON=/);
  });

  it('reports a PYTHON that does not run instead of installing Debian python3 for it', () => {
    const missing = findMissing(complete({ python: { path: '/opt/nope/python', usable: false, missingModules: [] } }));
    expect(missing.requirements).toEqual([]);
    expect(missing.badPython).toBe('/opt/nope/python');
    const plan = installPlan(missing, 'debian', ROOT_ACCESS);
    expect(plan.automatic).toBe(false);
    expect(plan.commands).toEqual([]);
    expect(plan.notes).toEqual([expect.stringContaining('Point PYTHON at a Python 3 interpreter')]);
  });
});

describe('installPlan elsewhere', () => {
  it('on Ubuntu takes Chromium from Playwright (the deb is a snap wrapper) and the rest from apt', () => {
    const plan = installPlan(findMissing(bare('ubuntu')), 'ubuntu', ROOT_ACCESS);
    expect(plan.automatic).toBe(true);
    expect(plan.commands[1]).toMatch(/^apt-get install -y --no-install-recommends fonts-dejavu-core python3 clang lld /);
    expect(plan.commands[1]).not.toMatch(/ chromium/);
    expect(plan.commands[2]).toBe('npx playwright install --with-deps chromium-headless-shell');
    expect(plan.steps[2]).toEqual(['npx', 'playwright', 'install', '--with-deps', 'chromium-headless-shell']);
  });

  it('on Fedora prints dnf plus a virtual environment for the Python modules, even as root', () => {
    const missing = findMissing(bare('fedora'));
    const plan = installPlan(missing, 'fedora', { root: false, passwordlessSudo: true, hasApt: false });
    expect(plan.automatic).toBe(false);
    expect(plan.commands).toEqual([
      'sudo dnf install -y chromium dejavu-sans-fonts python3 clang lld poppler-utils wqy-microhei-fonts',
      'python3 -m venv ~/.venvs/lymphscope',
      '~/.venvs/lymphscope/bin/python -m pip install torch torchvision pytest numpy pillow tqdm jsonschema scikit-learn scipy flake8 mypy types-Pillow types-tqdm types-jsonschema pydicom',
    ]);
    expect(plan.notes).toEqual([
      'export CHROMIUM_PATH=/usr/bin/chromium-browser',
      'export RELAXED_CC=clang   # any clang 16 or later builds the Relaxed-SIMD kernels',
      'export PYTHON=~/.venvs/lymphscope/bin/python',
    ]);
    expect(whyNotAutomatic('fedora', { ...ROOT_ACCESS, optedOut: false }, missing)).toMatch(/only installs on Debian\/Ubuntu/);
  });

  it('on Arch prints pacman', () => {
    const plan = installPlan(findMissing(complete({ platform: 'arch', wasmLd: false, fonts: false })), 'arch', USER_NO_SUDO);
    expect(plan.commands).toEqual(['sudo pacman -S --needed --noconfirm ttf-dejavu lld']);
  });

  it('on macOS prints Playwright, Homebrew LLVM on PATH, and the virtual environment', () => {
    const plan = installPlan(findMissing(bare('macos')), 'macos', USER_NO_SUDO);
    expect(plan.automatic).toBe(false);
    expect(plan.commands.slice(0, 2)).toEqual([
      'npx playwright install chromium-headless-shell',
      'brew install python llvm lld poppler',
    ]);
    expect(plan.notes[0]).toContain('$(brew --prefix llvm)/bin');
  });

  it('elsewhere still names every command it can and what to get by hand', () => {
    const plan = installPlan(findMissing(bare('other')), 'other', ROOT_ACCESS);
    expect(plan.automatic).toBe(false);
    expect(plan.commands[0]).toBe('npx playwright install chromium-headless-shell');
    expect(plan.notes.join('\n')).toMatch(/clang and lld/);
  });

  it('lets a Debian user opt out of the install', () => {
    expect(whyNotAutomatic('debian', { ...ROOT_ACCESS, optedOut: true }, findMissing(bare()))).toMatch(/LYMPHSCOPE_NO_INSTALL/);
  });
});

describe('check-system-deps.mjs', () => {
  it('stops within seconds with the command when told not to install and clang is not found', () => {
    const started = Date.now();
    const run = spawnSync(process.execPath, ['scripts/check-system-deps.mjs', '--no-install'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, CC: '/nonexistent/clang' },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('clang: the kernel check compiles');
    expect(run.stderr).toContain('LYMPHSCOPE_NO_INSTALL');
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
