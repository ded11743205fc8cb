/**
 * The webgpu backend with a device that has `shader-f16` where the adapter offers it.
 *
 * tfjs-backend-webgpu 4.22 (src/base.ts) asks its device for `timestamp-query` and
 * `bgra8unorm-storage` only, so a shader with `enable f16;` cannot run on it. This registers the
 * same factory (same adapter request, features and limits) plus `shader-f16`, in place of tfjs's,
 * before the backend first starts. Nothing else about the backend changes.
 */
import * as tf from '@tensorflow/tfjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

async function createBackend(): Promise<WebGPUBackend> {
  const adapter = await navigator.gpu.requestAdapter({
    powerPreference: tf.env().getBool('WEBGPU_USE_LOW_POWER_GPU') ? 'low-power' : 'high-performance',
  });
  if (!adapter) throw new Error('navigator.gpu.requestAdapter() returned no adapter');
  const features: GPUFeatureName[] = [];
  for (const f of ['timestamp-query', 'bgra8unorm-storage', 'shader-f16'] as const) {
    if (adapter.features.has(f)) features.push(f);
  }
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures: features,
    requiredLimits: {
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    },
  });
  // `info` is newer than this TypeScript's WebGPU types (tfjs reads it the same way).
  return new WebGPUBackend(device, (adapter as unknown as { info?: GPUAdapterInfo }).info);
}

/**
 * Replaces tfjs's webgpu factory by one whose device has `shader-f16` when the adapter does.
 * Only before the backend has started (an existing instance keeps its device): returns whether it
 * replaced the factory.
 */
export function registerF16CapableWebGpu(): boolean {
  // tf.findBackend would start the backend; the engine's registry only holds started ones.
  const started = (tf.engine() as unknown as { registry: Record<string, unknown> }).registry.webgpu;
  if (!tf.findBackendFactory('webgpu') || started) return false;
  tf.removeBackend('webgpu');
  // Priority 3, as tfjs registers it (the app always chooses its backend by name anyway).
  return tf.registerBackend('webgpu', createBackend, 3);
}
