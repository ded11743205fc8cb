export * from './ids';
export * from './modalities';
export * from './analysis';
export * from './provenance';
export * from './input-check';
