export * from './fusion';
export * from './headline';
export * from './input-check';
