/**
 * The names, in order, of the image statistics an input-check gate reads beside the model's pooled
 * features: part of the input-check file's format (its `gate.colourFeatures` and
 * `gate.textureFeatures` must equal them), computed by src/imaging/colour-features.ts and
 * texture-features.ts with the same arithmetic as training/input_gate.py.
 */

/** Colour statistics (every gate). */
export const COLOUR_FEATURES = [
  'coloured',
  'red',
  'yellow',
  'green',
  'cyan',
  'blue',
  'magenta',
  'chroma',
  'bright-gray',
] as const;

/** Luminance texture statistics (formatVersion 2 gates, after the colour ones). */
export const TEXTURE_FEATURES = [
  'lum-mean',
  'lum-std',
  'dark',
  'flat-blocks',
  'block-cv-median',
  'block-cv-spread',
  'hf',
  'hv-balance',
  'coherence',
  'orientation-entropy',
  'tinted-gray',
  'lum-entropy',
] as const;
