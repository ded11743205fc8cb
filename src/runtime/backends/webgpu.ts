/** WebGPU (@tensorflow/tfjs-backend-webgpu): needs an adapter; its device can be lost at any time. */

import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { smokeTest } from './smoke';
import { startTfBackend, unregistered, type BackendStrategy } from './strategy';

interface Gpu {
  requestAdapter(): Promise<unknown>;
}

const gpu = () => (globalThis as { navigator?: { gpu?: Gpu } }).navigator?.gpu;

export const webgpuStrategy: BackendStrategy = {
  id: 'webgpu',
  precondition: () => (gpu() ? unregistered('webgpu') : 'navigator.gpu missing (this browser does not offer WebGPU)'),
  async configure() {
    if (!(await gpu()!.requestAdapter())) return 'navigator.gpu.requestAdapter() returned no adapter';
    return startTfBackend('webgpu');
  },
  smokeTest,
  /** WebGPU `device.lost`: driver reset, GPU removed, tab backgrounded too long on some systems. */
  watchLoss(onLost) {
    const device = (tf.backend() as unknown as { device?: { lost?: Promise<{ reason?: string; message?: string }> } }).device;
    void device?.lost?.then((info) =>
      onLost(`WebGPU device lost (${info.reason ?? 'unknown'}${info.message ? `: ${info.message}` : ''})`),
    );
  },
  compileOnlyFlag: 'WEBGPU_ENGINE_COMPILE_ONLY',
};
