export {
  adaptHead,
  fitHead,
  fitTemperature,
  groupKFold,
  logitsOf,
  softmax,
  AdaptError,
  type AdaptInput,
  type AdaptOptions,
  type AdaptResult,
  type Head,
} from './head';
export { adaptedPackVersion, type PackFiles, type VersionMeta } from './pack-version';
