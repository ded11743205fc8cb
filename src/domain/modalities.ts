/**
 * The modality registry: what the product knows about each imaging modality, read from
 * `modalities.json` (the same file the training code reads). Everything that differs between
 * modalities (ROI proposal, the plausibility check of an input, dataset folder names) is data here,
 * so the rest of the code never branches on a modality id. Pure data and helpers: no DOM, no tfjs.
 */

import registryJson from './modalities.json' with { type: 'json' };
import type { ModalityId } from './ids';

/** Which panel of a dual view (B-mode beside a colour-coded view) fits the slot. */
export type RoiPanel = 'least-colour' | 'most-colour';

export interface RoiStrategy {
  panel: RoiPanel;
  /** Split touching side-by-side views (strain beside B-mode); a wide CDFI image must stay whole. */
  splitDualView: boolean;
  /** Grow the region over colour-coded pixels that touch it (a Doppler or strain box at its edge). */
  includeColourBox: boolean;
}

/**
 * How an input is checked against the slot. A grayscale modality is implausible when the region
 * holds more colour than `maxColourFraction`; a colour-coded one when both the region and the whole
 * picture hold less than `minColourFraction` (an avascular node still shows its colour box and scale).
 */
export type InputCheck = { expect: 'grayscale'; maxColourFraction: number } | { expect: 'colour'; minColourFraction: number };

export interface ModalityDescriptor {
  id: ModalityId;
  /** The image is colour-coded (Doppler flow, strain) on top of, or instead of, B-mode gray. */
  colourCoded: boolean;
  roi: RoiStrategy;
  inputCheck: InputCheck;
  /** Folder names a training data set may use for it; the first is the one split files name. */
  datasetFolders: readonly string[];
}

/** The registry file is wrong; `field` names the offending entry. Thrown when the app loads. */
export class ModalityRegistryError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`Modality registry: field "${field}" ${problem}`);
    this.name = 'ModalityRegistryError';
  }
}

type Obj = Record<string, unknown>;

function obj(v: unknown, field: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ModalityRegistryError(field, 'must be an object');
  return v as Obj;
}

function bool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') throw new ModalityRegistryError(field, 'must be true or false');
  return v;
}

function fraction(v: unknown, field: string): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new ModalityRegistryError(field, 'must be a number in [0, 1]');
  return v;
}

const ID = /^[a-z][a-z0-9-]*$/;
const FOLDER = /^[\w.-]+$/;

function parseInputCheck(v: unknown, field: string, colourCoded: boolean): InputCheck {
  const o = obj(v, field);
  // The rule follows from colourCoded; stating the other bound would be a silent contradiction.
  if (colourCoded) {
    if (o.maxColourFraction !== undefined)
      throw new ModalityRegistryError(`${field}.maxColourFraction`, 'is for grayscale modalities');
    return { expect: 'colour', minColourFraction: fraction(o.minColourFraction, `${field}.minColourFraction`) };
  }
  if (o.minColourFraction !== undefined)
    throw new ModalityRegistryError(`${field}.minColourFraction`, 'is for colour-coded modalities');
  return { expect: 'grayscale', maxColourFraction: fraction(o.maxColourFraction, `${field}.maxColourFraction`) };
}

function parseRoi(v: unknown, field: string): RoiStrategy {
  const o = obj(v, field);
  if (o.panel !== 'least-colour' && o.panel !== 'most-colour') {
    throw new ModalityRegistryError(`${field}.panel`, 'must be "least-colour" or "most-colour"');
  }
  return {
    panel: o.panel,
    splitDualView: bool(o.splitDualView, `${field}.splitDualView`),
    includeColourBox: bool(o.includeColourBox, `${field}.includeColourBox`),
  };
}

/**
 * Validates a registry document (`{ modalities: [...] }`). Ids and folder names must be unique
 * (folders case-insensitively: data sets come from case-insensitive file systems too).
 */
export function parseModalityRegistry(json: unknown): readonly ModalityDescriptor[] {
  const list = obj(json, '(root)').modalities;
  if (!Array.isArray(list) || list.length === 0) throw new ModalityRegistryError('modalities', 'must be a non-empty array');
  const ids = new Set<string>();
  const folders = new Set<string>();
  return list.map((entry, i): ModalityDescriptor => {
    const f = `modalities[${i}]`;
    const o = obj(entry, f);
    if (typeof o.id !== 'string' || !ID.test(o.id)) throw new ModalityRegistryError(`${f}.id`, `must match ${String(ID)}`);
    if (ids.has(o.id)) throw new ModalityRegistryError(`${f}.id`, `repeats "${o.id}"`);
    ids.add(o.id);
    if (!Array.isArray(o.datasetFolders) || o.datasetFolders.length === 0) {
      throw new ModalityRegistryError(`${f}.datasetFolders`, 'must be a non-empty array');
    }
    const datasetFolders = o.datasetFolders.map((name: unknown, j) => {
      if (typeof name !== 'string' || !FOLDER.test(name)) {
        throw new ModalityRegistryError(`${f}.datasetFolders[${j}]`, 'must be a folder name');
      }
      if (folders.has(name.toLowerCase())) throw new ModalityRegistryError(`${f}.datasetFolders[${j}]`, `repeats "${name}"`);
      folders.add(name.toLowerCase());
      return name;
    });
    const colourCoded = bool(o.colourCoded, `${f}.colourCoded`);
    return {
      // The registry is the list of modalities at run time; ModalityId is how the code is typed.
      id: o.id as ModalityId,
      colourCoded,
      roi: parseRoi(o.roi, `${f}.roi`),
      inputCheck: parseInputCheck(o.inputCheck, `${f}.inputCheck`, colourCoded),
      datasetFolders,
    };
  });
}

/** Every modality, in the order the UI shows them and reports list them. */
export const MODALITY_DESCRIPTORS: readonly ModalityDescriptor[] = parseModalityRegistry(registryJson);

const byId = new Map(MODALITY_DESCRIPTORS.map((d) => [d.id as string, d]));

export function modalityDescriptor(id: ModalityId): ModalityDescriptor {
  const d = byId.get(id);
  if (!d) throw new RangeError(`unknown modality "${id}"`);
  return d;
}

/** The modality a data set folder holds (`2d` → B-mode), case-insensitively; null when none. */
export function modalityForFolder(folder: string): ModalityId | null {
  const name = folder.toLowerCase();
  return MODALITY_DESCRIPTORS.find((d) => d.datasetFolders.some((f) => f.toLowerCase() === name))?.id ?? null;
}

/** The folder a data set written by this project uses for the modality (the first alias). */
export function datasetFolder(id: ModalityId): string {
  return modalityDescriptor(id).datasetFolders[0]!;
}
