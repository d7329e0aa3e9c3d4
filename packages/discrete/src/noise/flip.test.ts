import * as tf from '@tensorflow/tfjs-core';
import { inputGrad, key, ValueError } from '@walkjump/tensor';
import { expectNoLeak, relError } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { dmala } from '../samplers/langevin.ts';
import { enumerateStates, exactDistribution } from '../targets/exact.ts';
import { randomIsing } from '../targets/models.ts';
import { binaryDenoiser, binaryWalkJump, flipNoise, noisyLogProb, noisyScore, posteriorMean } from './flip.ts';

const D = 5;
const alpha = 0.6;
const p = exactDistribution(randomIsing(key(4), D, { scale: 1.5 }).logProb, D);

/** Brute-force posterior E[x | y] in float64: weights p(x) Π_i P(ε_i = x_i y_i) with P(ε = ±1) = σ(±2α). */
function bruteMean(y: number[]): number[] {
  const s = (t: number) => 1 / (1 + Math.exp(-t));
  const m = new Array(D).fill(0);
  let z = 0;
  for (let k = 0; k < 2 ** D; k++) {
    let w = p.probs[k]!;
    for (let i = 0; i < D; i++) w *= s(2 * alpha * ((k >> i) & 1 ? 1 : -1) * y[i]!);
    z += w;
    for (let i = 0; i < D; i++) m[i] += w * ((k >> i) & 1 ? 1 : -1);
  }
  return m.map((v) => v / z);
}

describe('binary-flip noise (Bach & Saremi 2025)', () => {
  it('flips each coordinate with probability σ(−2α)', async () => {
    await expectNoLeak(() => {
      const x = tf.ones([20000, 1]);
      const y = flipNoise(key(1), x, alpha);
      const rate = tf.tidy(() => tf.mean(tf.cast(tf.less(y, 0), 'float32')).dataSync()[0]!);
      const want = 1 / (1 + Math.exp(2 * alpha));
      expect(Math.abs(rate - want)).toBeLessThan(4 * Math.sqrt((want * (1 - want)) / 20000));
      tf.dispose([x, y]);
    });
  });

  it('q is normalized on {−1,1}^d; the score α E[x|y] equals autodiff of log q; the denoiser equals the brute-force posterior sign', async () => {
    await expectNoLeak(() => {
      const ys = enumerateStates(D);
      const logq = noisyLogProb(p, alpha);
      const total = tf.tidy(() => tf.sum(tf.exp(logq(ys))).dataSync()[0]!);
      expect(total).toBeCloseTo(1, 4);
      const s1 = tf.tidy(() => Array.from(noisyScore(p, alpha)(ys).dataSync()));
      const s2 = tf.tidy(() => Array.from(inputGrad(logq)(ys).dataSync()));
      expect(relError(s1, s2)).toBeLessThan(1e-4);
      const mean = tf.tidy(() => Array.from(posteriorMean(p, alpha)(ys).dataSync()));
      const den = tf.tidy(() => Array.from(binaryDenoiser(noisyScore(p, alpha), alpha)(ys).dataSync()));
      const yv = ys.dataSync();
      let nonTrivial = 0;
      for (let k = 0; k < 2 ** D; k++) {
        const y = Array.from(yv.slice(k * D, (k + 1) * D));
        const bm = bruteMean(y);
        for (let i = 0; i < D; i++) {
          expect(mean[k * D + i]).toBeCloseTo(bm[i]!, 4);
          expect(den[k * D + i]).toBe(bm[i]! >= 0 ? 1 : -1);
          if (den[k * D + i] !== y[i]) nonTrivial++;
        }
      }
      // the denoiser must actually disagree with y somewhere, or this test could not tell it from the identity
      expect(nonTrivial).toBeGreaterThan(0);
      ys.dispose();
    });
  });

  it('binaryWalkJump runs DMALA on the exact q and returns sign(E[x|y]) jumps, with flat memory', async () => {
    const seen: [number, number[], number[], Set<number>][] = [];
    const r = await expectNoLeak(() => {
      const init = tf.tidy(() => flipNoise(key(2), tf.ones([64, D]), alpha));
      const logq = noisyLogProb(p, alpha);
      const out = binaryWalkJump({
        key: key(3),
        kernel: dmala(logq, { stepSize: 1 }),
        score: noisyScore(p, alpha),
        alpha,
        init,
        steps: 10,
        every: 5,
        onSample: (x, step, y) => {
          seen.push([step, x.shape, y.shape, new Set(y.dataSync())]);
        },
      });
      const shape = out.samples.shape;
      const vals = new Set(out.samples.dataSync());
      tf.dispose([init, out.samples, out.noisy]);
      return { shape, vals, acc: out.meanAcceptance };
    });
    expect(r.shape).toEqual([2, 64, D]);
    expect(seen.map(([step]) => step)).toEqual([5, 10]);
    for (const [, xs, ys, vals] of seen) {
      expect(xs).toEqual([64, D]);
      expect(ys).toEqual([64, D]);
      expect([...vals].sort()).toEqual([-1, 1]);
    }
    expect([...r.vals].sort()).toEqual([-1, 1]);
    expect(r.acc).toBeGreaterThan(0);
    expect(r.acc).toBeLessThanOrEqual(1);
  });

  it('rejects α ≤ 0', () => {
    expect(() => noisyLogProb(p, 0)).toThrow(ValueError);
    expect(() => binaryDenoiser((y) => y, -1)).toThrow(/'alpha' must be a positive number, got -1/);
  });
});
