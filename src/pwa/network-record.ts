/** What the service worker reports to the page about each request it handled (no DOM: both sides read it). */

export const NETWORK_CHANNEL = 'lymphscope-network';

export interface NetworkRecord {
  /** Epoch milliseconds. */
  time: number;
  method: string;
  url: string;
  kind: string;
  source: 'page' | 'service-worker';
  hasBody: boolean;
}
