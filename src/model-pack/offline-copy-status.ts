/**
 * How the service worker tells the analysis worker that the offline copy of a pack file on this
 * device is damaged and could not be repaired (pwa/offline-copy.ts does the repairing). Kept with
 * the pack code so that the worker needs nothing from the service worker's room.
 */

export const OFFLINE_COPY_HEADER = 'X-LymphScope-Offline-Copy';

export type RepairFailure = 'offline' | 'server-mismatch';

export class OfflineCopyError extends Error {
  constructor(
    readonly path: string,
    readonly reason: RepairFailure,
  ) {
    super(
      reason === 'offline'
        ? `The offline copy of model file "${path}" on this device is damaged, and it cannot be downloaded again while offline. Connect to the network and reload to repair it.`
        : `The offline copy of model file "${path}" on this device is damaged, and the server's file did not match the pack's manifest either. The model was refused for safety.`,
    );
    this.name = 'OfflineCopyError';
  }
}

/** For the analysis worker: throws `OfflineCopyError` when the service worker reported a damaged copy. */
export function checkedOfflineCopy<R extends { status: number; headers: Headers; url: string }>(res: R): R {
  const reason = res.headers.get(OFFLINE_COPY_HEADER);
  if (res.status === 503 && (reason === 'offline' || reason === 'server-mismatch')) {
    throw new OfflineCopyError(decodeURIComponent(res.headers.get(`${OFFLINE_COPY_HEADER}-Path`) ?? res.url), reason);
  }
  return res;
}
