/** The restricted unpickler and ZIP reader against hand-written (and hostile) inputs. */

import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { PickleError, PICKLE_LIMITS, readCheckpoint, unpickle, ZipReader, findStateDict } from '../../../src/torch-import';

const enc = new TextEncoder();

/** Assembles a pickle from opcodes (numbers) and raw byte chunks. */
function pk(...parts: (number | string | Uint8Array | number[])[]): Uint8Array {
  const out: number[] = [0x80, 2];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else if (typeof p === 'string') out.push(...enc.encode(p));
    else out.push(...p);
  }
  return new Uint8Array(out);
}
const u32 = (n: number) => [n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255];
const shortUnicode = (s: string) => [0x8c, s.length, ...enc.encode(s)];
const GLOBAL = (m: string, n: string) => [0x63, ...enc.encode(`${m}\n${n}\n`)];
const STOP = 0x2e;
const noStorage = () => {
  throw new Error('no storage expected');
};

function refusal(data: Uint8Array): PickleError {
  try {
    unpickle(data, noStorage);
  } catch (e) {
    expect(e).toBeInstanceOf(PickleError);
    return e as PickleError;
  }
  throw new Error('the pickle was accepted');
}

describe('restricted unpickler', () => {
  it('reads plain data: dicts, lists, tuples, ints, floats, strings, bools, None', () => {
    // {'a': [1, 2.5, 'x'], 'b': (True, None)}
    const v = unpickle(
      pk(
        0x7d,
        0x28,
        ...shortUnicode('a'),
        0x5d,
        0x28,
        0x4b,
        1,
        0x47,
        0x40,
        0x04,
        0,
        0,
        0,
        0,
        0,
        0,
        ...shortUnicode('x'),
        0x65,
        ...shortUnicode('b'),
        0x88,
        0x4e,
        0x86,
        0x75,
        STOP,
      ),
      noStorage,
    );
    const d = v as { map: Map<string, unknown> };
    expect(d.map.get('a')).toEqual([1, 2.5, 'x']);
    expect((d.map.get('b') as { items: unknown[] }).items).toEqual([true, null]);
  });

  it('refuses GLOBAL os.system and names it, before anything could be called', () => {
    const e = refusal(pk(...GLOBAL('os', 'system'), ...shortUnicode('echo pwned'), 0x85, 0x52, STOP));
    expect(e.kind).toBe('refused');
    expect(e.message).toContain('"os.system"');
    expect(e.message).toContain('never executed');
  });

  it('refuses STACK_GLOBAL builtins.eval and posix.system', () => {
    expect(refusal(pk(...shortUnicode('builtins'), ...shortUnicode('eval'), 0x93, STOP)).message).toContain('"builtins.eval"');
    expect(refusal(pk(...GLOBAL('posix', 'system'), STOP)).message).toContain('"posix.system"');
    expect(refusal(pk(...GLOBAL('torch', 'load'), STOP)).message).toContain('"torch.load"');
    expect(refusal(pk(...GLOBAL('torchvision.models.resnet', 'resnet18'), STOP)).message).toContain('resnet18');
  });

  it('refuses REDUCE on an allowed class name (classes are never called) and on non-globals', () => {
    const e = refusal(pk(...GLOBAL('torchvision.models.resnet', 'ResNet'), 0x29, 0x52, STOP));
    expect(e.message).toMatch(/calling torchvision\.models\.resnet\.ResNet is not allowed/);
    expect(refusal(pk(...shortUnicode('os.system'), 0x29, 0x52, STOP)).message).toMatch(
      /REDUCE on something that is not an allowed global/,
    );
    expect(refusal(pk(...GLOBAL('collections', 'OrderedDict'), 0x29, 0x29, 0x92, STOP)).message).toMatch(/NEWOBJ_EX/);
  });

  it('refuses object-building opcodes of the text protocols and extension registries', () => {
    expect(refusal(pk(0x28, 0x69, 'os\nsystem\n', STOP)).message).toMatch(/opcode 0x69/); // INST
    expect(refusal(pk(0x82, 1, STOP)).message).toMatch(/opcode 0x82/); // EXT1
    expect(refusal(pk(0x97, STOP)).message).toMatch(/opcode 0x97/); // NEXT_BUFFER (out-of-band)
  });

  it('bounds nesting depth and stack size', () => {
    expect(refusal(pk(...new Array(PICKLE_LIMITS.marks + 1).fill(0x28), STOP)).message).toMatch(/nests deeper/);
    expect(refusal(pk(...new Array(PICKLE_LIMITS.stack + 1).fill(0x5d), STOP)).message).toMatch(/nests deeper/);
  });

  it('bounds sizes: huge lengths, huge integers, truncation', () => {
    // BINUNICODE8 claiming 2^40 bytes
    expect(refusal(pk(0x8d, 0, 0, 0, 0, 0, 1, 0, 0, STOP)).message).toMatch(/past the end/);
    // BINUNICODE claiming 4 GiB − 1
    expect(refusal(pk(0x58, 255, 255, 255, 255, STOP)).message).toMatch(/ends early/);
    // LONG4 of 1 MB
    expect(refusal(pk(0x8b, ...u32(1 << 20), STOP)).message).toMatch(/too large/);
    // cut before STOP
    expect(refusal(pk(0x7d)).message).toMatch(/ends early/);
    expect(refusal(pk(0x6a, ...u32(7), STOP)).message).toMatch(/memo entry 7 is missing/);
  });

  it('accepts only storage persistent ids', () => {
    const e = (() => {
      try {
        readCheckpoint(
          zipSync(
            { 'x/data.pkl': pk(...shortUnicode('file:///etc/passwd'), 0x51, STOP), 'x/byteorder': enc.encode('little') },
            { level: 0 },
          ),
        );
      } catch (err) {
        return err as Error;
      }
      throw new Error('accepted');
    })();
    expect(e.message).toMatch(/not a tensor storage/);
  });

  it('finds the state dict behind a wrapper and strips module. prefixes', () => {
    // {'state_dict': OrderedDict([('module.w', tensor)])}: a tensor of 2 float32 in storage "0".
    const tensor = [
      ...GLOBAL('torch._utils', '_rebuild_tensor_v2'),
      0x28, // MARK: the arguments
      0x28, // MARK: the persistent id
      ...shortUnicode('storage'),
      ...GLOBAL('torch', 'FloatStorage'),
      ...shortUnicode('0'),
      ...shortUnicode('cpu'),
      0x4b,
      2,
      0x74,
      0x51, // TUPLE, BINPERSID
      0x4b,
      0, // offset
      0x4b,
      2,
      0x85, // size (2,)
      0x4b,
      1,
      0x85, // stride (1,)
      0x89, // requires_grad False
      ...GLOBAL('collections', 'OrderedDict'),
      0x29,
      0x52, // backward hooks
      0x74,
      0x52, // args tuple, REDUCE
    ];
    const data = pk(
      0x7d,
      ...shortUnicode('state_dict'),
      ...GLOBAL('collections', 'OrderedDict'),
      0x29,
      0x52,
      ...shortUnicode('module.w'),
      ...tensor,
      0x73,
      0x73,
      STOP,
    );
    const floats = new Uint8Array(new Float32Array([1.5, -2]).buffer);
    const ckpt = readCheckpoint(
      zipSync({ 'arch/data.pkl': data, 'arch/data/0': floats, 'arch/byteorder': enc.encode('little') }, { level: 0 }),
    );
    const sd = findStateDict(ckpt.root);
    expect([...sd.tensors.keys()]).toEqual(['w']);
    expect(sd.style).toEqual(["{'state_dict': …} wrapper", 'state dict', '"module." prefix removed']);
  });
});

describe('ZIP reader', () => {
  it.each(['../evil.txt', 'a/../../evil', '/etc/passwd', 'C:/x', 'a\\..\\b'])('refuses the member name %s', (name) => {
    const zip = zipSync({ [name]: enc.encode('x') });
    expect(() => new ZipReader(zip)).toThrow(/refused/);
  });

  it('reads stored and deflated members and refuses truncated archives', () => {
    const zip = zipSync({
      'a/b.txt': [enc.encode('hello hello hello hello'), { level: 9 }],
      'c.bin': [new Uint8Array([1, 2, 3]), { level: 0 }],
    });
    const r = new ZipReader(zip);
    expect(new TextDecoder().decode(r.read('a/b.txt'))).toBe('hello hello hello hello');
    expect([...r.read('c.bin')]).toEqual([1, 2, 3]);
    expect(() => readCheckpoint(zip.subarray(0, zip.length - 30))).toThrow(/not a PyTorch checkpoint|damaged/);
    expect(() => readCheckpoint(enc.encode('GIF89a not a checkpoint'))).toThrow(/not a PyTorch checkpoint/);
  });
});
