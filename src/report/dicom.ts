/**
 * DICOM export of an examination, written by dcmjs (no hand-made encoding): the report as an
 * Encapsulated PDF and each annotated image (region with its Grad-CAM overlay) as a Secondary
 * Capture. Identifiers come only from what the user typed in the examination (patient reference,
 * accession number, reporter): never from an imported file's tags, and no patient name is written
 * (the app never asks for one; the element is present and empty, as type 2 elements must be).
 */

import dcmjs, { type NaturalDataset } from 'dcmjs';
import type { ExamInfo } from '../domain';

export const SOP_CLASS = {
  encapsulatedPdf: '1.2.840.10008.5.1.4.1.1.104.1',
  secondaryCapture: '1.2.840.10008.5.1.4.1.1.7',
  comprehensiveSr: '1.2.840.10008.5.1.4.1.1.88.33',
} as const;

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

/** A UID under the 2.25 root made from a UUID (ISO/IEC 9834-8), e.g. the examination's id. */
export function uuidToUid(uuid: string): string {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error('not a UUID');
  return `2.25.${BigInt(`0x${hex}`).toString(10)}`;
}

export const newUid = (): string => uuidToUid(crypto.randomUUID());

/**
 * The study UID of an examination: its id read as a UUID (ids the app makes are UUIDs), else a
 * name-based UID from the id's SHA-256 (an id imported from elsewhere), so every export of one
 * examination lands in one study.
 */
export async function studyUidOf(examId: string): Promise<string> {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(examId)) return uuidToUid(examId);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`lymphscope-exam:${examId}`)));
  const hex = Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('');
  return uuidToUid(hex);
}

/** DICOM date (YYYYMMDD) and time (HHMMSS) of a moment, in UTC. */
const da = (d: Date) => d.toISOString().slice(0, 10).replace(/-/g, '');
const tm = (d: Date) => d.toISOString().slice(11, 19).replace(/:/g, '');

/** A DICOM text value: the characters the element allows, at most `max` of them. */
function clean(s: string, max: number): string {
  // Control characters and the value separator (backslash) become spaces.
  const out = [...s].map((c) => (c === '\\' || c.charCodeAt(0) < 0x20 ? ' ' : c)).join('');
  return out.trim().slice(0, max);
}

export interface DicomContext {
  exam: ExamInfo;
  /** From `studyUidOf(exam.id)`. */
  studyUid: string;
  /** Free text for the series (e.g. "LymphScope report"). */
  seriesDescription: string;
  seriesUid: string;
  seriesNumber: number;
  now: Date;
  appVersion: string;
}

/** Patient, study and equipment elements shared by every file of one examination's export. */
export function commonElements(ctx: DicomContext, sopClass: string, instanceNumber: number): NaturalDataset {
  const e = ctx.exam;
  const studyDate = e.date.replace(/-/g, '');
  return {
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: sopClass,
    SOPInstanceUID: newUid(),
    // Patient: only the reference the user typed; no name, birth date or sex is known.
    PatientName: '',
    PatientID: clean(e.patientRef, 64),
    PatientBirthDate: '',
    PatientSex: '',
    // Study: the examination, its UID fixed by the examination's id so every export lands in it.
    StudyInstanceUID: ctx.studyUid,
    StudyDate: studyDate,
    StudyTime: '',
    AccessionNumber: clean(e.accession, 16),
    ReferringPhysicianName: '',
    NameOfPhysiciansReadingStudy: clean(e.reporter, 64),
    StudyID: '',
    StudyDescription: 'Cervical lymph node ultrasound',
    // Series and instance.
    SeriesInstanceUID: ctx.seriesUid,
    SeriesNumber: String(ctx.seriesNumber),
    SeriesDescription: clean(ctx.seriesDescription, 64),
    InstanceNumber: String(instanceNumber),
    ContentDate: da(ctx.now),
    ContentTime: tm(ctx.now),
    InstanceCreationDate: da(ctx.now),
    InstanceCreationTime: tm(ctx.now),
    // Equipment (SC Equipment module): made on a workstation.
    Manufacturer: 'LymphScope',
    SoftwareVersions: clean(ctx.appVersion, 64),
    ConversionType: 'WSD',
  };
}

export function writeDataset(ds: NaturalDataset): Uint8Array {
  ds._meta = { TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN };
  return new Uint8Array(dcmjs.data.datasetToDict(ds).write());
}

/** The report as a DICOM Encapsulated PDF. */
export function encapsulatedPdf(pdf: Uint8Array, ctx: DicomContext, title: string): Uint8Array {
  // The value of OB must have even length: one trailing zero byte is the standard's padding.
  const doc = pdf.length % 2 === 0 ? pdf : Uint8Array.from([...pdf, 0]);
  return writeDataset({
    ...commonElements(ctx, SOP_CLASS.encapsulatedPdf, 1),
    Modality: 'DOC',
    AcquisitionDateTime: '',
    // The rendered report shows the accession number and patient reference on every page.
    BurnedInAnnotation: 'YES',
    DocumentTitle: clean(title, 64),
    ConceptNameCodeSequence: [],
    MIMETypeOfEncapsulatedDocument: 'application/pdf',
    EncapsulatedDocumentLength: pdf.length,
    EncapsulatedDocument: doc.buffer.slice(doc.byteOffset, doc.byteOffset + doc.byteLength),
    _vrMap: { EncapsulatedDocument: 'OB' },
  });
}

export interface CaptureImage {
  width: number;
  height: number;
  /** RGBA pixels, row-major (a canvas's ImageData). */
  rgba: Uint8Array | Uint8ClampedArray;
  /** What the image shows, e.g. "Node 1 B-mode: region with Grad-CAM (Lymphoma)". */
  description: string;
}

/** One annotated image as a DICOM Secondary Capture (RGB, 8 bits, interleaved). */
export function secondaryCapture(img: CaptureImage, ctx: DicomContext, instanceNumber: number): Uint8Array {
  const n = img.width * img.height;
  if (img.rgba.length !== n * 4) throw new Error('the image must hold width × height RGBA pixels');
  // RGB of an odd pixel count is odd: padded with one zero byte to even length.
  const rgb = new Uint8Array(n * 3 + ((n * 3) % 2));
  for (let i = 0; i < n; i++) {
    rgb[i * 3] = img.rgba[i * 4]!;
    rgb[i * 3 + 1] = img.rgba[i * 4 + 1]!;
    rgb[i * 3 + 2] = img.rgba[i * 4 + 2]!;
  }
  return writeDataset({
    ...commonElements(ctx, SOP_CLASS.secondaryCapture, instanceNumber),
    Modality: 'OT',
    ImageType: ['DERIVED', 'SECONDARY'],
    DerivationDescription: clean(img.description, 1024),
    ImageComments: clean(img.description, 10240),
    // The overlay is a heat map, not text: nothing identifying is burned in.
    BurnedInAnnotation: 'NO',
    SamplesPerPixel: 3,
    PhotometricInterpretation: 'RGB',
    PlanarConfiguration: 0,
    Rows: img.height,
    Columns: img.width,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    PixelData: rgb.buffer,
    _vrMap: { PixelData: 'OB' },
  });
}
