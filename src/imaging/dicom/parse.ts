/**
 * Reads a DICOM Part 10 file (dicom-parser) into what the app needs: the image geometry, the pixel
 * format, the physical scale and a metadata summary from which patient-identifying attributes are
 * left out unless the caller asks for them. Pure TS: runs in Node tests, the page and workers.
 */

import * as dicomParserNs from 'dicom-parser';
import type { DataSet, Element } from 'dicom-parser';
import { ImageInputError } from '../errors';
import type { Rect } from '../roi';
import { BROWSER_JPEG_SYNTAXES, NATIVE_SYNTAXES, TS, transferSyntaxLabel } from './uids';

// dicom-parser ships as UMD: Node's ESM loader exposes it as `default`, bundlers as named exports.
type DicomParserModule = typeof dicomParserNs;
const dicomParser: DicomParserModule = (dicomParserNs as unknown as { default?: DicomParserModule }).default ?? dicomParserNs;

/** DICOM files carry "DICM" after a 128-byte preamble, whatever their name. */
export function isDicom(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

/** Largest image we turn into RGBA pixels in JS (a native frame this size is ~256 MB of RGBA). */
export const MAX_DICOM_PIXELS = 8192 * 8192;

/**
 * Attributes that identify a patient, a clinician, an institution or a study (DICOM PS3.15 basic
 * profile, the ones ultrasound exports carry). They are never shown in shared views, kept only on
 * request, and never exported.
 */
export const IDENTIFYING_TAGS: Readonly<Record<string, string>> = {
  x00100010: 'PatientName',
  x00100020: 'PatientID',
  x00100030: 'PatientBirthDate',
  x00100040: 'PatientSex',
  x00101010: 'PatientAge',
  x00101000: 'OtherPatientIDs',
  x00101001: 'OtherPatientNames',
  x00101040: 'PatientAddress',
  x00102154: 'PatientTelephoneNumbers',
  x00080080: 'InstitutionName',
  x00080081: 'InstitutionAddress',
  x00080090: 'ReferringPhysicianName',
  x00081010: 'StationName',
  x00081040: 'InstitutionalDepartmentName',
  x00081050: 'PerformingPhysicianName',
  x00081070: 'OperatorsName',
  x00080050: 'AccessionNumber',
  x00080020: 'StudyDate',
  x00080030: 'StudyTime',
  x00200010: 'StudyID',
  x0020000d: 'StudyInstanceUID',
  x0020000e: 'SeriesInstanceUID',
  x00080018: 'SOPInstanceUID',
  x00181000: 'DeviceSerialNumber',
};

/** Non-identifying description of a DICOM file, safe to show and to keep with a case. */
export interface DicomMetadata {
  transferSyntax: string;
  photometric: string;
  modality: string | null;
  manufacturer: string | null;
  model: string | null;
  frames: number;
  rows: number;
  columns: number;
  bitsAllocated: number;
  /** Present only when the user opted in to keeping identifying attributes. */
  identifying?: Record<string, string>;
}

export interface PixelSpacingMm {
  /** Millimetres per pixel along a row (x) and down a column (y). */
  x: number;
  y: number;
  source: 'PixelSpacing' | 'UltrasoundRegion';
}

export interface RegionSpacing {
  rect: Rect;
  x: number;
  y: number;
}

export interface PaletteLut {
  /** Number of entries. */
  count: number;
  /** Input value mapped to entry 0. */
  first: number;
  /** Entry values already reduced to 8 bits. */
  values: Uint8Array;
}

export interface DicomImage {
  dataSet: DataSet;
  pixelElement: Element;
  transferSyntax: string;
  encapsulated: boolean;
  /** How the frames are stored: uncompressed, JPEG streams for the browser, or RLE Lossless (decoded in TS). */
  compression: 'none' | 'jpeg' | 'rle';
  rows: number;
  columns: number;
  samplesPerPixel: number;
  photometric: string;
  planarConfiguration: number;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: number;
  frames: number;
  littleEndian: boolean;
  rescaleSlope: number;
  rescaleIntercept: number;
  windowCenter: number | null;
  windowWidth: number | null;
  palette: [PaletteLut, PaletteLut, PaletteLut] | null;
  pixelSpacingMm: PixelSpacingMm | null;
  /** Image areas declared by the Sequence of Ultrasound Regions (pixel coordinates), if any. */
  regions: Rect[];
  /** Per region with a physical scale in centimetres: its area and its millimetres per pixel. */
  regionSpacings: RegionSpacing[];
  metadata: DicomMetadata;
}

export interface ReadDicomOptions {
  /** Keep patient-identifying attributes in `metadata.identifying` (off unless the user opts in). */
  keepIdentifying?: boolean;
  /** The inflated data set of a Deflated file (see ./deflate.ts). */
  inflated?: Uint8Array;
}

/** Keeps details readable when a damaged file puts binary garbage in a text attribute. */
function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, 160);
}

