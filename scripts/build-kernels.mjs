#!/usr/bin/env node
/**
 * Compiles src/runtime/conv/kernels.c into the four binaries the runtime chooses from:
 *
 *   kernels.wasm                  128-bit SIMD, imports a plain memory   (tfjs's single-threaded wasm build)
 *   kernels-threads.wasm          128-bit SIMD, imports a shared memory  (tfjs's threaded build, cross-origin isolated pages)
 *   kernels-relaxed.wasm          the same with Relaxed SIMD (fused multiply-add), plain memory
 *   kernels-relaxed-threads.wasm  the same with Relaxed SIMD, shared memory
 *
 * The runtime loads a relaxed build only where WebAssembly.validate accepts a relaxed-SIMD opcode
 * (conv/convolution.ts); the SIMD128 builds are the fallback.
 *
 * The relaxed builds need clang 16 or later: earlier versions encode relaxed SIMD with the
 * pre-standard opcodes, which no shipped engine accepts. They are compiled with `RELAXED_CC`
 * (default clang-19, Debian's clang-19 + lld-19); the SIMD128 builds stay on `CC` (default clang,
 * Debian bookworm's clang 14), so their bytes did not change when the relaxed builds were added.
 *
 * All four are committed, so neither `npm start` nor `npm test` needs a C compiler. With `--check` the
 * script compiles into a temporary folder and fails if the committed binaries differ from the
 * source (CI installs Debian's clang and lld for this).
 *
 * Every binary is also checked for what would let it damage the tfjs heap it borrows: it may import
 * nothing but env.memory and may carry no data segment and no start function.
 */
import { execFileSync } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'runtime', 'conv');
const source = join(dir, 'kernels.c');
const clang = process.env.CC ?? 'clang';
const relaxedClang = process.env.RELAXED_CC ?? 'clang-19';
// Node 20's V8 validates relaxed SIMD only behind this flag (on by default from Node 22); set
// before any module is compiled, it lets validate() below read the relaxed builds.
setFlagsFromString('--experimental-wasm-relaxed-simd');
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
const shared = ['-matomics', '-Wl,--shared-memory', '-Wl,--max-memory=4294967296'];
/** Binary → [compiler, flags]. */
const builds = {
  'kernels.wasm': [clang, common],
  'kernels-threads.wasm': [clang, [...common, ...shared]],
  'kernels-relaxed.wasm': [relaxedClang, [...common, '-mrelaxed-simd']],
  'kernels-relaxed-threads.wasm': [relaxedClang, [...common, '-mrelaxed-simd', ...shared]],
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
/** The int8 kernels exist only in the relaxed builds (they need the relaxed 8-bit dot product). */
const INT8_EXPORTS = ['q8_conv', 'q8_filter_size', 'q8_pack_filter', 'q8_quantize'];
const exportsOf = (name) => (name.includes('relaxed') ? [...EXPORTS, ...INT8_EXPORTS].sort() : EXPORTS);

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
  if (JSON.stringify(exports) !== JSON.stringify(exportsOf(name))) throw new Error(`${name}: exports ${exports.join(', ')}`);
  const ids = sectionIds(bytes);
  for (const [id, what] of [
    [8, 'a start function'],
    [11, 'a data segment'],
    [12, 'a data count section'],
  ])
    if (ids.includes(id)) throw new Error(`${name}: has ${what}, which would write into the tfjs heap`);
}

/** f32x4.relaxed_madd: SIMD prefix 0xfd, opcode 0x105 as LEB128. */
const RELAXED_MADD = Buffer.from([0xfd, 0x85, 0x02]);
/** i16x8.relaxed_dot_i8x16_i7x16_s: opcode 0x112. */
const RELAXED_DOT = Buffer.from([0xfd, 0x92, 0x02]);

function build(outDir) {
  for (const [name, [compiler, flags]] of Object.entries(builds)) {
    execFileSync(compiler, [...flags, '-o', join(outDir, name), source], { stdio: 'inherit' });
    const bytes = readFileSync(join(outDir, name));
    validate(name, bytes);
    // A relaxed build without a fused multiply-add would silently be the SIMD128 kernels again.
    if (flags.includes('-mrelaxed-simd') && !bytes.includes(RELAXED_MADD))
      throw new Error(`${name}: no f32x4.relaxed_madd in the build (is ${compiler} clang 16 or later?)`);
    if (flags.includes('-mrelaxed-simd') && !bytes.includes(RELAXED_DOT))
      throw new Error(`${name}: no i16x8.relaxed_dot_i8x16_i7x16_s in the build`);
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
