#!/usr/bin/env node
/**
 * Compiles src/runtime/conv/kernels.c into the two binaries the runtime loads:
 *
 *   kernels.wasm          imports a plain memory   (tfjs's single-threaded wasm build)
 *   kernels-threads.wasm  imports a shared memory  (tfjs's threaded build, cross-origin isolated pages)
 *
 * Both are committed, so neither `npm start` nor `npm test` needs a C compiler. With `--check` the
 * script compiles into a temporary folder and fails if the committed binaries differ from the
 * source (CI installs Debian's clang and lld for this).
 *
 * Every binary is also checked for what would let it damage the tfjs heap it borrows: it may import
 * nothing but env.memory and may carry no data segment and no start function.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'runtime', 'conv');
const source = join(dir, 'kernels.c');
const clang = process.env.CC ?? 'clang';
const common = [
  '--target=wasm32',
  '-O3',
  '-msimd128',
  '-mbulk-memory',
  '-nostdlib',
  '-Wl,--no-entry',
  '-Wl,--import-memory',
  '-Wl,-z,stack-size=0',
  '-Wl,--strip-all',
];
const builds = {
  'kernels.wasm': common,
  'kernels-threads.wasm': [...common, '-matomics', '-Wl,--shared-memory', '-Wl,--max-memory=4294967296'],
};
const EXPORTS = [
  'direct_conv',
  'direct_filter_size',
  'direct_pack_filter',
  'wino_conv',
  'wino_filter_size',
  'wino_transform_filter',
  'wino_work_size',
];

/** Section ids present in a wasm binary (1 type … 8 start … 11 data, 12 data count). */
function sectionIds(bytes) {
  const ids = [];
  let at = 8;
  const leb = () => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[at++];
      result |= (b & 0x7f) << shift;
      if (!(b & 0x80)) return result >>> 0;
      shift += 7;
    }
  };
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = leb();
    ids.push(id);
    at += size;
  }
  return ids;
}

function validate(name, bytes) {
  const module = new WebAssembly.Module(bytes);
  const imports = WebAssembly.Module.imports(module);
  if (imports.length !== 1 || imports[0].module !== 'env' || imports[0].name !== 'memory' || imports[0].kind !== 'memory')
    throw new Error(`${name}: must import only env.memory, imports ${JSON.stringify(imports)}`);
  const exports = WebAssembly.Module.exports(module)
    .filter((e) => e.kind === 'function')
    .map((e) => e.name)
    .sort();
  if (JSON.stringify(exports) !== JSON.stringify(EXPORTS)) throw new Error(`${name}: exports ${exports.join(', ')}`);
  const ids = sectionIds(bytes);
  for (const [id, what] of [
    [8, 'a start function'],
    [11, 'a data segment'],
    [12, 'a data count section'],
  ])
    if (ids.includes(id)) throw new Error(`${name}: has ${what}, which would write into the tfjs heap`);
}

function build(outDir) {
  for (const [name, flags] of Object.entries(builds)) {
    execFileSync(clang, [...flags, '-o', join(outDir, name), source], { stdio: 'inherit' });
    validate(name, readFileSync(join(outDir, name)));
  }
}

if (process.argv.includes('--check')) {
  const tmp = mkdtempSync(join(tmpdir(), 'lymphscope-kernels-'));
  try {
    build(tmp);
    for (const name of Object.keys(builds)) {
      if (!readFileSync(join(tmp, name)).equals(readFileSync(join(dir, name))))
        throw new Error(`${name} is out of date with kernels.c: run npm run build:kernels and commit it`);
    }
    console.log('convolution kernel binaries match their source');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
} else {
  build(dir);
  for (const name of Object.keys(builds)) console.log(`wrote ${join(dir, name)} (${readFileSync(join(dir, name)).length} bytes)`);
}
