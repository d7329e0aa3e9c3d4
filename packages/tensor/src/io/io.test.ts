import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeak } from '@walkjump/testing';
import {
  adam,
  disposeOptState,
  disposeParams,
  isDataError,
  key,
  loadCheckpoint,
  loadSafetensors,
  parseSafetensors,
  saveCheckpoint,
  saveSafetensors,
  serializeSafetensors,
  writeFileAtomic,
  writeJsonAtomic,
} from '../index.ts';

const fixtures = new URL('./fixtures/', import.meta.url);
const fixture = async (name: string): Promise<Uint8Array> => new Uint8Array(await readFile(new URL(name, fixtures)));

/** Builds a file from a header object and a data buffer (for malformed-file tests). */
const build = (header: unknown, data: Uint8Array, lengthOverride?: number): Uint8Array => {
  const h = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(lengthOverride ?? h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
};

const dataErr = (bytes: Uint8Array, re: RegExp): void => {
  let err: unknown;
  try {
    tf.dispose(Object.values(parseSafetensors(bytes).tensors));
  } catch (e) {
    err = e;
  }
  expect(isDataError(err), String(err)).toBe(true);
  expect(String(err)).toMatch(re);
};

describe('safetensors writer', () => {
  it('matches the reference implementation byte for byte (huggingface/safetensors tensor.rs test vectors)', async () => {
    await expectNoLeak(() => {
      const t = tf.tensor([0, 1, 2, 3, 4, 5], [1, 2, 3]);
      const got = serializeSafetensors({ 'attn.0': t });
      const want = [
        64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58,
        34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116,
        97, 95, 111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
        0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
      ];
      expect(Array.from(got)).toEqual(want);
      const t2 = tf.reshape(t, [1, 1, 2, 3]);
      const aligned = serializeSafetensors({ attn0: t2 });
      expect(Array.from(aligned.subarray(0, 8))).toEqual([72, 0, 0, 0, 0, 0, 0, 0]);
      expect(Array.from(aligned.subarray(8 + 65, 8 + 72))).toEqual([32, 32, 32, 32, 32, 32, 32]);
      expect(Array.from(serializeSafetensors({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
      expect(Array.from(serializeSafetensors({}, { framework: 'pt' }))).toEqual([
        40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95, 95, 34, 58, 123, 34, 102,
        114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112, 116, 34, 125, 125, 32, 32, 32, 32, 32,
      ]);
      tf.dispose([t, t2]);
    });
  });

  it('reproduces reference.safetensors (written by tooling/reference/safetensors_fixture.py) byte for byte', async () => {
    const want = await fixture('reference.safetensors');
    await expectNoLeak(() => {
      const ts = {
        b: tf.tensor2d([
          [1, -2],
          [0.5, 3.25],
        ]),
        a: tf.tensor1d([1, 2, 3]),
        count: tf.tensor1d([3, -1, 2 ** 31 - 1], 'int32'),
        mask: tf.tensor2d([[true, false, false]], [1, 3], 'bool'),
        zeta: tf.scalar(0.1),
        'é.name': tf.tensor1d([7], 'int32'),
      };
      const got = serializeSafetensors(ts, { format: 'pt' });
      expect(got.length).toBe(want.length);
      expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
      tf.dispose(Object.values(ts));
    });
  });

  it('writes ours.safetensors, which PyTorch read back exactly (ours.verify.txt)', async () => {
    await expectNoLeak(async () => {
      const ts = {
        weights: tf.tensor2d([
          [0.25, -1.5, 3],
          [1e-3, 0, -0],
        ]),
        steps: tf.tensor1d([1, -2, 2 ** 31 - 1], 'int32'),
        flags: tf.tensor1d([true, false], 'bool'),
        ω: tf.scalar(2.5),
      };
      const got = serializeSafetensors(ts, { format: 'pt', writer: '@walkjump/tensor' });
      if (process.env.UPDATE_FIXTURES === '1') await writeFile(new URL('ours.safetensors', fixtures), got);
      expect(Buffer.from(got).equals(Buffer.from(await fixture('ours.safetensors')))).toBe(true);
      const verify = await readFile(new URL('ours.verify.txt', fixtures), 'utf8');
      expect(verify).toMatch(/weights F32 \[2, 3\] .* ok/);
      expect(verify).toMatch(/byte-identical/);
      tf.dispose(Object.values(ts));
    });
  });

  it('rejects dtypes it cannot store', async () => {
    await expectNoLeak(() => {
      const c = tf.tensor(['a', 'b']);
      expect(() => serializeSafetensors({ c })).toThrow(
        /serializeSafetensors: tensor 'c' has dtype string; expected float32, int32 or bool/,
      );
      c.dispose();
    });
  });
});

describe('safetensors reader', () => {
  it('reads the PyTorch-made fixture with exact values', async () => {
    const bytes = await fixture('torch.safetensors');
    const expected = JSON.parse(await readFile(new URL('torch.expected.json', fixtures), 'utf8')) as Record<
      string,
      { dtype: string; shape: number[]; values: (number | boolean)[] }
    >;
    await expectNoLeak(() => {
      const { tensors, metadata, dtypes } = parseSafetensors(bytes);
      expect(metadata).toEqual({ format: 'pt', source: 'tooling/reference/safetensors_fixture.py' });
      expect(Object.keys(tensors).sort()).toEqual(Object.keys(expected).sort());
      for (const [name, e] of Object.entries(expected)) {
        const t = tensors[name]!;
        expect(dtypes[name]).toBe(e.dtype);
        expect(t.shape).toEqual(e.shape);
        const got = Array.from(t.dataSync() as ArrayLike<number>);
        if (e.dtype === 'BOOL') {
          expect(t.dtype).toBe('bool');
          expect(got).toEqual(e.values.map((v) => (v ? 1 : 0)));
        } else if (['F32', 'F64', 'F16', 'BF16'].includes(e.dtype)) {
          expect(t.dtype).toBe('float32');
          // F32/F16/BF16 are exact in float32; F64 is rounded to the nearest float32.
          expect(got).toEqual(e.values.map((v) => Math.fround(v as number)));
        } else {
          expect(t.dtype).toBe('int32');
          expect(got).toEqual(e.values);
        }
      }
      expect(Array.from(tensors.f64!.dataSync())).toEqual([Math.fround(1 / 3), -2.5, 0, 1e10].map(Math.fround));
      tf.dispose(Object.values(tensors));
    });
  });

  it('round-trips every dtype it writes', async () => {
    await expectNoLeak(() => {
      const ts = {
        x: tf.tensor([1.5, -Infinity, Number.NaN], [3]),
        i: tf.tensor([[1, 2]], [1, 2], 'int32'),
        e: tf.zeros([0, 2]),
      };
      const back = parseSafetensors(serializeSafetensors(ts));
      expect(Array.from(back.tensors.x!.dataSync())).toEqual([1.5, -Infinity, Number.NaN]);
      expect(back.tensors.i!.dtype).toBe('int32');
      expect(back.tensors.e!.shape).toEqual([0, 2]);
      tf.dispose([...Object.values(ts), ...Object.values(back.tensors)]);
    });
  });

  it('rejects malformed files with DataError naming the problem', async () => {
    await expectNoLeak(() => {
      const f4 = new Uint8Array(16);
      const ok = { x: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } };
      dataErr(new Uint8Array(4), /shorter than the 8-byte header length/);
      dataErr(build(ok, f4, 10_000), /header length 10000 runs past the end/);
      dataErr(build(ok, f4, 200_000_000), /exceeds the 100 MB limit/);
      dataErr(build('{"x": ', f4), /header is not valid JSON/);
      dataErr(build('[1,2]', f4), /header must be a JSON object, got an array/);
      dataErr(
        build({ x: { dtype: 'F31', shape: [4], data_offsets: [0, 16] } }, f4),
        /tensor 'x' has unknown dtype "F31"/,
      );
      dataErr(
        build({ x: { dtype: 'F32', shape: [2, -1], data_offsets: [0, 16] } }, f4),
        /tensor 'x' has invalid shape \[2,-1\]/,
      );
      dataErr(build({ x: { dtype: 'F32', shape: [4], data_offsets: [8, 4] } }, f4), /invalid data_offsets \[8,4\]/);
      dataErr(
        build({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, f4),
        /shape \[3\] × F32 = 12 bytes but data_offsets span 16/,
      );
      dataErr(
        build({ x: { dtype: 'F32', shape: [8], data_offsets: [0, 32] } }, f4),
        /data_offsets \[0, 32\] run past the 16-byte data buffer/,
      );
      dataErr(
        build({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f4),
        /tensors cover 8 bytes but the data buffer holds 16/,
      );
      dataErr(
        build(
          {
            x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
            y: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
          },
          f4,
        ),
        /tensor 'y' starts at byte 4 but the previous tensor ends at 8/,
      );
      dataErr(build({ __metadata__: { a: 1 }, ...ok }, f4), /metadata 'a' must be a string, got 1/);
      const big = new Uint8Array(8);
      new DataView(big.buffer).setBigInt64(0, 2n ** 40n, true);
      dataErr(build({ x: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, big), /outside int32/);
      const badUtf8 = build('{}      ', new Uint8Array(0));
      badUtf8[9] = 0xff;
      dataErr(badUtf8, /header is not valid UTF-8/);
    });
  });
});

describe('files and checkpoints', () => {
  it('writeFileAtomic / writeJsonAtomic replace files and leave no temporary files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wj-io-'));
    try {
      const p = join(dir, 'a.json');
      await writeJsonAtomic(p, { a: 1 });
      await writeJsonAtomic(p, { a: 2, b: [1] });
      expect(JSON.parse(await readFile(p, 'utf8'))).toEqual({ a: 2, b: [1] });
      await writeFileAtomic(join(dir, 'b.bin'), new Uint8Array([1, 2, 3]));
      expect(Array.from(await readFile(join(dir, 'b.bin')))).toEqual([1, 2, 3]);
      expect((await readdir(dir)).sort()).toEqual(['a.json', 'b.bin']);
      await expect(writeFileAtomic(join(dir, 'missing', 'c'), 'x')).rejects.toThrow(/ENOENT/);
      expect((await readdir(dir)).sort()).toEqual(['a.json', 'b.bin']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('saveSafetensors / loadSafetensors round-trip; a missing file is a DataError', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wj-io-'));
    try {
      await expectNoLeak(async () => {
        const x = tf.tensor2d([
          [1, 2],
          [3, 4],
        ]);
        await saveSafetensors(join(dir, 'x.safetensors'), { x }, { note: 'hi' });
        const back = await loadSafetensors(join(dir, 'x.safetensors'));
        expect(back.metadata).toEqual({ note: 'hi' });
        expect(Array.from(back.tensors.x!.dataSync())).toEqual([1, 2, 3, 4]);
        tf.dispose([x, ...Object.values(back.tensors)]);
      });
      await expect(loadSafetensors(join(dir, 'nope.safetensors'))).rejects.toThrow(
        /loadSafetensors: cannot read '.*nope.safetensors'/,
      );
      await writeFile(join(dir, 'bad.safetensors'), new Uint8Array(3));
      await expect(loadSafetensors(join(dir, 'bad.safetensors'))).rejects.toThrow(
        /shorter than .* \(file '.*bad.safetensors'\)/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('saveCheckpoint / loadCheckpoint restore params, optimizer state, step, key and extra exactly', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wj-ckpt-'));
    try {
      await expectNoLeak(async () => {
        const params = { layers: [{ w: tf.tensor2d([[1, 2, 3]]), b: tf.tensor1d([0.5]) }], scale: tf.scalar(2) };
        const opt = adam({ learningRate: 0.1 });
        const state = opt.init(params);
        await saveCheckpoint(dir, { params, optState: state, step: 7, key: key(3), extra: { note: 'x' } });
        await saveCheckpoint(dir, {
          params,
          optState: { ...state, step: 8 },
          step: 8,
          key: key(3),
          extra: { note: 'y' },
        });
        const files = (await readdir(dir)).sort();
        expect(files).toEqual(['checkpoint.json', 'optimizer-000000008.safetensors', 'params-000000008.safetensors']);
        const ck = await loadCheckpoint(dir);
        expect(ck.step).toBe(8);
        expect(ck.optState.step).toBe(8);
        expect([...ck.key]).toEqual([...key(3)]);
        expect(ck.extra).toEqual({ note: 'y' });
        const p = ck.params as { layers: { w: tf.Tensor; b: tf.Tensor }[]; scale: tf.Tensor };
        expect(p.layers[0]!.w.arraySync()).toEqual([[1, 2, 3]]);
        expect(p.scale.shape).toEqual([]);
        expect(Object.keys(ck.optState.slots).sort()).toEqual(['m', 'v']);
        const m = ck.optState.slots.m as { layers: { w: tf.Tensor }[] };
        expect(m.layers[0]!.w.shape).toEqual([1, 3]);
        disposeParams(ck.params);
        disposeOptState(ck.optState);
        disposeParams(params);
        disposeOptState(state);
      });
      await expect(loadCheckpoint(join(dir, 'none'))).rejects.toThrow(/loadCheckpoint: cannot read manifest/);
      await writeFile(join(dir, 'checkpoint.json'), '{"format":"other"}');
      await expect(loadCheckpoint(dir)).rejects.toThrow(/is not a walkjump checkpoint manifest/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('safetensors hardening', () => {
  it("a tensor named '__proto__' stays an ordinary entry", async () => {
    await expectNoLeak(() => {
      const h = '{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
      const bytes = build(h, new Uint8Array(new Float32Array([2]).buffer));
      const { tensors } = parseSafetensors(bytes);
      expect(Object.keys(tensors)).toEqual(['__proto__']);
      expect(Array.from(tensors['__proto__']!.dataSync())).toEqual([2]);
      tf.dispose(Object.values(tensors));
    });
  });
});
