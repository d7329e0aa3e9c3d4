import * as tf from '@tensorflow/tfjs-core';
import { key, normal, ShapeError, split, ValueError } from '@walkjump/tensor';
import { expectNoLeak, meanAndSE, relError } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { gaussianMDensity } from '../references/m-density.ts';
import {
  meanMeasurementTweedie,
  multimeasurementTweedie,
  multimeasurementTweedieFromEnergy,
  plugInEstimator,
  sigmaEff,
} from './multimeasurement.ts';
import type { Key } from '@walkjump/tensor';

const mu = [0.5, -1, 2];
const sigma0 = 1.3;

// eq. 25 of App. A, written out in float64 for M = 2
function eq25(y1: number[], y2: number[], s0: number, s1: number, s2: number): number {
  const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * (b[i] as number), 0);
  const [a0, a1, a2] = [s0 * s0, s1 * s1, s2 * s2];
  const den = 2 * (a1 * a2 + a2 * a0 + a0 * a1);
  const num = dot(y1, y1) * (a0 + a2) + dot(y2, y2) * (a0 + a1) + dot(mu, mu) * (a1 + a2);
  const cross = 2 * dot(y1, y2) * a0 + 2 * dot(mu, y2) * a1 + 2 * dot(mu, y1) * a2;
  const d = y1.length;
  const logZ = (d / 2) * Math.log((2 * Math.PI) ** 2 * (s0 * s1 * s2) ** 2 * (1 / a0 + 1 / a1 + 1 / a2));
  return -num / den + cross / den - logZ;
}
// eq. 26
const eq26 = (y1: number[], y2: number[], s0: number, s1: number, s2: number): number[] => {
  const [a0, a1, a2] = [s0 * s0, s1 * s1, s2 * s2];
  return mu.map(
    (m, j) => (m * a1 * a2 + (y1[j] as number) * a2 * a0 + (y2[j] as number) * a0 * a1) / (a0 * a1 + a0 * a2 + a1 * a2),
  );
};

