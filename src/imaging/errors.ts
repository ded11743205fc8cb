/** Input problems the user can act on. `code` selects the translated message in the UI. */

export type ImageErrorCode =
  | 'empty'
  | 'pdf'
  | 'text'
  | 'unsupported'
  | 'dicom-unsupported'
  | 'dicom-syntax'
  | 'dicom-pixels'
  | 'dicom-damaged'
  | 'dicom-no-image'
  | 'truncated'
  | 'decode-failed'
  | 'decode-timeout'
  | 'too-large'
  | 'no-size' // the container does not state the image size where it must: refused before any decode
  | 'over-budget' // decoding at full size would need more memory than MAX_DECODE_BYTES
  | 'too-small';

export class ImageInputError extends Error {
  constructor(
    readonly code: ImageErrorCode,
    readonly fileName: string,
    readonly detail?: string,
  ) {
    super(`${fileName}: ${code}${detail ? ` (${detail})` : ''}`);
    this.name = 'ImageInputError';
  }
}
