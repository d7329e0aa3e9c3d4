import * as tf from '@tensorflow/tfjs-core';
import { key, normal, ShapeError, split, ValueError } from '@walkjump/tensor';
import type { Key } from '@walkjump/tensor';
import { expectNoLeak, meanAndSE, relError } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { effectiveDimension } from '../geometry/effective-dimension.ts';
import { gaussianMixtureDiffusion } from '../references/mixture.ts';
import { dualScoreMatchingLoss, logProb, logUniformTimes, normalizeEnergy } from './dual-score.ts';

const mixture = (d: number) =>
  gaussianMixtureDiffusion({
    means: [new Array(d).fill(-1.5), new Array(d).fill(1.5), Array.from({ length: d }, (_, i) => (i % 2 ? 2 : -2))],
    variances: [0.2, 0.5, 0.1],
    weights: [0.5, 0.3, 0.2],
  });

describe('gaussianMixtureDiffusion (exact log q_t)', () => {
  it('score and time score are the autodiff derivatives of log q_t; t = 0 is the mixture itself', async () => {
    await expectNoLeak(() => {
      const g = mixture(3);
      const y = normal(key(1), [6, 3], { std: 2 });
      const t = tf.tensor1d([0.01, 0.1, 0.5, 1, 3, 10]);
      const [gy, gt] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(g.logProb(a, b)))([y, t]);
      const s = g.score(y, t);
      const ts = g.timeScore(y, t);
      expect(relError(s.dataSync(), gy!.dataSync())).toBeLessThan(1e-4);
      expect(relError(ts.dataSync(), gt!.dataSync())).toBeLessThan(1e-4);
      const xh = g.denoiser(y, t);
      const want = tf.tidy(() => tf.add(y, tf.mul(s, tf.reshape(t, [6, 1]))));
      expect(relError(xh.dataSync(), want.dataSync())).toBeLessThan(1e-6);
      tf.dispose([y, t, gy!, gt!, s, ts, xh, want]);
    });
  });
});