describe('gaussianMDensity (App. A) and the multimeasurement jumps (eqs. 7, 8, 11)', () => {
  it('log p matches eq. 25 and x̂ matches eq. 26 for M = 2 with unequal σ', async () => {
    await expectNoLeak(() => {
      const sig = [0.4, 0.9];
      const md = gaussianMDensity({ mu, sigma0, sigma: sig });
      const y = normal(key(1), [5, 2, 3], { std: 1.5 });
      const yv = Array.from(y.dataSync());
      const lp = md.logProb(y);
      const xh = md.denoiser(y);
      const lpv = lp.dataSync();
      const xhv = xh.dataSync();
      for (let b = 0; b < 5; b++) {
        const y1 = yv.slice(b * 6, b * 6 + 3);
        const y2 = yv.slice(b * 6 + 3, b * 6 + 6);
        expect(Math.abs((lpv[b] as number) - eq25(y1, y2, sigma0, 0.4, 0.9))).toBeLessThan(
          2e-4 * Math.max(1, Math.abs(lpv[b] as number)),
        );
        expect(relError(xhv.slice(b * 3, b * 3 + 3), eq26(y1, y2, sigma0, 0.4, 0.9))).toBeLessThan(1e-5);
      }
      tf.dispose([y, lp, xh]);
    });
  });

  it('every m, the mean and all M estimates from energy and score equal ỹ/Z_M (eq. 8), M = 4', async () => {
    await expectNoLeak(() => {
      const sig = [0.3, 0.7, 1.1, 2.0];
      const md = gaussianMDensity({ mu, sigma0, sigma: sig });
      const y = normal(key(2), [7, 4, 3], { std: 2 });
      const ref = md.denoiser(y);
      const refV = ref.dataSync();
      for (const index of [0, 1, 2, 3, 'mean'] as const) {
        const a = multimeasurementTweedieFromEnergy(md.energy, sig, { index })(y);
        const b = multimeasurementTweedie(md.score, sig, { index })(y);
        expect(relError(a.dataSync(), refV)).toBeLessThan(2e-5);
        expect(relError(b.dataSync(), refV)).toBeLessThan(2e-5);
        tf.dispose([a, b]);
      }
      const all = multimeasurementTweedie(md.score, sig, { index: 'all' })(y);
      expect(all.shape).toEqual([7, 4, 3]);
      const rep = tf.tidy(() => tf.tile(tf.expandDims(ref, 1), [1, 4, 1]));
      expect(relError(all.dataSync(), rep.dataSync())).toBeLessThan(2e-5);
      // the closed-form score is the autodiff score of −energy
      const auto = tf.tidy(() => tf.neg(tf.grad((z: tf.Tensor) => tf.sum(md.energy(z)))(y)));
      const s = md.score(y);
      expect(relError(s.dataSync(), auto.dataSync())).toBeLessThan(1e-4);
      tf.dispose([y, ref, all, rep, auto, s]);
    });
  });

  it('is normalized: Monte Carlo E_{y~N(0,4I)}[p(y)/g(y)] = 1 (d = 1, M = 2)', async () => {
    await expectNoLeak(() => {
      const md = gaussianMDensity({ mu: [0.2], sigma0: 0.8, sigma: [0.5, 1] });
      const n = 40000;
      const y = normal(key(3), [n, 2, 1], { std: 2 });
      const r = tf.tidy(() => {
        const logg = tf.sub(tf.mul(tf.sum(tf.reshape(tf.square(y), [n, 2]), 1), -1 / 8), Math.log(2 * Math.PI * 4));
        return tf.exp(tf.sub(md.logProb(y), logg));
      });
      const { mean, se } = meanAndSE(r.dataSync());
      expect(Math.abs(mean - 1)).toBeLessThan(4 * se);
      tf.dispose([y, r]);
    });
  });

  it('the plug-in estimator concentrates at σ_eff (eqs. 9–10)', async () => {
    await expectNoLeak(() => {
      const sig = [0.5, 1, 2];
      const [kx, ke] = split(key(4), 2) as [Key, Key];
      const B = 4000;
      const d = 8;
      const x = normal(kx, [B, d]);
      const y = tf.tidy(() =>
        tf.add(tf.expandDims(x, 1), tf.mul(normal(ke, [B, 3, d]), tf.tensor([0.5, 1, 2], [1, 3, 1]))),
      );
      const xm = plugInEstimator(y);
      const err = tf.tidy(() => tf.div(tf.sum(tf.square(tf.sub(x, xm)), 1), d));
      const { mean, se } = meanAndSE(err.dataSync());
      const se2 = sigmaEff(sig) ** 2;
      expect(se2).toBeCloseTo((0.25 + 1 + 4) / 9, 12);
      expect(Math.abs(mean - se2)).toBeLessThan(4 * se);
      expect(sigmaEff(1, 16)).toBeCloseTo(0.25, 12);
      tf.dispose([x, y, xm, err]);
    });
  });

  it("via the mean (Bach's slides) equals the App. A posterior mean for σ ⊗ m", async () => {
    await expectNoLeak(() => {
      const sigma = 0.9;
      const m = 5;
      const md = gaussianMDensity({ mu, sigma0, sigma, M: m });
      const score = (y: tf.Tensor, s: tf.Tensor | number) =>
        tf.tidy(() => tf.div(tf.sub(tf.tensor1d(mu), y), sigma0 * sigma0 + (s as number) ** 2));
      const y = normal(key(5), [6, m, 3], { std: 1.2 });
      const a = meanMeasurementTweedie(score, sigma)(y);
      const b = md.denoiser(y);
      expect(relError(a.dataSync(), b.dataSync())).toBeLessThan(1e-5);
      tf.dispose([y, a, b]);
    });
  });

  it('rejects bad input naming the argument', () => {
    const e = (y: tf.Tensor) => tf.sum(tf.reshape(y, [y.shape[0] as number, -1]), 1);
    expect(() => multimeasurementTweedieFromEnergy(e, 0)).toThrow(/'sigma' must be a positive number, got 0/);
    expect(() => multimeasurementTweedieFromEnergy(e, [0.5, -1])).toThrow(/'sigma\[1\]'/);
    expect(() => multimeasurementTweedie(e, [1, 2], { index: 2 })).toThrow(ValueError);
    expect(() => gaussianMDensity({ mu, sigma0, sigma: 1, M: 0 })).toThrow(/'M' must be an integer >= 1, got 0/);
    expect(() => gaussianMDensity({ mu, sigma0: -1, sigma: 1 })).toThrow(/'sigma0'/);
    expect(() => sigmaEff(1, 0.5)).toThrow(/'M'/);
    const y = tf.zeros([2, 3, 3]);
    expect(() => multimeasurementTweedieFromEnergy(e, [1, 2])(y)).toThrow(/'y' must have shape \[B, 2, \.\.\.\]/);
    expect(() => gaussianMDensity({ mu, sigma0, sigma: [1, 1] }).denoiser(y)).toThrow(ShapeError);
    expect(() => plugInEstimator(tf.zeros([3]))).toThrow(ShapeError);
    expect(() => meanMeasurementTweedie((z) => z, 0)).toThrow(/'sigma'/);
    tf.dispose(y);
  });
});