function fail(name: string, detail: string): never {
  throw new ImageInputError('dicom-damaged', name, printable(detail));
}

function str(ds: DataSet, tag: string): string | null {
  try {
    const v = ds.string(tag);
    return v === undefined || v === '' ? null : v;
  } catch {
    return null;
  }
}

function num(ds: DataSet, tag: string, fallback: number): number {
  try {
    const v = ds.uint16(tag);
    return v === undefined || !Number.isFinite(v) ? fallback : v;
  } catch {
    return fallback;
  }
}

function ds(dataSet: DataSet, tag: string, index = 0): number | null {
  try {
    const v = dataSet.floatString(tag, index);
    return v === undefined || !Number.isFinite(v) ? null : v;
  } catch {
    return null;
  }
}

function readLut(dataSet: DataSet, descTag: string, dataTag: string, name: string): PaletteLut {
  const desc = dataSet.elements[descTag];
  const data = dataSet.elements[dataTag];
  if (!desc || !data || desc.length < 6) fail(name, 'palette colour image without a complete lookup table');
  const p = dataSet.byteArrayParser;
  // dicom-parser types its bytes as `Uint8Array | Buffer`; in the browser they are a Uint8Array.
  const b = dataSet.byteArray as Uint8Array;
  let count = p.readUint16(b, desc.dataOffset);
  if (count === 0) count = 65536;
  const firstRaw = p.readUint16(b, desc.dataOffset + 2);
  // The first mapped value is US or SS depending on the pixel representation; both fit here.
  const first = desc.vr === 'SS' && firstRaw > 0x7fff ? firstRaw - 0x10000 : firstRaw;
  const bits = p.readUint16(b, desc.dataOffset + 4);
  const values = new Uint8Array(count);
  if (data.dataOffset + data.length > b.length) fail(name, 'palette lookup table is cut short');
  if (bits === 8 && data.length === count) {
    for (let i = 0; i < count; i++) values[i] = b[data.dataOffset + i]!;
  } else {
    if (data.length < count * 2) fail(name, 'palette lookup table is shorter than its descriptor says');
    for (let i = 0; i < count; i++) {
      const v = p.readUint16(b, data.dataOffset + i * 2);
      values[i] = bits === 8 ? v & 0xff : v >> 8;
    }
  }
  return { count, first, values };
}