describe('dualScoreMatchingLoss (Guth, Kadkhodaie & Simoncelli)', () => {
  it('its θ-gradient vanishes at the exact energy of a Gaussian and points back to it (double backprop)', async () => {
    await expectNoLeak(() => {
      // X ~ N(0, s²I): U_θ(y, t) = ‖y‖²/(2(θ + t)) + (d/2)log(2π(θ + t)) is exact at θ = s²
      const s2 = 0.8;
      const d = 3;
      const B = 6000;
      const [kx, kl] = split(key(2), 2) as [Key, Key];
      const x = normal(kx, [B, d], { std: Math.sqrt(s2) });
      const gradAt = (theta: number): { mean: number; se: number } => {
        const th = tf.scalar(theta);
        const per = tf.tidy(() => {
          const g = tf.grad((tv: tf.Tensor) => {
            const U = (y: tf.Tensor, t: tf.Tensor | number) => {
              const v = tf.add(tv, t as tf.Tensor);
              return tf.add(
                tf.div(tf.sum(tf.square(y), 1), tf.mul(v, 2)),
                tf.mul(tf.log(tf.mul(v, 2 * Math.PI)), d / 2),
              );
            };
            return tf.sum(dualScoreMatchingLoss(kl, U, x, { tMin: 0.05, tMax: 5 }));
          });
          return g(th);
        });
        // per-sample gradient SE: recompute per-sample gradients via finite differences of the per-sample loss
        const h = 1e-3;
        const lossAt = (v: number) => {
          const U = (y: tf.Tensor, t: tf.Tensor | number) =>
            tf.tidy(() => {
              const vv = tf.add(v, t as tf.Tensor);
              return tf.add(
                tf.div(tf.sum(tf.square(y), 1), tf.mul(vv, 2)),
                tf.mul(tf.log(tf.mul(vv, 2 * Math.PI)), d / 2),
              );
            });
          const l = dualScoreMatchingLoss(kl, U, x, { tMin: 0.05, tMax: 5 });
          const a = l.dataSync().slice();
          l.dispose();
          return a;
        };
        const lp = lossAt(theta + h);
        const lm = lossAt(theta - h);
        const fd = Array.from(lp, (p, i) => (p - (lm[i] as number)) / (2 * h));
        const stats = meanAndSE(fd);
        const mean = (per.dataSync()[0] as number) / B;
        expect(Math.abs(mean - stats.mean)).toBeLessThan(0.02 * Math.abs(stats.mean) + 0.1 * stats.se + 1e-4);
        tf.dispose([th, per]);
        return { mean, se: stats.se };
      };
      const at = gradAt(s2);
      expect(Math.abs(at.mean)).toBeLessThan(4 * at.se);
      const below = gradAt(s2 * 0.5);
      const above = gradAt(s2 * 1.5);
      expect(below.mean).toBeLessThan(-4 * below.se);
      expect(above.mean).toBeGreaterThan(4 * above.se);
      x.dispose();
    });
  });

  it('logUniformTimes spans [tMin, tMax] with log t uniform', async () => {
    await expectNoLeak(() => {
      const t = logUniformTimes(1e-3, 10)(key(3), 5000);
      const v = Array.from(t.dataSync());
      expect(Math.min(...v)).toBeGreaterThanOrEqual(1e-3 * (1 - 1e-6));
      expect(Math.max(...v)).toBeLessThanOrEqual(10 * (1 + 1e-6));
      const { mean, se } = meanAndSE(v.map(Math.log));
      expect(Math.abs(mean - (Math.log(1e-3) + Math.log(10)) / 2)).toBeLessThan(4 * se);
      t.dispose();
    });
  });

  for (const d of [2, 16]) {
    it(`normalizeEnergy recovers the constant of a shifted exact energy (d = ${d})`, async () => {
      await expectNoLeak(() => {
        const g = mixture(d);
        const c = 7.3;
        const shifted = (y: tf.Tensor, t: tf.Tensor | number) => tf.tidy(() => tf.add(g.energy(y, t), c));
        const data = g.sample(key(4), 2000);
        const ne = normalizeEnergy(key(5), shifted, data, { t: 1e3, samples: 4096 });
        expect(Math.abs(ne.logZ + c)).toBeLessThan(Math.max(4 * ne.logZStdError, 2e-3 * d));
        // the normalized energy gives log p within that error at small t, in nats and bits/dim
        const x = g.sample(key(6), 64);
        const lp = logProb(ne.energy, x, { t: 0.01 });
        const exact = g.logProb(x, 0.01);
        const err = tf.tidy(() => tf.max(tf.abs(tf.sub(lp.nats, exact))));
        expect(err.dataSync()[0]!).toBeLessThan(Math.max(4 * ne.logZStdError, 2e-3 * d) + 1e-3 * d);
        const bpd = tf.tidy(() => tf.div(tf.neg(exact), d * Math.LN2));
        expect(relError(lp.bitsPerDim.dataSync(), bpd.dataSync())).toBeLessThan(0.05);
        tf.dispose([data, x, lp.nats, lp.bitsPerDim, exact, err, bpd]);
      });
    });
  }

  it('effectiveDimension: both definitions agree with the Gaussian closed form and with each other on a mixture', async () => {
    await expectNoLeak(() => {
      // Gaussian X ~ N(0, s²I): d_eff(x, t) = d s⁴/(s²+t)² + t‖x‖²/(s²+t)² for both definitions
      const s2 = 0.6;
      const d = 5;
      const t = 0.4;
      const gauss = gaussianMixtureDiffusion({ means: [new Array(d).fill(0)], variances: s2 });
      const x = normal(key(7), [4, d], { std: Math.sqrt(s2) });
      const r = effectiveDimension(key(8), { energy: gauss.energy }, x, t, { samples: 4000 });
      const xv = x.dataSync();
      const want = [0, 1, 2, 3].map((b) => {
        let n2 = 0;
        for (let j = 0; j < d; j++) n2 += (xv[b * d + j] as number) ** 2;
        return (d * s2 * s2 + t * n2) / (s2 + t) ** 2;
      });
      expect(relError(r.fromTime.dataSync(), want)).toBeLessThan(0.05);
      expect(relError(r.fromDenoising.dataSync(), want)).toBeLessThan(0.05);
      // on a 3-component mixture in d = 16, per point, within Monte Carlo error of their paired difference
      const g = mixture(16);
      const xm = g.sample(key(9), 6);
      const reps = 6;
      const diffs: number[][] = [];
      for (let k = 0; k < reps; k++) {
        const e = effectiveDimension(key(10 + k), { energy: g.energy, denoiser: g.denoiser }, xm, 0.3, {
          samples: 200,
        });
        const a = e.fromTime.dataSync();
        const b = e.fromDenoising.dataSync();
        diffs.push(Array.from(a, (v, i) => v - (b[i] as number)));
        tf.dispose([e.fromTime, e.fromDenoising]);
      }
      for (let i = 0; i < 6; i++) {
        const { mean, se } = meanAndSE(diffs.map((row) => row[i] as number));
        expect(Math.abs(mean)).toBeLessThan(4 * se + 1e-3);
      }
      tf.dispose([x, r.fromTime, r.fromDenoising, xm]);
    });
  });

  it('rejects bad input naming the argument', () => {
    const x = tf.ones([3, 2]);
    const U = (y: tf.Tensor) => tf.sum(y, 1);
    expect(() => dualScoreMatchingLoss(key(0), U, x, { tMin: 0 })).toThrow(/'tMin' must be a positive number, got 0/);
    expect(() => dualScoreMatchingLoss(key(0), U, x, { tMin: 2, tMax: 1 })).toThrow(ValueError);
    const nan = tf.tensor2d([[Number.NaN, 1]]);
    expect(() => dualScoreMatchingLoss(key(0), U, nan)).toThrow(/'x' contains NaN/);
    expect(() => dualScoreMatchingLoss(key(0), (y) => y, x)).toThrow(/'energy' must return per-sample values \[3\]/);
    expect(() => dualScoreMatchingLoss(key(0), U, x, { schedule: () => tf.ones([2]) })).toThrow(ShapeError);
    expect(() => normalizeEnergy(key(0), U, x, { t: -1 })).toThrow(/'t'/);
    expect(() => effectiveDimension(key(0), { energy: U }, x, 0)).toThrow(/'t' must be a positive number/);
    expect(() => logProb(U, x, { levels: 0 })).toThrow(/'levels'/);
    tf.dispose([x, nan]);
  });
});
