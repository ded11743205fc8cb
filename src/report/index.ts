export * from './report';
export * from './exam';
export * from './pdf';
export * from './dicom';
export * from './dicom-sr';
