export * from './cam';
export * from './upsample';
