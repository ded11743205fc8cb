export * from './ids';
export * from './modalities';
