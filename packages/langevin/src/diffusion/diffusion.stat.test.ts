import * as tf from '@tensorflow/tfjs-core';
import { key, NonFiniteError, ShapeError, ValueError } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { reverseDiffusion, stochasticLocalization } from './diffusion.ts';

// X ~ N(μ, s²I) in d = 2. Both samplers are linear recursions on this target, so the exact law of
// their discrete output (mean and variance, per coordinate) follows by iterating the recursion; the
// tests compare the sample moments to it within 4.5 Monte Carlo standard errors.
const mu = [1.5, -0.5];
const s2 = 0.25;
const C = 4000;

function colMoments(y: Float32Array, d: number) {
  const n = y.length / d;
  const m = Array(d).fill(0);
  const v = Array(d).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) m[j] += y[i * d + j]! / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) v[j] += (y[i * d + j]! - m[j]) ** 2 / (n - 1);
  return { m, v, n };
}

function expectGaussianMoments(y: Float32Array, mean: number[], variance: number) {
  const { m, v, n } = colMoments(y, mean.length);
  for (let j = 0; j < mean.length; j++) {
    expect(Math.abs(m[j] - mean[j]!), `mean[${j}] ${m[j]} vs ${mean[j]}`).toBeLessThan(4.5 * Math.sqrt(variance / n));
    expect(Math.abs(v[j] - variance), `var[${j}] ${v[j]} vs ${variance}`).toBeLessThan(
      4.5 * variance * Math.sqrt(2 / (n - 1)),
    );
  }
}

describe('reverseDiffusion (reverse-time OU, Euler–Maruyama)', () => {
  const T = 4;
  const steps = 200;
  // r_t = N(e^{−t}μ, v_t I), v_t = e^{−2t}s² + 1 − e^{−2t}
  const vt = (t: number) => Math.exp(-2 * t) * s2 + 1 - Math.exp(-2 * t);
  const score = (y: tf.Tensor, t: tf.Tensor | number) =>
    tf.tidy(() => tf.div(tf.sub(tf.tensor2d([mu.map((m) => Math.exp(-(t as number)) * m)]), y), vt(t as number)));

  it('the output has exactly the mean and variance of the discretized recursion, and ≈ N(μ, s²)', async () => {
    await expectNoLeak(() => {
      const y = reverseDiffusion(key(3), { score, shape: [C, 2], horizon: T, steps });
      // y_{k+1} = a y_k + b + √(2g) ε with a = 1 + g − 2g/v, b = 2g e^{−t}μ/v
      const g = T / steps;
      let m = [0, 0];
      let v = 1;
      for (let k = 0; k < steps; k++) {
        const t = T - g * k;
        const a = 1 + g - (2 * g) / vt(t);
        m = m.map((mj, j) => a * mj + (2 * g * Math.exp(-t) * mu[j]!) / vt(t));
        v = a * a * v + 2 * g;
      }
      expect(Math.abs(v - s2)).toBeLessThan(0.05); // the EM bias at g = 0.02 is small
      expectGaussianMoments(y.dataSync() as Float32Array, m, v);
      y.dispose();
    });
  });

  it('rejects bad options and a score of the wrong shape, leaking nothing', async () => {
    await expectNoLeak(() => {
      expect(() => reverseDiffusion(key(0), { score, shape: [4, 2], horizon: 0, steps: 10 })).toThrow(ValueError);
      expect(() => reverseDiffusion(key(0), { score, shape: [4, 2], horizon: 1, steps: 0 })).toThrow(ValueError);
      expect(() => reverseDiffusion(key(0), { score, horizon: 1, steps: 3 })).toThrow(ShapeError);
      expect(() =>
        reverseDiffusion(key(0), { score: (y) => tf.sum(y, 1), shape: [4, 2], horizon: 1, steps: 3 }),
      ).toThrow(/score must return the position's shape \[4, 2\], got \[4\]/);
      expect(() =>
        reverseDiffusion(key(0), { score: (y) => tf.div(y, 0), shape: [4, 2], horizon: 1, steps: 3 }),
      ).toThrow(NonFiniteError);
    });
  });
});

describe('stochasticLocalization (dZ = E[X | Z_t] dt + dB)', () => {
  // E[X | X + σN = y] = (s²y + σ²μ)/(s² + σ²)
  const denoiser = (y: tf.Tensor, sigma: tf.Tensor | number) =>
    tf.tidy(() => {
      const sg2 = (sigma as number) ** 2;
      return tf.div(tf.add(tf.mul(y, s2), tf.mul(tf.tensor2d([mu]), sg2)), s2 + sg2);
    });

  it('Z_T/T and the final estimate have the moments of the discretized recursion', async () => {
    await expectNoLeak(() => {
      const T = 50;
      const steps = 200;
      const { sample, observation } = stochasticLocalization(key(4), { denoiser, shape: [C, 2], horizon: T, steps });
      // Z_{k+1} = Z_k (1 + δs²/(s²t_k + 1)) + δμ/(s²t_k + 1) + √δ ε (k = 0: drift μ up to σ = 10⁴)
      const d = T / steps;
      let m = [0, 0];
      let v = 0;
      for (let k = 0; k < steps; k++) {
        const t = k * d;
        const c = k === 0 ? 1 / (1 + s2 / 1e8) : 1 / (s2 * t + 1);
        const a = k === 0 ? 1 : 1 + d * s2 * c;
        m = m.map((mj, j) => a * mj + d * c * mu[j]!);
        v = a * a * v + d;
      }
      expectGaussianMoments(
        observation.dataSync() as Float32Array,
        m.map((x) => x / T),
        v / (T * T),
      );
      const f = s2 / (s2 + 1 / T);
      expectGaussianMoments(
        sample.dataSync() as Float32Array,
        m.map((x, j) => f * (x / T) + (1 - f) * mu[j]!),
        (f * f * v) / (T * T),
      );
      // and the estimate is close to N(μ, s²) (posterior spread 1/T is small)
      const { v: sv } = colMoments(sample.dataSync() as Float32Array, 2);
      expect(Math.abs(sv[0] - s2)).toBeLessThan(0.05);
      tf.dispose([sample, observation]);
    });
  });
});
