export * from './report';
export * from './exam';
