/** WebGL 2 (tfjs's own backend): shaders compiled in parallel at warm-up. */

import { smokeTest } from './smoke';
import { errorText } from '../errors';
import {
  namesSoftwareDevice,
  noLossSignal,
  startTfBackend,
  unregistered,
  type BackendProbe,
  type BackendStrategy,
} from './strategy';

/** The unmasked renderer string of a throw-away WebGL 2 context (SwiftShader, llvmpipe, a real GPU). */
function probeRenderer(): Promise<BackendProbe> {
  return Promise.resolve(readRenderer());
}

function readRenderer(): BackendProbe {
  try {
    if (typeof OffscreenCanvas === 'undefined') return { software: null, detail: 'no OffscreenCanvas to ask' };
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
    if (!gl) return { software: null, detail: 'no WebGL 2 context' };
    try {
      const ext = gl.getExtension('WEBGL_debug_renderer_info');
      const renderer: unknown = gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER);
      if (typeof renderer !== 'string' || !renderer) return { software: null, detail: 'WebGL renderer not named' };
      // Without the extension the browser may mask the name ("WebKit WebGL"): then it proves nothing.
      const software = namesSoftwareDevice(renderer) ? true : ext ? false : null;
      return { software, detail: `WebGL renderer ${renderer}` };
    } finally {
      gl.getExtension('WEBGL_lose_context')?.loseContext();
    }
  } catch (e) {
    return { software: null, detail: `WebGL renderer not readable: ${errorText(e)}` };
  }
}

export const webglStrategy: BackendStrategy = {
  id: 'webgl',
  gpu: true,
  probe: probeRenderer,
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
