export * from './cam';
export * from './upsample';
export * from './display';
