export * from './manifest';
export * from './integrity';
export * from './loader';
export * from './index-file';
export * from './pack-url';
export * from './offline-copy-status';
export * from './local-store';
export * from './input-check-file';
export { phantomGeneratorVersion } from './phantom-generator';
