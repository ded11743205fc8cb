/** English text of site adaptation (its own file, like the validation view's). */

export const adaptationEn = {
  open: 'Adapt to this site…',
  close: 'Close',
  title: 'Adapt the active pack to your site',
  intro:
    'Pick a labelled folder (the same layout and answers as for a validation). The pack’s output layer is re-fitted on your cases; the “after” figures come only from patients each re-fitted head never saw (5-fold cross-validation grouped by patient). Nothing leaves this device, and the active pack is never changed: accepting stores a new version.',
  modality: 'Modality to adapt',
  wholeImage: 'Use the whole image (no region proposal)',
  start: 'Start adaptation',
  cancel: 'Cancel',
  needPatients: 'At least 5 patients are needed for 5-fold cross-validation.',
  extracting: (done: number, total: number) => `Computing features: ${done} of ${total} images`,
  fitting: 'Re-fitting the head with cross-validation…',
  skipped: (k: number) => `${k} image${k === 1 ? '' : 's'} could not be used and ${k === 1 ? 'was' : 'were'} left out.`,
  resultsTitle: 'Macro AUC on held-out patients (95% CI)',
  before: 'Before (this pack)',
  after: 'After (adapted head)',
  noValue: 'not defined (a class has no case)',
  timing: (extract: string, fit: string) => `Features ${extract} s; head re-fitting ${fit} s.`,
  accept: 'Accept: save as a new pack version',
  saving: 'Saving…',
  saved: (id: string) => `Saved as “${id}” (imported, not validated) and made active. The base pack is unchanged.`,
  failed: (msg: string) => `Adaptation failed: ${msg}`,
};
