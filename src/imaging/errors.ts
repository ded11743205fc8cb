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
