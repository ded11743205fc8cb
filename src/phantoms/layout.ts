/**
 * Screen geometry shared by the renderer, the chrome and the masks.
 *
 * The imaging field is a linear-probe rectangle of FIELD_WIDTH × FIELD_HEIGHT pixels at MM_PER_PX
 * (40 mm footprint × 36 mm depth). B-mode and CDFI screenshots place it at BMODE_FIELD_ORIGIN; the
 * elastography dual view shows it twice, B-mode left and strain right.
 */

export const MM_PER_PX = 0.1;
export const FIELD_WIDTH = 400;
export const FIELD_HEIGHT = 360;

export const BMODE_SCREEN = { width: 640, height: 480 } as const;
export const BMODE_FIELD_ORIGIN = { x: 120, y: 72 } as const;

export const ELASTO_SCREEN = { width: 960, height: 480 } as const;
export const ELASTO_BMODE_ORIGIN = { x: 40, y: 72 } as const;
export const ELASTO_STRAIN_ORIGIN = { x: 480, y: 72 } as const;

export const pxFromMm = (mm: number): number => mm / MM_PER_PX;

/** Offset that maps B-mode screenshot pixels onto the strain panel of the elastography screenshot. */
export function elastographyPanelOffset(): { dx: number; dy: number } {
  return { dx: ELASTO_STRAIN_ORIGIN.x - BMODE_FIELD_ORIGIN.x, dy: ELASTO_STRAIN_ORIGIN.y - BMODE_FIELD_ORIGIN.y };
}
