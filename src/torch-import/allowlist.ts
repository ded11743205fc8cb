/**
 * The only Python globals a checkpoint may name. Everything else (os.system, builtins.eval,
 * numpy's reconstructors, torch functions beyond the tensor rebuilds…) is refused by name.
 * Module classes are allowed as *names* only: the unpickler records an instance's class and
 * attributes, it never runs a constructor or `__setstate__`.
 */

export type GlobalKind = 'ordered-dict' | 'set' | 'rebuild-tensor' | 'rebuild-parameter' | 'storage' | 'module';

export interface GlobalRef {
  module: string;
  name: string;
  kind: GlobalKind;
  /** storage: the element type */
  dtype?: StorageDtype;
}

export type StorageDtype =
  'float32' | 'float16' | 'float64' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/** `torch.<Name>Storage` → dtype (the legacy typed storages PyTorch still names in its pickles). */
export const STORAGE_DTYPES: Record<string, StorageDtype> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  DoubleStorage: 'float64',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

/** nn submodules whose classes a whole pickled torchvision ResNet / EfficientNet holds. */
const NN_MODULES = new Set([
  'torch.nn.modules.container',
  'torch.nn.modules.conv',
  'torch.nn.modules.batchnorm',
  'torch.nn.modules.activation',
  'torch.nn.modules.linear',
  'torch.nn.modules.pooling',
  'torch.nn.modules.dropout',
  'torch.nn.modules.flatten',
  'torch.nn.parallel.data_parallel',
]);
const TORCHVISION_MODULES = new Set([
  'torchvision.models.resnet',
  'torchvision.models.efficientnet',
  'torchvision.ops.misc',
  'torchvision.ops.stochastic_depth',
]);
const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,99}$/;

/** The allowed global `module.name`, or null when it must be refused. */
export function classifyGlobal(module: string, name: string): GlobalRef | null {
  const ref = (kind: GlobalKind, dtype?: StorageDtype): GlobalRef => ({ module, name, kind, ...(dtype ? { dtype } : {}) });
  if (module === 'collections' && name === 'OrderedDict') return ref('ordered-dict');
  if ((module === 'builtins' || module === '__builtin__') && name === 'set') return ref('set');
  if (module === 'torch._utils' && name === '_rebuild_tensor_v2') return ref('rebuild-tensor');
  if (module === 'torch._utils' && name === '_rebuild_parameter') return ref('rebuild-parameter');
  if (module === 'torch' && Object.hasOwn(STORAGE_DTYPES, name)) return ref('storage', STORAGE_DTYPES[name]);
  // Classes only: an upper-case identifier, so a module-level function of the same module is refused.
  if ((NN_MODULES.has(module) || TORCHVISION_MODULES.has(module)) && IDENT.test(name) && /^[A-Z]/.test(name))
    return ref('module');
  return null;
}

export function describeGlobal(ref: GlobalRef): string {
  return `${ref.module}.${ref.name}`;
}
