/** Case history: IndexedDB store, optional passphrase encryption, export/import. No Svelte, no DOM rendering. */
export * from './types';
export * from './errors';
export { HistoryStore, DB_NAME, DB_VERSION, type HistoryStoreOptions, type ListResult } from './store';
export { buildExportFile, parseExportFile, EXPORT_FORMAT, EXPORT_VERSION } from './export-file';
export { caseToJson, caseFromJson } from './codec';
export { validateCase, validateSummary } from './validate';
export { examOf, descriptorsOf } from './validate-clinical';
export { newCaseId, buildCaseRecord, analysesOfCase, type CaseInput } from './record';
