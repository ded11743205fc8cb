/** WebGL 2 (tfjs's own backend): shaders compiled in parallel at warm-up. */

import { smokeTest } from './smoke';
import { noLossSignal, startTfBackend, unregistered, type BackendStrategy } from './strategy';

export const webglStrategy: BackendStrategy = {
  id: 'webgl',
  precondition: () => {
    if (typeof OffscreenCanvas === 'undefined' && !('document' in globalThis)) {
      return 'no canvas or OffscreenCanvas in this context';
    }
    return unregistered('webgl');
  },
  configure: () => startTfBackend('webgl'),
  smokeTest,
  // A lost context shows as a failing analysis, which the supervisor's fallback handles.
  watchLoss: noLossSignal,
  compileOnlyFlag: 'ENGINE_COMPILE_ONLY',
};
