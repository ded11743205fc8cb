// src/domain/node-finding.ts
import type { RoiRect } from './analysis';
/** A node found in an image (by the learned finder or a seeded segmentation). Image pixel coordinates. */
export interface NodeFinding {
  box: RoiRect;
  /** Closed outline, [x, y] vertices in image pixels. */
  outline: ReadonlyArray<readonly [number, number]>;
  /** Confidence in [0, 1]. */
  score: number;
}
