/**
 * What the input checks decide beyond the verdict vocabulary (`INPUT_VERDICTS`, `InputCheckNote`
 * in provenance.ts, which the saved case keeps): which verdicts block an analysis, and why a
 * region failed the pixel rules (docs/input-checks.md).
 */

import type { InputVerdict } from './provenance';

/** Verdicts that keep a slot out of the analysis until the user explicitly overrides them. */
export const BLOCKING_VERDICTS: readonly InputVerdict[] = ['not-ultrasound', 'low-quality'];

/** Why a region failed the pixel rules for `low-quality`. */
export const QUALITY_ISSUES = ['blank', 'saturated', 'tiny'] as const;
export type QualityIssue = (typeof QUALITY_ISSUES)[number];
