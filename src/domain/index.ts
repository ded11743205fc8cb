export * from './ids';
export * from './modalities';
export * from './analysis';
export * from './provenance';
export * from './node-finding';
export * from './measurement';
export * from './input-check';
export * from './descriptors';
