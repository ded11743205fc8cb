/**
 * Graph rewrites applied to a pack's Keras topology before tfjs builds it. They change how the
 * model runs, never what it computes.
 *
 * Conv2D (linear) → ReLU becomes one Conv2D with activation "relu": tfjs-layers then runs it as a
 * single fused kernel (convolution + bias + ReLU in one pass over the output, XNNPACK's fused clamp
 * on wasm, one shader on WebGL/WebGPU) instead of writing the convolution's output and reading it
 * back for the ReLU. Exporters write separate ReLU layers (PyTorch has no fused module), so a
 * ResNet-18 pack gains 9 fewer kernels per forward pass.
 */

type Json = Record<string, unknown>;

interface KerasLayer {
  class_name: string;
  name: string;
  config: Json;
  inbound_nodes: unknown[];
}

/** The layer names an inbound_nodes entry refers to (Keras 2 list form or Keras 3 dict form). */
function inboundNames(layer: KerasLayer): string[] {
  const names: string[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      if (typeof v[0] === 'string' && typeof v[1] === 'number') names.push(v[0]);
      else v.forEach(visit);
    }
  };
  visit(layer.inbound_nodes);
  return names;
}

function renameInbound(layer: KerasLayer, from: string, to: string): void {
  const visit = (v: unknown): void => {
    if (!Array.isArray(v)) return;
    if (typeof v[0] === 'string' && typeof v[1] === 'number') {
      if (v[0] === from) v[0] = to;
      return;
    }
    v.forEach(visit);
  };
  visit(layer.inbound_nodes);
}

function isPlainRelu(layer: KerasLayer): boolean {
  const c = layer.config;
  if (layer.class_name === 'Activation') return c.activation === 'relu';
  if (layer.class_name !== 'ReLU') return false;
  return (c.max_value ?? null) === null && (c.threshold ?? 0) === 0 && (c.negative_slope ?? 0) === 0;
}

export interface RewriteReport {
  /** ReLU layers folded into the convolution before them, as [conv, relu] names. */
  fusedRelu: [string, string][];
}

/**
 * Returns a rewritten copy of `topology` (a LayersModel `modelTopology`). `keep` names layers that
 * must stay addressable (the Grad-CAM layer): they are never removed or merged into.
 */
export function optimiseTopology(topology: Json, keep: ReadonlySet<string>): { topology: Json; report: RewriteReport } {
  const copy = structuredClone<Json>(topology);
  const report: RewriteReport = { fusedRelu: [] };
  const config = copy.config as Json | undefined;
  const layers = config?.layers as KerasLayer[] | undefined;
  if (!config || !Array.isArray(layers)) return { topology: copy, report };

  const outputs = new Set<string>();
  const visitOut = (v: unknown): void => {
    if (Array.isArray(v)) {
      if (typeof v[0] === 'string') outputs.add(v[0]);
      else v.forEach(visitOut);
    }
  };
  visitOut(config.output_layers);

  const consumers = new Map<string, KerasLayer[]>();
  for (const l of layers) for (const n of inboundNames(l)) consumers.set(n, [...(consumers.get(n) ?? []), l]);
  const byName = new Map(layers.map((l) => [l.name, l]));

  const removed = new Set<string>();
  for (const relu of layers) {
    if (!isPlainRelu(relu) || keep.has(relu.name) || outputs.has(relu.name)) continue;
    if (relu.inbound_nodes.length !== 1) continue;
    const ins = inboundNames(relu);
    if (ins.length !== 1) continue;
    const conv = byName.get(ins[0]!);
    if (!conv || conv.class_name !== 'Conv2D' || keep.has(conv.name) || outputs.has(conv.name)) continue;
    if ((conv.config.activation ?? 'linear') !== 'linear' || conv.inbound_nodes.length !== 1) continue;
    if ((consumers.get(conv.name) ?? []).length !== 1) continue;
    conv.config.activation = 'relu';
    removed.add(relu.name);
    for (const c of consumers.get(relu.name) ?? []) renameInbound(c, relu.name, conv.name);
    consumers.set(conv.name, consumers.get(relu.name) ?? []);
    report.fusedRelu.push([conv.name, relu.name]);
  }
  config.layers = layers.filter((l) => !removed.has(l.name));
  return { topology: copy, report };
}
