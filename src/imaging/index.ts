export * from './resize';
export * from './roi';
export * from './preprocess';
export * from './sniff';
export * from './errors';
export * from './plausibility';
export * from './decode';
