export * from './fusion';
export * from './headline';
