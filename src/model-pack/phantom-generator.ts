/**
 * The phantom generator version a pack was trained on (`training.phantomGenerator.version`,
 * optional, default 1; docs/phantoms.md). The app's demo cases use it, so a pack trained on
 * generator version 2 is shown version-2 nodes and the bundled (version 1) pack keeps its own.
 */

import { PHANTOM_GENERATOR_VERSIONS, isPhantomGeneratorVersion, type PhantomGeneratorVersion } from '../domain';

/**
 * Reads and checks the version in a manifest's `training` object. Returns the problem (field path
 * and message) instead of throwing, so parseManifest can report it as its own error type.
 */
export function readPhantomGeneratorVersion(
  training: unknown,
): { version: PhantomGeneratorVersion } | { field: string; problem: string } {
  if (typeof training !== 'object' || training === null) return { version: 1 };
  const gen = (training as Record<string, unknown>).phantomGenerator;
  if (gen === undefined) return { version: 1 };
  if (typeof gen !== 'object' || gen === null || Array.isArray(gen)) {
    return { field: 'training.phantomGenerator', problem: 'must be an object' };
  }
  const v = (gen as Record<string, unknown>).version;
  if (v === undefined) return { version: 1 };
  if (!isPhantomGeneratorVersion(v)) {
    return { field: 'training.phantomGenerator.version', problem: `must be one of ${PHANTOM_GENERATOR_VERSIONS.join(', ')}` };
  }
  return { version: v };
}

/** The generator version of a parsed manifest (parseManifest has already refused a bad one). */
export function phantomGeneratorVersion(manifest: { training: Record<string, unknown> }): PhantomGeneratorVersion {
  const r = readPhantomGeneratorVersion(manifest.training);
  return 'version' in r ? r.version : 1;
}