function readSpacing(dataSet: DataSet): { spacing: PixelSpacingMm | null; regions: Rect[]; regionSpacings: RegionSpacing[] } {
  const regions: Rect[] = [];
  const regionSpacings: RegionSpacing[] = [];
  let spacing: PixelSpacingMm | null = null;
  const seq = dataSet.elements['x00186011'];
  for (const item of seq?.items ?? []) {
    const r = item.dataSet;
    if (!r) continue;
    try {
      const x0 = r.uint32('x00186018');
      const y0 = r.uint32('x0018601a');
      const x1 = r.uint32('x0018601c');
      const y1 = r.uint32('x0018601e');
      const rect =
        x0 !== undefined && y0 !== undefined && x1 !== undefined && y1 !== undefined && x1 > x0 && y1 > y0
          ? { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 }
          : null;
      if (rect) regions.push(rect);
      const ux = r.uint16('x00186024');
      const uy = r.uint16('x00186026');
      const dx = r.double('x0018602c');
      const dy = r.double('x0018602e');
      // Units 3 = centimetres. Only a 2D tissue region's scale applies to the picture.
      const cm = ux === 3 && uy === 3 && dx && dy && dx > 0 && dy > 0 && Number.isFinite(dx) && Number.isFinite(dy);
      if (cm && rect) regionSpacings.push({ rect, x: Math.abs(dx) * 10, y: Math.abs(dy) * 10 });
      if (!spacing && cm) spacing = { x: Math.abs(dx) * 10, y: Math.abs(dy) * 10, source: 'UltrasoundRegion' };
    } catch {
      // a malformed region item is ignored: scale is optional
    }
  }
  if (!spacing) {
    for (const tag of ['x00280030', 'x00181164']) {
      const row = ds(dataSet, tag, 0);
      const col = ds(dataSet, tag, 1);
      if (row && col && row > 0 && col > 0) {
        spacing = { x: col, y: row, source: 'PixelSpacing' };
        break;
      }
    }
  }
  return { spacing, regions, regionSpacings };
}

