import * as tf from '@tensorflow/tfjs-core';
import { key, normal, ShapeError, ValueError } from '@walkjump/tensor';
import { expectNoLeak, relError } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { tweedieFromEnergy } from '../estimators/tweedie.ts';
import { gaussianKdeEnergy } from './kde.ts';

// Brute-force float64 posterior mean and −log p(y) of the KDE.
function bruteForce(c: Float32Array, N: number, d: number, y: Float32Array, sigma: number) {
  const B = y.length / d;
  const mean = new Float64Array(B * d);
  const energy = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    const l = new Float64Array(N);
    let m = -Infinity;
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (y[b * d + j]! - c[n * d + j]!) ** 2;
      l[n] = -s / (2 * sigma * sigma);
      m = Math.max(m, l[n]!);
    }
    let z = 0;
    for (let n = 0; n < N; n++) {
      const w = Math.exp(l[n]! - m);
      z += w;
      for (let j = 0; j < d; j++) mean[b * d + j]! += w * c[n * d + j]!;
    }
    for (let j = 0; j < d; j++) mean[b * d + j]! /= z;
    energy[b] = -(m + Math.log(z)) + Math.log(N) + 0.5 * d * Math.log(2 * Math.PI * sigma * sigma);
  }
  return { mean, energy };
}

describe('gaussianKdeEnergy', () => {
  it('its jump is the brute-force posterior mean and its energy is −log p, across block sizes', async () => {
    await expectNoLeak(() => {
      const N = 37;
      const d = 5;
      const sigma = 0.7;
      const c = normal(key(1), [N, d]);
      const y = normal(key(2), [6, d], { std: 1.5 });
      const ref = bruteForce(c.dataSync() as Float32Array, N, d, y.dataSync() as Float32Array, sigma);
      for (const maxBlockElements of [1, 80, 2 ** 22]) {
        const kde = gaussianKdeEnergy(c, sigma, { maxBlockElements });
        const xh = kde.denoiser(y);
        const e = kde.energy(y);
        expect(relError(xh.dataSync(), ref.mean)).toBeLessThan(1e-5);
        expect(relError(e.dataSync(), ref.energy)).toBeLessThan(1e-5);
        tf.dispose([xh, e]);
        kde.dispose();
      }
      tf.dispose([c, y]);
    });
  });

  it("Tweedie's formula holds exactly: tweedieFromEnergy(energy) equals the denoiser and score", async () => {
    await expectNoLeak(() => {
      const sigma = 0.5;
      const c = normal(key(3), [50, 3, 2]); // per-sample shape [3, 2]
      const y = normal(key(4), [8, 3, 2]);
      const kde = gaussianKdeEnergy(c, sigma, { maxBlockElements: 100 });
      const viaEnergy = tweedieFromEnergy(kde.energy, sigma)(y);
      const direct = kde.denoiser(y);
      const s = kde.score(y);
      const viaScore = tf.tidy(() => tf.add(y, tf.mul(s, sigma * sigma)));
      expect(viaEnergy.shape).toEqual([8, 3, 2]);
      expect(relError(viaEnergy.dataSync(), direct.dataSync())).toBeLessThan(1e-4);
      expect(relError(viaScore.dataSync(), direct.dataSync())).toBeLessThan(1e-5);
      tf.dispose([c, y, viaEnergy, direct, s, viaScore]);
      kde.dispose();
    });
  });

  it('scales to many high-dimensional centres without materializing [B, N, d]', async () => {
    await expectNoLeak(() => {
      // 60 000 × 784 centres (MNIST-sized): a tiled random block keeps the set-up cheap
      // a cheap quasi-random set in [0, 1): frac(k·φ) (JS-side random draws of 47M numbers are slow)
      const c = tf.tidy(() => tf.reshape(tf.mod(tf.mul(tf.range(0, 60000 * 784), 0.6180339887), 1), [60000, 784]));
      const y = tf.randomUniform([16, 784], 0, 1, 'float32', 2);
      const kde = gaussianKdeEnergy(c, 1.0, { maxBlockElements: 60000 * 8 }); // two blocks of 8 rows
      const xh = kde.denoiser(y);
      expect(xh.shape).toEqual([16, 784]);
      const v = xh.dataSync();
      expect(v.every((u) => Number.isFinite(u) && u >= 0 && u <= 1)).toBe(true);
      // the jump of a point near the set is pulled towards it: closer to the centres' mean (0.5)
      const dy = tf.tidy(() => tf.sum(tf.abs(tf.sub(y, 0.5))));
      const dx = tf.tidy(() => tf.sum(tf.abs(tf.sub(xh, 0.5))));
      expect(dx.dataSync()[0]!).toBeLessThan(dy.dataSync()[0]!);
      tf.dispose([c, y, xh, dy, dx]);
      kde.dispose();
    });
  });

  it('rejects bad inputs naming the argument', () => {
    const c = tf.zeros([4, 2]);
    const y = tf.zeros([3, 5]);
    expect(() => gaussianKdeEnergy(c, 0)).toThrow(ValueError);
    expect(() => gaussianKdeEnergy(c, -1)).toThrow(/'sigma'/);
    expect(() => gaussianKdeEnergy(tf.zeros([4]), 1)).toThrow(ShapeError);
    const kde = gaussianKdeEnergy(c, 1);
    expect(() => kde.denoiser(y)).toThrow(/'y' must have shape \[B, 2\], got \[3, 5\]/);
    kde.dispose();
    expect(() => kde.energy(c)).toThrow(/after dispose/);
    tf.dispose([c, y]);
  });
});
