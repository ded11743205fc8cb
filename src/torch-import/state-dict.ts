/**
 * Turns what a checkpoint holds into one flat state dict (`"layer1.0.conv1.weight"` → tensor), for
 * the checkpoint styles seen in the wild: a plain state dict; a whole pickled model (its module tree
 * walked through `_modules`, `_parameters`, `_buffers`, which also gives each BatchNorm's `eps`);
 * `{'state_dict': …}`, `{'model': …}` or `{'model_state_dict': …}` wrappers; `module.` prefixes from
 * DataParallel.
 */

import { CheckpointError } from './archive';
import { PyDict, PyObject, TensorRef, type PyValue } from './pickle';

export interface StateDict {
  tensors: Map<string, TensorRef>;
  /** BatchNorm eps by module path (whole pickled models only; a state dict does not carry it). */
  eps: Map<string, number>;
  /** Python class of the top module (whole pickled models only), e.g. `torchvision.models.resnet.ResNet`. */
  modelClass: string | null;
  /** How the weights were found, for the import summary. */
  style: string[];
}

const WRAPPER_KEYS = ['state_dict', 'model_state_dict', 'model'];
const MAX_DEPTH = 32;

function walkModule(obj: PyObject, prefix: string, out: StateDict, depth: number): void {
  if (depth > MAX_DEPTH) throw new CheckpointError('the pickled model nests modules too deeply');
  const state = obj.state;
  if (!(state instanceof PyDict)) throw new CheckpointError(`module "${prefix || 'model'}" has no attribute dict`);
  const cls = `${obj.cls.module}.${obj.cls.name}`;
  if (cls.endsWith('BatchNorm2d')) {
    const eps = state.map.get('eps');
    if (typeof eps === 'number') out.eps.set(prefix.slice(0, -1), eps);
  }
  for (const group of ['_parameters', '_buffers']) {
    const d = state.map.get(group);
    if (!(d instanceof PyDict)) continue;
    for (const [k, v] of d.map) if (v instanceof TensorRef) out.tensors.set(`${prefix}${String(k)}`, v);
  }
  const mods = state.map.get('_modules');
  if (mods instanceof PyDict) {
    for (const [k, v] of mods.map) if (v instanceof PyObject) walkModule(v, `${prefix}${String(k)}.`, out, depth + 1);
  }
}

function tensorsOf(d: PyDict): Map<string, TensorRef> {
  const m = new Map<string, TensorRef>();
  for (const [k, v] of d.map) if (typeof k === 'string' && v instanceof TensorRef) m.set(k, v);
  return m;
}

/** The flat state dict of a checkpoint's root object, or a `CheckpointError` saying what was found instead. */
export function findStateDict(root: PyValue): StateDict {
  const out: StateDict = { tensors: new Map(), eps: new Map(), modelClass: null, style: [] };
  let node: PyValue = root;
  for (let hops = 0; hops < 3; hops++) {
    if (node instanceof PyDict && tensorsOf(node).size === 0) {
      const key = WRAPPER_KEYS.find(
        (k) => node instanceof PyDict && (node.map.get(k) instanceof PyDict || node.map.get(k) instanceof PyObject),
      );
      if (!key) break;
      out.style.push(`{'${key}': …} wrapper`);
      node = node.map.get(key)!;
    }
  }
  if (node instanceof PyObject) {
    if (node.cls.name === 'DataParallel' || node.cls.name === 'DistributedDataParallel') out.style.push('DataParallel model');
    walkModule(node, '', out, 0);
    out.modelClass = `${node.cls.module}.${node.cls.name}`;
    out.style.push(`whole pickled model (${node.cls.name})`);
  } else if (node instanceof PyDict) {
    out.tensors = tensorsOf(node);
    out.style.push('state dict');
  }
  if (out.tensors.size === 0) {
    const keys = node instanceof PyDict ? [...node.map.keys()].slice(0, 8).map(String).join(', ') : typeof node;
    throw new CheckpointError(`no model weights found in the checkpoint (it holds: ${keys || 'nothing'})`);
  }
  const prefixed = (p: string) => [...out.tensors.keys()].every((k) => k.startsWith(p));
  for (const p of ['module.', 'model.']) {
    while (prefixed(p)) {
      out.tensors = new Map([...out.tensors].map(([k, v]) => [k.slice(p.length), v]));
      out.eps = new Map([...out.eps].map(([k, v]) => [k.startsWith(p) ? k.slice(p.length) : k, v]));
      out.style.push(`"${p}" prefix removed`);
    }
  }
  return out;
}
