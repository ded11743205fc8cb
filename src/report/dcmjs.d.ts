/** The part of dcmjs (0.51, ships no types) the DICOM export uses. */
declare module 'dcmjs' {
  /** A dataset in dcmjs's "naturalized" form: keyword → value, plus the file meta under `_meta`. */
  export type NaturalDataset = Record<string, unknown>;
  export interface DicomDictInstance {
    write(options?: { allowInvalidVRLength?: boolean }): ArrayBuffer;
  }
  const dcmjs: {
    data: {
      datasetToDict(dataset: NaturalDataset): DicomDictInstance;
      DicomMessage: {
        readFile(buffer: ArrayBuffer): { dict: Record<string, unknown>; meta: Record<string, unknown> };
      };
      DicomMetaDictionary: {
        naturalizeDataset(dict: Record<string, unknown>): NaturalDataset;
      };
    };
  };
  export default dcmjs;
}
