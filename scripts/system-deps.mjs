/**
 * What `npm test` needs from the machine beyond Node and node_modules, and how to get it on each
 * platform. Pure functions only: scripts/check-system-deps.mjs gathers the facts (files, PATH,
 * Python modules, os-release, root/sudo) and acts on the answers; tests/unit/scripts/system-deps.test.ts
 * checks the answers for machines this repository never runs on. Types: system-deps.d.mts.
 */

/** Python modules the training tests and their lint/type/schema checks import, with the package that brings each. */
export const PYTHON_MODULES = [
  { module: 'torch', apt: 'python3-torch', pip: 'torch' },
  { module: 'torchvision', apt: 'python3-torchvision', pip: 'torchvision' },
  { module: 'pytest', apt: 'python3-pytest', pip: 'pytest' },
  { module: 'numpy', apt: 'python3-numpy', pip: 'numpy' },
  { module: 'PIL', apt: 'python3-pil', pip: 'pillow' },
  { module: 'tqdm', apt: 'python3-tqdm', pip: 'tqdm' },
  { module: 'jsonschema', apt: 'python3-jsonschema', pip: 'jsonschema' },
  // The parity test of the validation metrics recomputes them with an independent implementation.
  { module: 'sklearn', apt: 'python3-sklearn', pip: 'scikit-learn' },
  // The node finder's training and evaluation label connected components and distances (scipy.ndimage).
  { module: 'scipy', apt: 'python3-scipy', pip: 'scipy' },
  // The Debian packages named after the tools also bring their command-line entry points.
  { module: 'flake8', apt: 'flake8', pip: 'flake8' },
  { module: 'mypy', apt: 'mypy', pip: 'mypy' },
  // mypy type-checks training/ against these libraries' stubs; Debian ships them all in one
  // package that apt would only bring as a recommendation of mypy.
  { module: 'PIL-stubs', apt: 'python3-typeshed', pip: 'types-Pillow' },
  { module: 'tqdm-stubs', apt: 'python3-typeshed', pip: 'types-tqdm' },
  { module: 'jsonschema-stubs', apt: 'python3-typeshed', pip: 'types-jsonschema' },
  // The DICOM export test reads the exported files with a second, independent DICOM reader.
  { module: 'pydicom', apt: 'python3-pydicom', pip: 'pydicom' },
];

/** The interpreter the Python tests use unless PYTHON names another (scripts/test-python.sh). */
export const DEFAULT_PYTHON = '/usr/bin/python3';
/** Debian's Chromium, which playwright.config.ts uses when CHROMIUM_PATH is unset. */
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/**
 * Everything the suite needs, in the order it is reported. `apt` is Debian's package (also
 * Ubuntu's, except Chromium: see installPlan). Why each is needed is part of every message.
 */
export const REQUIREMENTS = [
  {
    id: 'chromium',
    what: 'Chromium',
    why: 'the browser tests (tests/browser) drive a real Chromium',
    apt: 'chromium',
  },
  {
    id: 'fonts',
    what: 'a font',
    why: 'Chromium needs at least one font to lay out text in the browser tests',
    apt: 'fonts-dejavu-core',
  },
  {
    id: 'python',
    what: 'Python 3',
    why: 'the training tests (training/tests) and their lint, type and schema checks run on Python, with torch, torchvision, pytest, numpy, PIL, tqdm, jsonschema, scikit-learn, flake8 and mypy',
    apt: 'python3',
  },
  {
    id: 'clang',
    what: 'clang',
    why: 'the kernel check compiles src/runtime/conv/kernels.c to WebAssembly and compares it with the committed binaries',
    apt: 'clang',
  },
  {
    id: 'wasm-ld',
    what: 'wasm-ld (lld)',
    why: 'clang links the WebAssembly kernels with wasm-ld',
    apt: 'lld',
  },
  {
    id: 'relaxed-clang',
    what: 'clang 16 or later (clang-19, or RELAXED_CC)',
    why: 'the kernel check also compiles the Relaxed-SIMD kernels, whose standard opcodes clang before 16 cannot emit',
    apt: 'clang-19',
  },
  {
    id: 'relaxed-wasm-ld',
    what: 'wasm-ld of that clang (lld-19)',
    why: 'clang-19 links the Relaxed-SIMD kernels with its own wasm-ld',
    apt: 'lld-19',
  },
  {
    id: 'pdftotext',
    what: 'pdftotext (poppler)',
    why: 'the report print test reads the position of every word of the printed PDF to find clipped or overlapping text',
    apt: 'poppler-utils',
  },
  {
    id: 'cjk-font',
    what: 'a Chinese font',
    why: 'the report print test lays out the Chinese report, which needs real Chinese glyphs',
    apt: 'fonts-wqy-microhei',
  },
];

