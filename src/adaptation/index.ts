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
export { readHead } from './pack-head';
export { createAdaptHandler, adaptedPackId, type AdaptPost } from './adapt-handler';
export { checkAdaptRequest, isAdaptResponse, type AdaptRequest, type AdaptResponse, type MetricSummary } from './adapt-protocol';
export { createAdaptClient, type AdaptClient, type Adapted } from './adapt-client';
