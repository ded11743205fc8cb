import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CLASS_NAMES, MASK_NAMES, generateCase, type PhantomCase } from '../../../src/phantoms';

/**
 * Generator version 1 made the bundled pack's training data and the demo cases shown with it, so its
 * output must never change: these SHA-256 digests (images, masks, params and ROIs) were taken from
 * the generator before version 2 was added. If this fails, v1 changed: restore it, do not update the
 * digests.
 */
const V1_DIGESTS: Record<string, string> = {
  'metastatic/3': '44f6863d9eb66fa25a9b872b695c2332c3c4eb57be3d8027b65d3e2e5cf0857d',
  'metastatic/2025': '4390b3bf2efd5ca982a55b41af7324434da88eef2b22490616d0ee327fa35568',
  'lymphoma/3': '494a3966afb0c2f4781bd577183c60df864dd60d1dbe10e466e9afe49774f553',
  'lymphoma/2025': '2f0f2fc5225b0001b2bb8bcd3f8ac19729b29d874c116a6212a81695fbec2dd6',
  'benign/3': 'd4ea4bc3e31cc199e831a362d81996e91f978ba442f6de10bcaa49ac59545445',
  'benign/2025': '3c33a4f2a3967b0454b284b359275091fbe1372c5cd759aa34da3185931cab1f',
};

function digest(c: PhantomCase): string {
  const h = createHash('sha256');
  for (const m of ['bmode', 'cdfi', 'elastography'] as const) h.update(c.images[m].data);
  for (const n of MASK_NAMES) h.update(c.masks[n]);
  h.update(JSON.stringify([c.params, c.rois]));
  return h.digest('hex');
}

describe('phantom generator version 1 is frozen', () => {
  for (const cls of CLASS_NAMES) {
    for (const seed of [3, 2025]) {
      it(`${cls} seed ${seed} gives the pinned bytes`, () => {
        expect(digest(generateCase({ seed, cls }))).toBe(V1_DIGESTS[`${cls}/${seed}`]);
      });
    }
  }
});
