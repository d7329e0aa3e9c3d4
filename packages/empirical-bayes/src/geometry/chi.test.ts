import * as tf from '@tensorflow/tfjs-core';
import { key, normal, uniform } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { chiStatistics, criticalSigma } from './chi.ts';

function brute(x: Float32Array, N: number, d: number) {
  const v: number[] = [];
  for (let i = 0; i < N; i++)
    for (let j = i + 1; j < N; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += ((x[i * d + k] as number) - (x[j * d + k] as number)) ** 2;
      v.push(Math.sqrt(s) / (2 * Math.sqrt(d)));
    }
  v.sort((a, b) => a - b);
  const n = v.length;
  const median = n % 2 ? (v[(n - 1) / 2] as number) : ((v[n / 2 - 1] as number) + (v[n / 2] as number)) / 2;
  return { min: v[0] as number, max: v[n - 1] as number, mean: v.reduce((a, b) => a + b, 0) / n, median, n };
}

describe('chiStatistics (eq. 4, Table 1)', () => {
  for (const [N, blockRows] of [
    [40, 7],
    [41, 512],
    [2, 1],
  ] as const) {
    it(`equals brute force over all pairs (N = ${N}, blockRows = ${blockRows})`, async () => {
      await expectNoLeak(async () => {
        const d = 13;
        const x = tf.tidy(() => tf.add(uniform(key(N), [N, d]), 3)); // offset: centring matters
        const ref = brute(x.dataSync() as Float32Array, N, d);
        const s = await chiStatistics(x, { blockRows });
        expect(s.pairs).toBe(ref.n);
        for (const k of ['min', 'median', 'mean', 'max'] as const)
          expect(Math.abs(s[k] - ref[k])).toBeLessThan(1e-5 * ref.max);
        expect(s.sigmaC).toBe(s.max);
        expect(await criticalSigma(x, { blockRows })).toBeCloseTo(ref.max, 5);
        x.dispose();
      });
    });
  }

  it('takes per-sample shapes [N, h, w] and rejects bad input', async () => {
    const x = normal(key(1), [10, 3, 4]);
    const s = await chiStatistics(x);
    expect(s.max).toBeGreaterThan(s.min);
    await expect(chiStatistics(tf.zeros([1, 5]))).rejects.toThrow(/at least 2 samples/);
    const nan = tf.tensor2d([
      [1, Number.NaN],
      [0, 0],
    ]);
    await expect(chiStatistics(nan)).rejects.toThrow(/'x' contains NaN/);
    await expect(chiStatistics(x, { blockRows: 0 })).rejects.toThrow(/'blockRows'/);
    tf.dispose([x, nan]);
  });
});
