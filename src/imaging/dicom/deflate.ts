/**
 * Deflated Explicit VR Little Endian: everything after the file meta information is one raw
 * deflate stream. It is inflated with the platform's DecompressionStream (browser and Node), with a
 * ceiling so a "zip bomb" cannot exhaust memory, and handed to the parser as the data set.
 */

import * as dicomParserNs from 'dicom-parser';
import { ImageInputError } from '../errors';
import { TS } from './uids';

type DicomParserModule = typeof dicomParserNs;
const dicomParser: DicomParserModule = (dicomParserNs as unknown as { default?: DicomParserModule }).default ?? dicomParserNs;

/** Largest inflated data set accepted. */
export const MAX_INFLATED_BYTES = 256 * 1024 * 1024;

/** Where the deflated data set starts, or null when the file is not Deflated (or its header is unreadable). */
export function deflatedDataSetStart(bytes: Uint8Array): number | null {
  try {
    const meta = dicomParser.readPart10Header(bytes);
    const ts = meta.string('x00020010')?.replace(/\0/g, '').trim();
    if (ts !== TS.deflatedLE) return null;
    const pos = (meta as unknown as { position?: number }).position;
    return typeof pos === 'number' && pos > 0 && pos <= bytes.length ? pos : null;
  } catch {
    return null;
  }
}

/** Inflates the data set of a Deflated file; undefined when the file is not Deflated. */
export async function inflateDeflatedDicom(bytes: Uint8Array, name: string): Promise<Uint8Array | undefined> {
  const start = deflatedDataSetStart(bytes);
  if (start === null) return undefined;
  if (typeof DecompressionStream === 'undefined')
    throw new ImageInputError('dicom-syntax', name, 'Deflated Explicit VR Little Endian (1.2.840.10008.1.2.1.99)');
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    const stream = new Blob([bytes.subarray(start) as Uint8Array<ArrayBuffer>])
      .stream()
      .pipeThrough(new DecompressionStream('deflate-raw'));
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > MAX_INFLATED_BYTES) {
        await reader.cancel();
        throw new ImageInputError('too-large', name, 'deflated data set inflates beyond 256 MB');
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof ImageInputError) throw e;
    throw new ImageInputError('dicom-damaged', name, 'the deflated data set cannot be inflated');
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
