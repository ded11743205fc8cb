/** Types of system-deps.mjs (plain JavaScript, so that the checker runs on Node alone). */

export type Platform = 'debian' | 'ubuntu' | 'fedora' | 'arch' | 'macos' | 'other';
export type RequirementId =
  'chromium' | 'fonts' | 'python' | 'clang' | 'wasm-ld' | 'relaxed-clang' | 'relaxed-wasm-ld' | 'pdftotext' | 'cjk-font';

export interface Requirement {
  id: RequirementId;
  what: string;
  why: string;
  apt: string;
}

export interface PythonModule {
  module: string;
  apt: string;
  pip: string;
}

/** What the checker found on the machine. */
export interface Facts {
  platform: Platform;
  chromium: ChromiumFacts;
  fonts: boolean;
  python: { path: string; usable: boolean; missingModules: string[] };
  clang: boolean;
  wasmLd: boolean;
  /** RELAXED_CC, else clang-19, is on PATH (scripts/build-kernels.mjs compiles the Relaxed-SIMD kernels with it). */
  relaxedClang: boolean;
  /** wasm-ld-19 is on PATH, or RELAXED_CC names a clang that brings its own. */
  relaxedWasmLd: boolean;
  pdftotext: boolean;
  /** fontconfig knows a font covering Chinese. */
  cjkFont: boolean;
}

export interface ChromiumFacts {
  envPath: string | undefined;
  envPathUsable: boolean;
  systemUsable: boolean;
  playwrightInstalled: boolean;
}

export interface Missing {
  requirements: RequirementId[];
  pythonModules: string[];
  python: string;
  customPython: boolean;
  /** CHROMIUM_PATH when it names no executable. */
  badChromiumPath: string | undefined;
  /** PYTHON when it names no working interpreter. */
  badPython: string | undefined;
}

export interface Access {
  root: boolean;
  passwordlessSudo: boolean;
  hasApt: boolean;
}

export interface Plan {
  /** Whether the checker installs by itself (`steps`) rather than stopping with `commands`. */
  automatic: boolean;
  steps: string[][];
  commands: string[];
  notes: string[];
}

export const PYTHON_MODULES: PythonModule[];
export const DEFAULT_PYTHON: string;
export const SYSTEM_CHROMIUM: string;
export const REQUIREMENTS: Requirement[];
export function detectPlatform(nodePlatform: string, osRelease: string | undefined): Platform;
export function parseOsRelease(text: string): Record<string, string>;
export function chromiumStatus(facts: ChromiumFacts): { ok: true; source: string } | { ok: false; badEnv: boolean };
export function findMissing(facts: Facts): Missing;
export function nothingMissing(missing: Missing): boolean;
export function describeMissing(missing: Missing): string[];
export function installPlan(missing: Missing, platform: Platform, access: Access): Plan;
export function whyNotAutomatic(platform: Platform, access: Access & { optedOut: boolean }, missing: Missing): string;