/**
 * Which platform's install commands apply.
 * @param {string} nodePlatform process.platform
 * @param {string | undefined} osRelease the text of /etc/os-release (Linux), if readable
 */
export function detectPlatform(nodePlatform, osRelease) {
  if (nodePlatform === 'darwin') return 'macos';
  if (nodePlatform !== 'linux' || osRelease === undefined) return 'other';
  const fields = parseOsRelease(osRelease);
  const ids = [fields.ID ?? '', ...(fields.ID_LIKE ?? '').split(/\s+/)].filter(Boolean);
  // Ubuntu first: its derivatives (Mint, Pop!_OS) also name debian in ID_LIKE, but share Ubuntu's
  // archive, where `chromium` is only a wrapper around a snap.
  if (ids.includes('ubuntu')) return 'ubuntu';
  if (ids.includes('debian')) return 'debian';
  if (ids.some((id) => id === 'fedora' || id === 'rhel' || id === 'centos')) return 'fedora';
  if (ids.includes('arch')) return 'arch';
  return 'other';
}

/** @param {string} text */
export function parseOsRelease(text) {
  /** @type {Record<string, string>} */
  const fields = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    fields[match[1]] = match[2].replace(/^(["'])(.*)\1$/, '$2');
  }
  return fields;
}

/**
 * Where the test run will find Chromium, mirroring playwright.config.ts: CHROMIUM_PATH, else
 * Debian's /usr/bin/chromium, else Playwright's own headless shell.
 * @param {{ envPath: string | undefined, envPathUsable: boolean, systemUsable: boolean, playwrightInstalled: boolean }} facts
 */
export function chromiumStatus(facts) {
  if (facts.envPath) return facts.envPathUsable ? { ok: true, source: 'CHROMIUM_PATH' } : { ok: false, badEnv: true };
  if (facts.systemUsable) return { ok: true, source: SYSTEM_CHROMIUM };
  if (facts.playwrightInstalled) return { ok: true, source: "Playwright's own Chromium" };
  return { ok: false, badEnv: false };
}

/**
 * What is missing, given what was found.
 * @param {import('./system-deps.d.mts').Facts} facts
 */
export function findMissing(facts) {
  const chromium = chromiumStatus(facts.chromium);
  /** @type {import('./system-deps.d.mts').Missing} */
  const missing = {
    requirements: [],
    pythonModules: [],
    python: facts.python.path,
    customPython: facts.python.path !== DEFAULT_PYTHON,
    badChromiumPath: chromium.ok ? undefined : chromium.badEnv ? facts.chromium.envPath : undefined,
    badPython: undefined,
  };
  if (!chromium.ok && !chromium.badEnv) missing.requirements.push('chromium');
  if (!facts.fonts && facts.platform !== 'macos') missing.requirements.push('fonts');
  if (!facts.python.usable && missing.customPython) {
    // PYTHON names an interpreter that is not there: a setting to fix, not a package to install.
    missing.badPython = facts.python.path;
  } else if (!facts.python.usable) {
    missing.requirements.push('python');
    // An interpreter that is not there has none of the modules either.
    missing.pythonModules = PYTHON_MODULES.map((m) => m.module);
  } else {
    missing.pythonModules = PYTHON_MODULES.map((m) => m.module).filter((m) => facts.python.missingModules.includes(m));
  }
  if (!facts.clang) missing.requirements.push('clang');
  if (!facts.wasmLd) missing.requirements.push('wasm-ld');
  if (!facts.relaxedClang) missing.requirements.push('relaxed-clang');
  if (!facts.relaxedWasmLd) missing.requirements.push('relaxed-wasm-ld');
  if (!facts.pdftotext) missing.requirements.push('pdftotext');
  // macOS ships Chinese fonts.
  if (!facts.cjkFont && facts.platform !== 'macos') missing.requirements.push('cjk-font');
  return missing;
}

/** @param {import('./system-deps.d.mts').Missing} missing */
export function nothingMissing(missing) {
  return (
    missing.requirements.length === 0 && missing.pythonModules.length === 0 && !missing.badChromiumPath && !missing.badPython
  );
}

/** One line per missing thing, saying what it is for. @param {import('./system-deps.d.mts').Missing} missing */
export function describeMissing(missing) {
  const lines = [];
  if (missing.badChromiumPath)
    lines.push(`CHROMIUM_PATH=${missing.badChromiumPath} is not an executable file: the browser tests would use it`);
  if (missing.badPython) lines.push(`PYTHON=${missing.badPython} does not run: the training tests would use it`);
  for (const id of missing.requirements) {
    const req = REQUIREMENTS.find((r) => r.id === id);
    if (!req) continue;
    const what = id === 'python' ? `${req.what} (${missing.python})` : req.what;
    lines.push(`${what}: ${req.why}`);
  }
  if (missing.pythonModules.length > 0 && !missing.requirements.includes('python'))
    lines.push(
      `Python modules ${missing.pythonModules.join(', ')} for ${missing.python}: the training tests and their lint, type and schema checks import them`,
    );
  return lines;
}

/** @param {string[]} words */
function shellJoin(words) {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * How to install what is missing on `platform`: `steps` are argv lists the checker may run itself
 * (only where `automatic` is true: Debian/Ubuntu with apt, as root or with passwordless sudo);
 * `commands` are the same steps as one would type them, printed when the checker cannot run them.
 * `notes` are settings to make afterwards (they cannot be installed).
 * @param {import('./system-deps.d.mts').Missing} missing
 * @param {import('./system-deps.d.mts').Platform} platform
 * @param {{ root: boolean, passwordlessSudo: boolean, hasApt: boolean }} access
 */
export function installPlan(missing, platform, access) {
  const sudo = access.root ? [] : ['sudo'];
  const has = (/** @type {string} */ id) => missing.requirements.includes(id);
  /** @type {string[][]} */
  const steps = [];
  /** @type {string[]} */
  const commands = [];
  /** @type {string[]} */
  const notes = [];
  // Modules go to the interpreter the tests use: Debian's packages only reach /usr/bin/python3.
  const modulesViaPip = missing.customPython || (platform !== 'debian' && platform !== 'ubuntu');
  const pipNames = PYTHON_MODULES.filter((m) => missing.pythonModules.includes(m.module)).map((m) => m.pip);

  if (missing.badChromiumPath)
    notes.push(`Point CHROMIUM_PATH at a Chromium executable, or unset it (now: ${missing.badChromiumPath}).`);
  if (missing.badPython) notes.push(`Point PYTHON at a Python 3 interpreter, or unset it (now: ${missing.badPython}).`);

  if (platform === 'debian' || platform === 'ubuntu') {
    const packages = REQUIREMENTS.filter((r) => has(r.id))
      // Ubuntu's `chromium` deb only installs a snap, which does not run in containers or CI.
      .filter((r) => !(platform === 'ubuntu' && r.id === 'chromium'))
      .map((r) => r.apt);
    if (!modulesViaPip)
      packages.push(...PYTHON_MODULES.filter((m) => missing.pythonModules.includes(m.module)).map((m) => m.apt));
    // One package may serve several needs (python3-typeshed: every library's stubs).
    packages.splice(0, packages.length, ...new Set(packages));
    if (packages.length > 0) {
      steps.push([...sudo, 'apt-get', 'update']);
      steps.push([
        ...sudo,
        'env',
        'DEBIAN_FRONTEND=noninteractive',
        'apt-get',
        'install',
        '-y',
        '--no-install-recommends',
        ...packages,
      ]);
      commands.push(shellJoin([...sudo, 'apt-get', 'update']));
      commands.push(shellJoin([...sudo, 'apt-get', 'install', '-y', '--no-install-recommends', ...packages]));
    }
    if (platform === 'ubuntu' && has('chromium')) {
      // Playwright's own build, with the libraries it needs from Ubuntu's archive.
      const step = ['npx', 'playwright', 'install', '--with-deps', 'chromium-headless-shell'];
      steps.push(step);
      commands.push(shellJoin(step));
    }
  } else if (platform === 'fedora') {
    const rpms = [];
    if (has('chromium')) rpms.push('chromium');
    if (has('fonts')) rpms.push('dejavu-sans-fonts');
    if (has('python')) rpms.push('python3');
    if (has('clang')) rpms.push('clang');
    if (has('wasm-ld') || has('relaxed-wasm-ld')) rpms.push('lld');
    if (has('relaxed-clang') && !rpms.includes('clang')) rpms.push('clang');
    if (has('pdftotext')) rpms.push('poppler-utils');
    if (has('cjk-font')) rpms.push('wqy-microhei-fonts');
    if (rpms.length > 0) commands.push(shellJoin([...sudo, 'dnf', 'install', '-y', ...rpms]));
    // Fedora's Chromium is /usr/bin/chromium-browser, which playwright.config.ts does not look for.
    if (has('chromium')) notes.push('export CHROMIUM_PATH=/usr/bin/chromium-browser');
  } else if (platform === 'arch') {
    const pkgs = [];
    if (has('chromium')) pkgs.push('chromium');
    if (has('fonts')) pkgs.push('ttf-dejavu');
    if (has('python')) pkgs.push('python');
    if (has('clang')) pkgs.push('clang');
    if (has('wasm-ld') || has('relaxed-wasm-ld')) pkgs.push('lld');
    if (has('relaxed-clang') && !pkgs.includes('clang')) pkgs.push('clang');
    if (has('pdftotext')) pkgs.push('poppler');
    if (has('cjk-font')) pkgs.push('wqy-microhei');
    if (pkgs.length > 0) commands.push(shellJoin([...sudo, 'pacman', '-S', '--needed', '--noconfirm', ...pkgs]));
  } else {
    // macOS and the rest: Playwright's own Chromium; LLVM from Homebrew on macOS (Apple's clang
    // has no wasm32 target).
    if (has('chromium')) commands.push('npx playwright install chromium-headless-shell');
    const brew = [];
    if (platform === 'macos' && has('python')) brew.push('python');
    if (platform === 'macos' && (has('clang') || has('relaxed-clang'))) brew.push('llvm');
    if (platform === 'macos' && (has('wasm-ld') || has('relaxed-wasm-ld'))) brew.push('lld');
    if (platform === 'macos' && has('pdftotext')) brew.push('poppler');
    if (brew.length > 0) {
      commands.push(shellJoin(['brew', 'install', ...brew]));
      if (has('clang')) notes.push('export PATH="$(brew --prefix llvm)/bin:$(brew --prefix lld)/bin:$PATH"');
    }
    if (platform === 'other' && (has('python') || has('clang') || has('wasm-ld') || has('fonts')))
      notes.push('Install Python 3, a font, and LLVM with clang and lld (wasm-ld) with your system package manager.');
    if (platform === 'other' && (has('pdftotext') || has('cjk-font')))
      notes.push('Install poppler (pdftotext) and a Chinese font (e.g. WenQuanYi Micro Hei) with your system package manager.');
  }

  // Outside Debian/Ubuntu the packaged clang is already 16 or later: the relaxed builds use it too.
  if (platform !== 'debian' && platform !== 'ubuntu' && has('relaxed-clang'))
    notes.push('export RELAXED_CC=clang   # any clang 16 or later builds the Relaxed-SIMD kernels');

  if (modulesViaPip && pipNames.length > 0) {
    if (missing.customPython) {
      commands.push(shellJoin([missing.python, '-m', 'pip', 'install', ...pipNames]));
    } else {
      // A virtual environment outside the repository, so nothing of it is linted or committed.
      commands.push('python3 -m venv ~/.venvs/lymphscope');
      // `~` stays unquoted so that the shell expands it.
      commands.push(`~/.venvs/lymphscope/bin/python ${shellJoin(['-m', 'pip', 'install', ...pipNames])}`);
      notes.push('export PYTHON=~/.venvs/lymphscope/bin/python');
    }
  }

  const anything = steps.length > 0 || commands.length > 0;
  const automatic =
    anything &&
    !missing.badChromiumPath &&
    !missing.badPython &&
    !(modulesViaPip && pipNames.length > 0) &&
    (platform === 'debian' || platform === 'ubuntu') &&
    access.hasApt &&
    (access.root || access.passwordlessSudo);
  return { automatic, steps: automatic ? steps : [], commands, notes };
}

/**
 * Why the checker will not install by itself, for the message that replaces the install.
 * @param {import('./system-deps.d.mts').Platform} platform
 * @param {{ root: boolean, passwordlessSudo: boolean, hasApt: boolean, optedOut: boolean }} access
 * @param {import('./system-deps.d.mts').Missing} missing
 */
export function whyNotAutomatic(platform, access, missing) {
  if (access.optedOut) return 'LYMPHSCOPE_NO_INSTALL is set';
  if (missing.badChromiumPath) return 'CHROMIUM_PATH names no executable';
  if (missing.badPython) return 'PYTHON names no working interpreter';
  if (missing.customPython && missing.pythonModules.length > 0)
    return `PYTHON=${missing.python} is not Debian's interpreter, so its modules come from pip`;
  if (platform !== 'debian' && platform !== 'ubuntu') return `it only installs on Debian/Ubuntu (this is ${platform})`;
  if (!access.hasApt) return 'apt-get was not found';
  return 'not root, and sudo is missing or asks for a password';
}
