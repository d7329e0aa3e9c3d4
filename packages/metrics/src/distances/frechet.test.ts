import * as tf from '@tensorflow/tfjs-core';
import { key, normal } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import fx from '../__fixtures__/frechet.json' with { type: 'json' };
import { fid, frechetDistance, sqrtmPsd, symmetricEigen } from './frechet.ts';

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

describe('symmetricEigen / sqrtmPsd', () => {
  it('eigenvalues match numpy.linalg.eigvalsh and V diag(λ) Vᵀ reconstructs A', () => {
    const k = fx.sym.length;
    const A = Float64Array.from(fx.sym.flat());
    const { values, vectors } = symmetricEigen(A, k);
    values.forEach((v, i) => {
      expect(Math.abs(v - fx.eigvals[i]!)).toBeLessThan(1e-12 * 20);
    });
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        let s = 0;
        for (let l = 0; l < k; l++) s += vectors[i * k + l]! * values[l]! * vectors[j * k + l]!;
        expect(Math.abs(s - A[i * k + j]!)).toBeLessThan(1e-12);
      }
    }
  });

  it('sqrtmPsd squares back to a PSD matrix', () => {
    const k = 6;
    const B = Array.from({ length: k * k }, (_, i) => Math.sin(i * 1.7));
    const A = new Float64Array(k * k);
    for (let i = 0; i < k; i++)
      for (let j = 0; j < k; j++)
        for (let l = 0; l < k; l++) A[i * k + j] = A[i * k + j]! + B[i * k + l]! * B[j * k + l]!;
    const S = sqrtmPsd(A, k);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        let s = 0;
        for (let l = 0; l < k; l++) s += S[i * k + l]! * S[l * k + j]!;
        expect(Math.abs(s - A[i * k + j]!)).toBeLessThan(1e-10);
      }
    }
  });

  it('handles diagonal and 1 × 1 matrices', () => {
    expect(Array.from(symmetricEigen(Float64Array.from([3, 0, 0, 1]), 2).values)).toEqual([1, 3]);
    expect(symmetricEigen(Float64Array.from([2]), 1).values[0]).toBe(2);
  });
});

describe('frechetDistance against SciPy sqrtm', () => {
  it('full-rank features', () => expect(rel(frechetDistance(fx.a, fx.b), fx.value)).toBeLessThan(1e-8));
  it('singular covariances (n < k)', () => {
    expect(rel(frechetDistance(fx.lowrank.a, fx.lowrank.b), fx.lowrank.value)).toBeLessThan(1e-6);
  });
  it('is zero for identical sets and symmetric', () => {
    expect(frechetDistance(fx.a, fx.a)).toBeLessThan(1e-9);
    expect(rel(frechetDistance(fx.b, fx.a), frechetDistance(fx.a, fx.b))).toBeLessThan(1e-10);
  });
  it('rejects mismatched feature dimensions and single points', () => {
    expect(() =>
      frechetDistance(fx.a, [
        [1, 2],
        [3, 4],
      ]),
    ).toThrow(/featureStats|frechetDistance/);
    expect(() =>
      frechetDistance(
        [[1, 2]],
        [
          [1, 2],
          [3, 4],
        ],
      ),
    ).toThrow(/'features' must have at least 2 point/);
  });
});

describe('fid with any feature map', () => {
  it('batches the feature map, reports n, leaks nothing, equals frechetDistance of the features', async () => {
    const res = await expectNoLeak(async () => {
      const a = normal(key(1), [300, 4]);
      const b = normal(key(2), [200, 4], { mean: 0.3 });
      const W = tf.tensor2d([
        [1, 0.5, 0],
        [0, 1, 0],
        [0.2, 0, 1],
        [0, 0, 0.3],
      ]);
      const out = await fid({ featureFn: (x) => tf.tanh(tf.matMul(x, W)), a, b, batchSize: 64 });
      const fa = tf.tidy(() => tf.tanh(tf.matMul(a, W)).arraySync() as number[][]);
      const fb = tf.tidy(() => tf.tanh(tf.matMul(b, W)).arraySync() as number[][]);
      tf.dispose([a, b, W]);
      return { out, direct: frechetDistance(fa, fb) };
    });
    expect(res.out.nA).toBe(300);
    expect(res.out.nB).toBe(200);
    expect(res.out.featureDim).toBe(3);
    expect(rel(res.out.fid, res.direct)).toBeLessThan(1e-9);
    expect(res.out.fid).toBeGreaterThan(0);
  });

  it('rejects a feature map with the wrong output shape', async () => {
    const a = tf.zeros([4, 2]);
    await expect(fid({ featureFn: (x) => tf.sum(x), a, b: a })).rejects.toThrow(/fid: 'featureFn' must map/);
    a.dispose();
  });
});