/** Parses the file and checks that its pixels are in a form LymphScope can show. */
export function readDicom(bytes: Uint8Array, name: string, opts: ReadDicomOptions = {}): DicomImage {
  let dataSet: DataSet;
  try {
    const inflated = opts.inflated;
    dataSet = dicomParser.parseDicom(bytes, inflated ? { inflater: () => inflated } : undefined);
  } catch (e) {
    // dicom-parser throws Errors, strings, or { exception, dataSet } when it gives up part-way.
    const inner = e && typeof e === 'object' && 'exception' in e ? e.exception : e;
    const msg = printable(
      inner instanceof Error ? inner.message : typeof inner === 'string' ? inner : 'unreadable DICOM structure',
    );
    // dicom-parser reports a cut-short file as reading past the end of the buffer.
    if (/buffer overread|end of buffer|premature end|beyond/i.test(msg)) throw new ImageInputError('truncated', name, msg);
    fail(name, msg);
  }
  // With an inflated data set the meta elements point into the original bytes: the syntax is known.
  const transferSyntax = opts.inflated
    ? TS.deflatedLE
    : (str(dataSet, 'x00020010')?.replace(/\0/g, '').trim() ?? '1.2.840.10008.1.2');
  const pixelElement = dataSet.elements['x7fe00010'];
  if (!pixelElement) throw new ImageInputError('dicom-no-image', name);

  const rle = transferSyntax === TS.rle;
  // RLE frames decode to the same sample layout as uncompressed ones (planar), so the same checks apply.
  const deflated = transferSyntax === TS.deflatedLE && opts.inflated !== undefined;
  const native = NATIVE_SYNTAXES.has(transferSyntax) || rle || deflated;
  const jpeg = BROWSER_JPEG_SYNTAXES.has(transferSyntax);
  if (!native && !jpeg) throw new ImageInputError('dicom-syntax', name, printable(transferSyntaxLabel(transferSyntax)));

  const rows = num(dataSet, 'x00280010', 0);
  const columns = num(dataSet, 'x00280011', 0);
  const samplesPerPixel = num(dataSet, 'x00280002', 1);
  const photometric = (str(dataSet, 'x00280004') ?? (samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2')).trim().toUpperCase();
  const planarConfiguration = num(dataSet, 'x00280006', 0);
  const bitsAllocated = num(dataSet, 'x00280100', 8);
  const bitsStored = num(dataSet, 'x00280101', bitsAllocated);
  const pixelRepresentation = num(dataSet, 'x00280103', 0);
  let frames = 1;
  try {
    const f = dataSet.intString('x00280008');
    if (f !== undefined && Number.isFinite(f) && f > 0) frames = Math.floor(f);
  } catch {
    frames = 1;
  }

  if (rows === 0 || columns === 0) fail(name, 'no image size (Rows/Columns)');
  if (rows * columns > MAX_DICOM_PIXELS) throw new ImageInputError('too-large', name, `${columns}×${rows}`);

  const supportedPhotometric = ['MONOCHROME1', 'MONOCHROME2', 'RGB', 'YBR_FULL', 'YBR_FULL_422', 'PALETTE COLOR'];
  if (!supportedPhotometric.includes(photometric) && !(jpeg && (photometric === 'YBR_ICT' || photometric === 'YBR_RCT')))
    throw new ImageInputError('dicom-pixels', name, printable(`Photometric Interpretation ${photometric}`));
  const expectedSpp = photometric.startsWith('MONOCHROME') || photometric === 'PALETTE COLOR' ? 1 : 3;
  if (samplesPerPixel !== expectedSpp)
    throw new ImageInputError('dicom-pixels', name, `${samplesPerPixel} samples per pixel for ${photometric}`);
  if (jpeg && bitsAllocated !== 8) throw new ImageInputError('dicom-pixels', name, `${bitsStored}-bit JPEG`);
  if (rle && photometric === 'YBR_FULL_422') throw new ImageInputError('dicom-pixels', name, 'RLE with YBR_FULL_422');
  if (native) {
    const ok = bitsAllocated === 8 || (bitsAllocated === 16 && (expectedSpp === 1 || photometric === 'RGB'));
    if (!ok) throw new ImageInputError('dicom-pixels', name, `${bitsAllocated}-bit ${photometric}`);
    if (bitsStored < 1 || bitsStored > bitsAllocated)
      fail(name, `Bits Stored ${bitsStored} with Bits Allocated ${bitsAllocated}`);
  }

  const encapsulated = pixelElement.encapsulatedPixelData === true;
  if (jpeg && !encapsulated) fail(name, 'JPEG transfer syntax without encapsulated pixel data');
  if (rle && !encapsulated) fail(name, 'RLE transfer syntax without encapsulated pixel data');
  if (native && !rle && encapsulated) fail(name, 'uncompressed transfer syntax with encapsulated pixel data');

  const palette =
    photometric === 'PALETTE COLOR'
      ? ([
          readLut(dataSet, 'x00281101', 'x00281201', name),
          readLut(dataSet, 'x00281102', 'x00281202', name),
          readLut(dataSet, 'x00281103', 'x00281203', name),
        ] as [PaletteLut, PaletteLut, PaletteLut])
      : null;

  const { spacing, regions, regionSpacings } = readSpacing(dataSet);

  const metadata: DicomMetadata = {
    transferSyntax: transferSyntaxLabel(transferSyntax),
    photometric,
    modality: str(dataSet, 'x00080060'),
    manufacturer: str(dataSet, 'x00080070'),
    model: str(dataSet, 'x00081090'),
    frames,
    rows,
    columns,
    bitsAllocated,
  };
  if (opts.keepIdentifying) {
    const identifying: Record<string, string> = {};
    for (const [tag, key] of Object.entries(IDENTIFYING_TAGS)) {
      const v = str(dataSet, tag);
      if (v !== null) identifying[key] = v;
    }
    metadata.identifying = identifying;
  }

  return {
    dataSet,
    pixelElement,
    transferSyntax,
    encapsulated,
    compression: jpeg ? 'jpeg' : rle ? 'rle' : 'none',
    rows,
    columns,
    samplesPerPixel,
    photometric,
    planarConfiguration,
    bitsAllocated,
    bitsStored,
    pixelRepresentation,
    frames,
    littleEndian: transferSyntax !== '1.2.840.10008.1.2.2',
    rescaleSlope: ds(dataSet, 'x00281053') ?? 1,
    rescaleIntercept: ds(dataSet, 'x00281052') ?? 0,
    windowCenter: ds(dataSet, 'x00281050'),
    windowWidth: ds(dataSet, 'x00281051'),
    palette,
    pixelSpacingMm: spacing,
    regions,
    regionSpacings,
    metadata,
  };
}

/** Copy of the metadata with every identifying attribute removed: what any export may contain. */
export function stripIdentifying(m: DicomMetadata): DicomMetadata {
  const { identifying: _dropped, ...rest } = m;
  return rest;
}
