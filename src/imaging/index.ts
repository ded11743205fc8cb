export * from './resize';
export * from './roi';
export * from './preprocess';
