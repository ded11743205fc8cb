/**
 * The published JSON Schema (src/domain/model-pack.schema.json) and the app's parser
 * (`parseManifest`) accept and refuse the same manifests, every bundled pack satisfies the
 * schema, and the schema's ids and bounds are the product's.
 */

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLASS_IDS, MODALITY_IDS } from '../../../src/domain';
import { MANIFEST_LIMITS, ManifestError, parseManifest } from '../../../src/model-pack/manifest';
import { parsePackIndex } from '../../../src/model-pack/index-file';
import { buildManifest, compileSchema, manifestCases, readJson, schema } from './manifest-cases';

const validate = compileSchema();

function parserVerdict(json: unknown): string | null {
  try {
    parseManifest(json);
    return null;
  } catch (e) {
    if (e instanceof ManifestError) return e.field;
    throw e;
  }
}

describe('model-pack manifest schema', () => {
  it('has cases of every kind', () => {
    const { cases } = manifestCases;
    expect(cases.filter((c) => c.field === null).length).toBeGreaterThan(5);
    expect(cases.filter((c) => c.field !== null && !c.parserOnly).length).toBeGreaterThan(50);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  for (const c of manifestCases.cases) {
    it(`${c.name}: parser ${c.field === null ? 'accepts' : `refuses "${c.field}"`}, schema ${c.field === null || c.parserOnly ? 'accepts' : 'refuses'}`, () => {
      const json = buildManifest(c);
      expect(parserVerdict(json)).toBe(c.field);
      const schemaAccepts = validate(json);
      expect(schemaAccepts, JSON.stringify(validate.errors?.slice(0, 3))).toBe(c.field === null || c.parserOnly === true);
    });
  }

  it('accepts every pack in public/models', () => {
    const index = parsePackIndex(readJson('public/models/index.json'));
    const dirs = readdirSync(join('public', 'models'), { withFileTypes: true }).filter((d) => d.isDirectory());
    expect(index.packs.map((p) => p.path).sort()).toEqual(dirs.map((d) => `${d.name}/manifest.json`).sort());
    for (const p of index.packs) {
      const manifest = readJson(join('public/models', p.path));
      expect(validate(manifest), `${p.path}: ${JSON.stringify(validate.errors)}`).toBe(true);
      expect(parserVerdict(manifest)).toBeNull();
    }
  });

  it('names the modalities of src/domain and gives the product classes as examples', () => {
    const defs = schema.$defs as Record<string, { enum?: unknown[]; examples?: unknown[] }>;
    expect(defs.modalityId!.enum).toEqual([...MODALITY_IDS]);
    expect(defs.classId!.examples).toEqual([...CLASS_IDS]);
    // The fusion-weight rule has one clause per modality.
    const clauses = (schema.allOf as { if?: unknown }[]).filter((c) => c.if !== undefined);
    expect(clauses.map((c) => JSON.stringify(c)).map((s) => MODALITY_IDS.find((m) => s.includes(`"${m}"`)))).toEqual([
      ...MODALITY_IDS,
    ]);
  });

  it('bounds the text fields as the parser does', () => {
    type Node = { maxLength?: number; maxItems?: number; maximum?: number; properties?: Record<string, Node>; items?: Node };
    const props = (schema as Node).properties!;
    const defs = schema.$defs as Record<string, Node>;
    const classItem = props.classes!.items!.properties!;
    const metric = props.metrics!.items!.properties!;
    expect({
      id: props.id!.maxLength,
      version: props.version!.maxLength,
      title: props.title!.maxLength,
      classes: props.classes!.maxItems,
      classId: defs.classId!.maxLength,
      classLabel: classItem.label!.maxLength,
      intendedUse: props.intendedUse!.maxLength,
      disclaimer: props.disclaimer!.maxLength,
      license: props.license!.maxLength,
      metricDataset: metric.dataset!.maxLength,
      metricSplit: metric.split!.maxLength,
      metricN: metric.n!.maximum,
    }).toEqual(MANIFEST_LIMITS);
  });
});
