import * as tf from '@tensorflow/tfjs-core';
import { key, normal, ShapeError, split, ValueError } from '@walkjump/tensor';
import { expectNoLeak, meanAndSE, relError } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { tweedieFromEnergy } from '../estimators/tweedie.ts';
import { deenLoss } from './deen.ts';

const mu = [1, -2];
const s = 1; // X ~ N(mu, s²I)
const sigma = 0.5;

/** E(y) = ½ yᵀÂy + bᵀy with Â = (M + Mᵀ)/2; rows independent. */
const linearEnergy = (M: tf.Tensor, b: tf.Tensor) => (y: tf.Tensor) =>
  tf.tidy(() => {
    const A = tf.div(tf.add(M, tf.transpose(M)), 2);
    return tf.add(
      tf.mul(0.5, tf.sum(tf.mul(tf.matMul(y as tf.Tensor2D, A as tf.Tensor2D), y), 1)),
      tf.squeeze(tf.matMul(y as tf.Tensor2D, tf.reshape(b, [-1, 1]) as tf.Tensor2D), [1]),
    );
  });

describe('deenLoss', () => {
  it("its expectation for Y's exact energy is the Bayes risk dσ²s²/(s²+σ²) (Gaussian X)", async () => {
    await expectNoLeak(() => {
      const d = 4;
      const B = 20000;
      const [kx, kl] = split(key(10), 2) as [ReturnType<typeof key>, ReturnType<typeof key>];
      const x = normal(kx, [B, d], { mean: 0.3, std: s });
      const v = s * s + sigma * sigma;
      const energy = (y: tf.Tensor) => tf.tidy(() => tf.div(tf.sum(tf.square(tf.sub(y, 0.3)), 1), 2 * v));
      const l = deenLoss(kl, energy, x, { sigma });
      expect(l.shape).toEqual([B]);
      const { mean, se } = meanAndSE(l.dataSync());
      const risk = (d * sigma * sigma * s * s) / v;
      expect(Math.abs(mean - risk)).toBeLessThan(4 * se);
      // …and the prior's energy (forgetting the noise) has the larger risk d[(1−k)²s² + k²σ²],
      // k = 1 − σ²/s²: checked on the paired per-sample difference, whose standard error is small
      const wrong = (y: tf.Tensor) => tf.tidy(() => tf.div(tf.sum(tf.square(tf.sub(y, 0.3)), 1), 2 * s * s));
      const lw = deenLoss(kl, wrong, x, { sigma });
      const diff = tf.tidy(() => tf.sub(lw, l));
      const k = 1 - (sigma * sigma) / (s * s);
      const excess = d * ((1 - k) ** 2 * s * s + k * k * sigma * sigma) - risk;
      const pd = meanAndSE(diff.dataSync());
      expect(Math.abs(pd.mean - excess)).toBeLessThan(4 * pd.se);
      expect(pd.mean).toBeGreaterThan(4 * pd.se);
      tf.dispose([x, l, lw, diff]);
    });
  });

  it('is differentiable in closed-over parameters (double backprop) with the analytic gradient', async () => {
    await expectNoLeak(() => {
      const x = normal(key(3), [64, 2], { std: 2 });
      const M0 = tf.tensor2d([
        [0.4, 0.1],
        [-0.2, 0.9],
      ]);
      const b0 = tf.tensor1d([0.3, -0.5]);
      const M = tf.variable(M0);
      const b = tf.variable(b0);
      const energy = linearEnergy(M, b);
      const { value, grads } = tf.variableGrads(() => tf.mean(deenLoss(key(4), energy, x, { sigma })), [M, b]);
      // r = x − y + σ²(Ây + b), ∂/∂b mean‖r‖² = 2σ² mean_b r_b; y reproduced from the same key
      const expected = tf.tidy(() => {
        const y = tf.add(x, tf.mul(normal(key(4), [64, 2]), sigma));
        const A = tf.div(tf.add(M, tf.transpose(M)), 2);
        const r = tf.add(tf.sub(x, y), tf.mul(tf.add(tf.matMul(y, A as tf.Tensor2D), b), sigma * sigma));
        return tf.mul(tf.mean(r, 0), 2 * sigma * sigma);
      });
      expect(relError(grads['b' in grads ? 'b' : b.name]!.dataSync(), expected.dataSync())).toBeLessThan(1e-5);
      expect(grads[M.name]!.dataSync().every((g) => Number.isFinite(g) && g !== 0)).toBe(true);
      tf.dispose([x, M0, b0, M, b, value, expected, ...Object.values(grads)]);
    });
  });

  it('minimized over a linear score (Adam) recovers the Wiener filter μ + s²/(s²+σ²)(y − μ)', async () => {
    await expectNoLeak(() => {
      const n = 2048;
      const sigma = 1;
      const x = tf.tidy(() => tf.add(normal(key(20), [n, 2], { std: s }), tf.tensor1d(mu)));
      const M0 = tf.zeros([2, 2]);
      const b0 = tf.zeros([2]);
      const M = tf.variable(M0);
      const b = tf.variable(b0);
      const energy = linearEnergy(M, b);
      const opt = tf.train.adam(0.05);
      const lossKey = key(21); // a fixed draw of the noise: a deterministic least-squares objective
      for (let t = 0; t < 300; t++) {
        if (t === 200) (opt as unknown as { learningRate: number }).learningRate = 0.01;
        tf.dispose(
          opt.minimize(() => tf.mean(deenLoss(lossKey, energy, x, { sigma, checkFinite: false })) as tf.Scalar) ?? [],
        );
      }
      // x̂(y) = y − σ²(Ây + b) must equal μ + k(y − μ), k = s²/(s²+σ²): Â = I/(s²+σ²), b = −μ/(s²+σ²)
      const v = s * s + sigma * sigma;
      const A = tf.tidy(() => tf.div(tf.add(M, tf.transpose(M)), 2));
      const a = A.dataSync();
      const bb = b.dataSync();
      // Least squares of ε/σ on y from n samples: the standard error of Â's entries is
      // sd(ε/σ | y)/(sd(y)√n) = s/(σ v √n); b's is larger by √(1 + ‖μ‖²/v). Four standard errors.
      const se = s / (sigma * v * Math.sqrt(n));
      const seB = se * Math.sqrt(1 + (mu[0]! ** 2 + mu[1]! ** 2) / v);
      expect(Math.abs(a[0]! - 1 / v)).toBeLessThan(4 * se);
      expect(Math.abs(a[3]! - 1 / v)).toBeLessThan(4 * se);
      expect(Math.abs(a[1]!)).toBeLessThan(4 * se);
      expect(Math.abs(bb[0]! + mu[0]! / v)).toBeLessThan(4 * seB);
      expect(Math.abs(bb[1]! + mu[1]! / v)).toBeLessThan(4 * seB);
      // the jump of the learned energy is the Wiener filter at a test point
      const y = tf.tensor2d([[0.5, 0.5]]);
      const xh = tweedieFromEnergy(energy, sigma)(y);
      const k = (s * s) / v;
      const wiener = [mu[0]! + k * (0.5 - mu[0]!), mu[1]! + k * (0.5 - mu[1]!)];
      expect(relError(xh.dataSync(), wiener)).toBeLessThan(0.05);
      opt.dispose();
      tf.dispose([x, M0, b0, M, b, A, y, xh]);
    });
  });

  it('rejects bad input naming the argument', () => {
    const x = tf.ones([3, 2]);
    const e = (y: tf.Tensor) => tf.sum(y, 1);
    expect(() => deenLoss(key(0), e, x, { sigma: 0 })).toThrow(ValueError);
    expect(() => deenLoss(key(0), e, x, { sigma: -0.3 })).toThrow(
      /deenLoss: 'sigma' must be a positive number, got -0.3/,
    );
    const nan = tf.tensor2d([[1, Number.NaN]]);
    expect(() => deenLoss(key(0), e, nan, { sigma: 1 })).toThrow(/deenLoss: 'x' contains NaN/);
    expect(() => deenLoss(key(0), (y) => y, x, { sigma: 1 })).toThrow(ShapeError);
    expect(() => deenLoss(key(0), (y) => y, x, { sigma: 1 })).toThrow(
      /'energy' must return per-sample energies \[3\], got \[3, 2\]/,
    );
    const xi = tf.ones([3, 2], 'int32');
    expect(() => deenLoss(key(0), e, xi, { sigma: 1 })).toThrow(/'x' must be float32/);
    expect(() => tweedieFromEnergy(e, Number.NaN)).toThrow(/tweedieFromEnergy: 'sigma'/);
    tf.dispose([x, nan, xi]);
  });
});
