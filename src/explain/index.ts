export * from './cam';
