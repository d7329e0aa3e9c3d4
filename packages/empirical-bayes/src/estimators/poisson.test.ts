import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '@walkjump/tensor';
import { expectNoLeak, relError } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { poissonExponentialExample } from '../references/poisson.ts';
import { poissonMultimeasurementTweedie } from './poisson.ts';

const counts = [
  [0, 0, 0],
  [3, 1, 0],
  [7, 12, 5],
  [40, 35, 51],
];

describe('poissonMultimeasurementTweedie (eq. 5) on the exponential-prior example (Sec. 2.1)', () => {
  it('gives (Σy + 1)/(M + 1) for every measurement index m and their mean', async () => {
    await expectNoLeak(() => {
      const M = 3;
      const ex = poissonExponentialExample(M);
      const y = tf.tensor2d(counts);
      const want = counts.map((r) => (r.reduce((a, b) => a + b, 0) + 1) / (M + 1));
      const bayes = ex.bayes(y);
      expect(relError(bayes.dataSync(), want)).toBeLessThan(1e-7);
      for (const index of [0, 1, 2, 'mean'] as const) {
        const xh = poissonMultimeasurementTweedie(ex.logMass, { index })(y);
        expect(xh.shape).toEqual([4]);
        expect(relError(xh.dataSync(), want)).toBeLessThan(2e-5);
        xh.dispose();
      }
      tf.dispose([y, bayes]);
    });
  });

  it('the example log-mass is normalized (sum over all count vectors, M = 2)', async () => {
    await expectNoLeak(() => {
      const ex = poissonExponentialExample(2);
      const rows: number[][] = [];
      for (let a = 0; a < 60; a++) for (let b = 0; b < 60; b++) rows.push([a, b]);
      const y = tf.tensor2d(rows);
      const lp = ex.logMass(y);
      const total = Array.from(lp.dataSync()).reduce((s, l) => s + Math.exp(l), 0);
      expect(Math.abs(total - 1)).toBeLessThan(1e-4);
      tf.dispose([y, lp]);
    });
  });

  it('handles vector X with independent coordinates: y [B, M, D]', async () => {
    await expectNoLeak(() => {
      const M = 2;
      const ex = poissonExponentialExample(M);
      // log p of D = 2 independent coordinates: sum of the per-coordinate example log-masses
      const logMass = (y: tf.Tensor) =>
        tf.tidy(() => {
          const K = y.shape[0] as number;
          const a = ex.logMass(tf.reshape(tf.slice(y, [0, 0, 0], [K, M, 1]), [K, M]));
          const b = ex.logMass(tf.reshape(tf.slice(y, [0, 0, 1], [K, M, 1]), [K, M]));
          return tf.add(a, b);
        });
      const y = tf.tensor3d([
        [
          [1, 4],
          [2, 0],
        ],
        [
          [9, 3],
          [11, 6],
        ],
      ]);
      const xh = poissonMultimeasurementTweedie(logMass, { index: 1 })(y);
      expect(xh.shape).toEqual([2, 2]);
      expect(relError(xh.dataSync(), [4 / 3, 5 / 3, 21 / 3, 10 / 3])).toBeLessThan(2e-5);
      tf.dispose([y, xh]);
    });
  });

  it('rejects non-integer or negative counts, bad M and bad index, naming the argument', () => {
    const ex = poissonExponentialExample(2);
    const est = poissonMultimeasurementTweedie(ex.logMass);
    const frac = tf.tensor2d([[1, 2.5]]);
    const neg = tf.tensor2d([[1, -1]]);
    const nan = tf.tensor2d([[1, Number.NaN]]);
    expect(() => est(frac)).toThrow(/'y' must hold non-negative integer counts, got 2.5/);
    expect(() => est(neg)).toThrow(ValueError);
    expect(() => est(nan)).toThrow(/'y'/);
    expect(() => poissonExponentialExample(0)).toThrow(/'M' must be an integer >= 1, got 0/);
    const ok = tf.tensor2d([[1, 2]]);
    expect(() => poissonMultimeasurementTweedie(ex.logMass, { index: 5 })(ok)).toThrow(/'index'/);
    tf.dispose([frac, neg, nan, ok]);
  });
});
