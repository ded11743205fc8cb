/** WebGPU (@tensorflow/tfjs-backend-webgpu): needs an adapter; its device can be lost at any time. */

import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { smokeTest } from './smoke';
import { errorText } from '../errors';
import { namesSoftwareDevice, startTfBackend, unregistered, type BackendProbe, type BackendStrategy } from './strategy';

interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

interface Adapter {
  info?: AdapterInfo;
  /** Older browsers put the flag on the adapter itself. */
  isFallbackAdapter?: boolean;
}

interface Gpu {
  requestAdapter(): Promise<Adapter | null>;
}

const gpu = () => (globalThis as { navigator?: { gpu?: Gpu } }).navigator?.gpu;

/**
 * A fallback adapter is software by definition; otherwise the adapter's names tell (Chrome's
 * software adapter reports vendor "google", architecture "swiftshader"). No names: cannot tell.
 */
async function probeAdapter(): Promise<BackendProbe> {
  try {
    const adapter = await gpu()?.requestAdapter();
    if (!adapter) return { software: null, detail: 'no WebGPU adapter' };
    const info = adapter.info ?? {};
    const names = [info.vendor, info.architecture, info.device, info.description].filter((n) => n).join(' / ');
    if (info.isFallbackAdapter === true || adapter.isFallbackAdapter === true) {
      return { software: true, detail: `WebGPU fallback adapter${names ? ` (${names})` : ''}` };
    }
    if (!names) return { software: null, detail: 'WebGPU adapter without a name' };
    return { software: namesSoftwareDevice(names), detail: `WebGPU adapter ${names}` };
  } catch (e) {
    return { software: null, detail: `WebGPU adapter not readable: ${errorText(e)}` };
  }
}

export const webgpuStrategy: BackendStrategy = {
  id: 'webgpu',
  gpu: true,
  probe: probeAdapter,
  precondition: () => (gpu() ? unregistered('webgpu') : 'navigator.gpu missing (this browser does not offer WebGPU)'),
  async configure(host) {
    if (!(await gpu()!.requestAdapter())) return 'navigator.gpu.requestAdapter() returned no adapter';
    host.gpuKernels?.prepareDevice();
    return startTfBackend('webgpu');
  },
  smokeTest,
  /** After the smoke test (which runs on tfjs's kernels): the app's convolution kernels. */
  async attach(host) {
    await host.gpuKernels?.install();
  },
  detach(host) {
    host.gpuKernels?.detach();
  },
  details(host) {
    const status = host.gpuKernels?.status;
    return status ? { webgpuKernels: status } : {};
  },
  /** WebGPU `device.lost`: driver reset, GPU removed, tab backgrounded too long on some systems. */
  watchLoss(onLost) {
    const device = (tf.backend() as unknown as { device?: { lost?: Promise<{ reason?: string; message?: string }> } }).device;
    void device?.lost?.then((info) =>
      onLost(`WebGPU device lost (${info.reason ?? 'unknown'}${info.message ? `: ${info.message}` : ''})`),
    );
  },
  compileOnlyFlag: 'WEBGPU_ENGINE_COMPILE_ONLY',
};
