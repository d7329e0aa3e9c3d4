import * as tf from '@tensorflow/tfjs-core';
import { key, normal, split, uniform, ValueError } from '@walkjump/tensor';
import type { Key } from '@walkjump/tensor';
import { expectNoLeak, meanAndSE, relError } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { binaryDenoisingLoss, binaryScoreFromLogits } from '../losses/binary.ts';
import { binaryFlipMixture } from '../references/binary.ts';
import { binaryFlipDenoiser, binaryFlipNoise, binaryFlipPosteriorMean } from './binary.ts';

const sig = (z: number) => 1 / (1 + Math.exp(-z));

describe('binary flips (Bach & Saremi 2025)', () => {
  it('posterior mean s/α and sign denoiser equal brute-force Bayes on a finite prior', async () => {
    await expectNoLeak(() => {
      const d = 6;
      const alpha = 0.6;
      const cs = tf.tidy(() => tf.sign(tf.sub(uniform(key(1), [5, d]), 0.5)));
      const w = [0.1, 0.3, 0.2, 0.25, 0.15];
      const mix = binaryFlipMixture(cs, alpha, w);
      const c = Array.from(cs.dataSync());
      // all 64 points of {−1, 1}^6
      const ys: number[] = [];
      for (let v = 0; v < 64; v++) for (let i = 0; i < d; i++) ys.push((v >> i) & 1 ? 1 : -1);
      const y = tf.tensor2d(ys, [64, d]);
      const pm = binaryFlipPosteriorMean(mix.score, alpha)(y);
      const den = binaryFlipDenoiser(mix.score, alpha)(y);
      const want: number[] = [];
      for (let b = 0; b < 64; b++) {
        const post = w.map((wn, n) => {
          let p = wn;
          for (let i = 0; i < d; i++) p *= sig(2 * alpha * (c[n * d + i] as number) * (ys[b * d + i] as number));
          return p;
        });
        const z = post.reduce((a, v) => a + v, 0);
        for (let i = 0; i < d; i++) want.push(post.reduce((a, p, n) => a + (p * (c[n * d + i] as number)) / z, 0));
      }
      expect(relError(pm.dataSync(), want)).toBeLessThan(1e-5);
      const dv = den.dataSync();
      want.forEach((m, i) => {
        if (Math.abs(m) > 1e-6) expect(dv[i]).toBe(m > 0 ? 1 : -1);
      });
      tf.dispose([cs, y, pm, den]);
    });
  });

  it('binaryFlipNoise flips each coordinate with probability σ(−2α)', async () => {
    await expectNoLeak(() => {
      const alpha = 0.4;
      const x = tf.ones([2000, 10]);
      const y = binaryFlipNoise(key(3), x, alpha);
      const flips = Array.from(y.dataSync(), (v) => (v < 0 ? 1 : 0));
      const { mean, se } = meanAndSE(flips);
      expect(Math.abs(mean - sig(-2 * alpha))).toBeLessThan(4 * se);
      tf.dispose([x, y]);
    });
  });

  it('binaryDenoisingLoss is minimized by the true half-logits η = αy + ½logit(p) (product prior)', async () => {
    await expectNoLeak(() => {
      const alpha = 0.5;
      const p = 0.7;
      const B = 20000;
      const [kx, kl] = split(key(4), 2) as [Key, Key];
      const x = tf.tidy(() => tf.sub(tf.mul(tf.cast(tf.less(uniform(kx, [B, 1]), p), 'float32'), 2), 1));
      const logits = (a: number, b: number) => (y: tf.Tensor) => tf.tidy(() => tf.add(tf.mul(y, a), b));
      const b0 = 0.5 * Math.log(p / (1 - p));
      const l0 = binaryDenoisingLoss(kl, logits(alpha, b0), x, { alpha });
      // E[ℓ] at the optimum is the conditional entropy H(X | Y) in nats
      const q = sig(2 * alpha);
      const py1 = p * q + (1 - p) * (1 - q);
      const h2 = (u: number) => -(u * Math.log(u) + (1 - u) * Math.log(1 - u));
      const H = py1 * h2((p * q) / py1) + (1 - py1) * h2((p * (1 - q)) / (1 - py1));
      const m0 = meanAndSE(l0.dataSync());
      expect(Math.abs(m0.mean - H)).toBeLessThan(4 * m0.se);
      for (const [a, b] of [
        [alpha * 1.5, b0],
        [alpha, b0 - 0.3],
      ] as const) {
        const l1 = binaryDenoisingLoss(kl, logits(a, b), x, { alpha });
        const diff = tf.tidy(() => tf.sub(l1, l0));
        const md = meanAndSE(diff.dataSync());
        expect(md.mean).toBeGreaterThan(4 * md.se);
        tf.dispose([l1, diff]);
      }
      const yy = tf.tensor2d([[1], [-1]]);
      const s = binaryScoreFromLogits(logits(alpha, b0), alpha)(yy);
      expect(relError(s.dataSync(), [alpha * Math.tanh(alpha + b0), alpha * Math.tanh(-alpha + b0)])).toBeLessThan(
        1e-6,
      );
      tf.dispose([x, l0, s, yy]);
    });
  });

  it('rejects bad input naming the argument', () => {
    const x = tf.tensor2d([[1, -1, 0.5]]);
    const ok = tf.tensor2d([[1, -1, 1]]);
    expect(() => binaryFlipNoise(key(0), x, 1)).toThrow(/'x' must hold ±1 entries, got 0.5/);
    expect(() => binaryFlipNoise(key(0), ok, 0)).toThrow(/'alpha' must be a positive number/);
    expect(() => binaryDenoisingLoss(key(0), (y) => y, ok, { alpha: -1 })).toThrow(ValueError);
    expect(() => binaryDenoisingLoss(key(0), (y) => tf.sum(y, 1), ok, { alpha: 1 })).toThrow(
      /'logits' must return shape \[1, 3\]/,
    );
    expect(() => binaryFlipMixture(x, 1)).toThrow(/'centres'/);
    const n = normal(key(1), [2, 3]);
    expect(() => binaryFlipDenoiser((y) => tf.sum(y, 1), 1)(n)).toThrow(/'score'/);
    tf.dispose([x, ok, n]);
  });
});
