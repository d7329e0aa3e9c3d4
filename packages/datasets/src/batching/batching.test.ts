import * as tf from '@tensorflow/tfjs-core';
import { key } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { batches, flatten, scale, splitIndices, takeRows, tensorBatches, toNHWC } from './batching.ts';

const data = {
  x: { data: Float32Array.from({ length: 10 * 3 }, (_, i) => i), shape: [10, 3] },
  y: { data: Int32Array.from({ length: 10 }, (_, i) => i), shape: [10] },
};

describe('splitIndices', () => {
  it('disjoint, complete, seeded; fractions or counts', () => {
    const s = splitIndices(key(1), 100, { valid: 0.1, test: 20 });
    expect([s.train.length, s.valid.length, s.test.length]).toEqual([70, 10, 20]);
    const all = [...s.train, ...s.valid, ...s.test].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(splitIndices(key(1), 100, { valid: 0.1, test: 20 })).toEqual(s);
    expect(Array.from(splitIndices(key(2), 100, { valid: 0.1, test: 20 }).test)).not.toEqual(Array.from(s.test));
    expect(() => splitIndices(key(1), 10, { valid: 0.5, test: 6 })).toThrow(
      "splitIndices: 'valid' + 'test' (5 + 6) exceed n = 10",
    );
  });
});

describe('batches', () => {
  it('each epoch covers every row once, rows stay aligned across arrays, caller disposes', async () => {
    await expectNoLeak(() => {
      const seen: number[][] = [[], []];
      let steps = 0;
      for (const b of batches(key(3), data, { batchSize: 4, epochs: 2 })) {
        const x = b.tensors.x.arraySync() as number[][];
        const y = Array.from(b.tensors.y.dataSync());
        expect(b.tensors.y.dtype).toBe('int32');
        x.forEach((row, i) => {
          expect(row).toEqual([3 * y[i]!, 3 * y[i]! + 1, 3 * y[i]! + 2]);
        });
        seen[b.epoch]!.push(...y);
        expect(b.step).toBe(steps++);
        b.dispose();
      }
      expect(steps).toBe(6);
      for (const s of seen) expect([...s].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(seen[0]).not.toEqual(seen[1]);
    });
  });
  it('holds at most one batch: tensor count is flat while streaming', async () => {
    await expectNoLeak(() => {
      const base = tf.memory().numTensors;
      let worst = 0;
      for (const b of batches(key(4), data, { batchSize: 3, epochs: 5, dropLast: true })) {
        worst = Math.max(worst, tf.memory().numTensors - base);
        expect(b.tensors.x.shape).toEqual([3, 3]);
        b.dispose();
      }
      expect(worst).toBe(2);
    });
  });
  it('is seeded and can run unshuffled; rejects misaligned arrays', () => {
    const order = (k: number, shuffle: boolean): number[] => {
      const out: number[] = [];
      for (const b of batches(key(k), { y: data.y }, { batchSize: 5, shuffle })) {
        out.push(...b.tensors.y.dataSync());
        b.dispose();
      }
      return out;
    };
    expect(order(1, true)).toEqual(order(1, true));
    expect(order(1, false)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(() =>
      batches(key(1), { x: data.x, y: { data: new Int32Array(3), shape: [3] } }, { batchSize: 2 }).next(),
    ).toThrow("batches: 'data.y' has 3 rows, expected 10 like 'data.x'");
  });
  it('tensorBatches gathers rows of a tensor without disposing it', async () => {
    const x = tf.tidy(() => tf.reshape(tf.range(0, 10), [10, 1]));
    await expectNoLeak(() => {
      const got: number[] = [];
      for (const b of tensorBatches(key(2), x, { batchSize: 4 })) {
        got.push(...b.dataSync());
        b.dispose();
      }
      expect(got.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });
    expect(x.isDisposed).toBe(false);
    x.dispose();
  });
});

describe('conversion helpers', () => {
  it('takeRows, flatten, toNHWC, scale on arrays and tensors', async () => {
    const r = takeRows(data.x, [2, 0]);
    expect(Array.from(r.data)).toEqual([6, 7, 8, 0, 1, 2]);
    expect(r.shape).toEqual([2, 3]);
    const imgs = { data: new Float32Array(2 * 4 * 4), shape: [2, 4, 4] };
    expect(flatten(imgs).shape).toEqual([2, 16]);
    expect(toNHWC(flatten(imgs), { height: 4, width: 4 }).shape).toEqual([2, 4, 4, 1]);
    expect(() => toNHWC(imgs, { height: 3, width: 4 })).toThrow(
      "toNHWC: 'x' rows of shape [4, 4] cannot be reshaped to [3, 4, 1]",
    );
    expect(Array.from(scale({ data: Float32Array.from([0, 0.5, 1]), shape: [3] }, { to: [-1, 1] }).data)).toEqual([
      -1, 0, 1,
    ]);
    await expectNoLeak(() => {
      const t = tf.ones([2, 4, 4]);
      const f = flatten(t);
      const n = toNHWC(f, { height: 4, width: 4 });
      const s = scale(t, { from: [0, 2], to: [10, 20] });
      expect(f.shape).toEqual([2, 16]);
      expect(n.shape).toEqual([2, 4, 4, 1]);
      expect(s.dataSync()[0]).toBe(15);
      tf.dispose([t, f, n, s]);
    });
  });
});
