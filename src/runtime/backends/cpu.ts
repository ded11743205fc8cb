/** Plain JavaScript: always there, slowest; the last resort of automatic choice. */

import { smokeTest } from './smoke';
import { noLossSignal, startTfBackend, unregistered, type BackendStrategy } from './strategy';

export const cpuStrategy: BackendStrategy = {
  id: 'cpu',
  precondition: () => unregistered('cpu'),
  configure: () => startTfBackend('cpu'),
  smokeTest,
  watchLoss: noLossSignal,
};
