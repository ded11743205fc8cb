export { readCheckpoint, tensorData, CheckpointError, type Checkpoint } from './archive';
export { PickleError, unpickle, PICKLE_LIMITS } from './pickle';
export { classifyGlobal } from './allowlist';
export { findStateDict, type StateDict } from './state-dict';
export { MappingError, type ExportGraph } from './graph';
export { EFFICIENTNET_VARIANTS } from './efficientnet';
export { convertCheckpoint, inspectCheckpoint, type Converted, type Inspected } from './convert';
export {
  buildPack,
  modelFiles,
  torchvisionInput,
  SHARD_BYTES,
  type BuiltPack,
  type PackMeta,
  type PackFileData,
} from './pack-build';
export { ZipReader, ZipError, unsafeZipName, ZIP_LIMITS } from './zip';
export { checkPackFiles, readPackZip, renamedPack, packZip, PackArchiveError, type PackContents } from './pack-zip';
export { createImportClient, ImportFailure, type ImportClient, type ImportOutcome } from './import-client';
export type { CheckpointOptions, ImportErrorCode } from './import-protocol';
export { IMPORT_ERROR_CODES } from './import-protocol';
