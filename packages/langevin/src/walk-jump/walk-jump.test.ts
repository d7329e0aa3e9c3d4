import * as tf from '@tensorflow/tfjs-core';
import { key, NonFiniteError, ShapeError, ValueError } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { mala, ula } from '../kernels/overdamped.ts';
import { initUniformPlusNoise } from './init.ts';
import { walkJump } from './walk-jump.ts';

// 8 modes on a circle of radius 3, component std tau; noise sigma. Y's density is the mixture of
// N(m_k, (tau² + sigma²)I); its score and the posterior mean E[X | y] are in closed form.
const K = 8;
const modes = Array.from({ length: K }, (_, k) => [
  3 * Math.cos((2 * Math.PI * k) / K),
  3 * Math.sin((2 * Math.PI * k) / K),
]);
const tau = 0.1;
const sigma = 0.5;
const v = tau * tau + sigma * sigma;

const mixture = () => {
  const m = tf.tensor2d(modes.flat(), [K, 2]);
  // responsibilities w [B, K] of y under Y's mixture
  const resp = (y: tf.Tensor) =>
    tf.tidy(() => {
      const d2 = tf.sum(tf.square(tf.sub(tf.expandDims(y, 1), tf.expandDims(m, 0))), 2);
      return tf.softmax(tf.div(d2, -2 * v));
    });
  const score = (y: tf.Tensor) => tf.tidy(() => tf.div(tf.sub(tf.matMul(resp(y) as tf.Tensor2D, m), y), v));
  // E[X | y] = Σ_k w_k (m_k + tau²/v (y − m_k))
  const denoiser = (y: tf.Tensor) =>
    tf.tidy(() => {
      const mk = tf.matMul(resp(y) as tf.Tensor2D, m);
      return tf.add(mk, tf.mul(tf.sub(y, mk), (tau * tau) / v));
    });
  return { score, denoiser, dispose: () => m.dispose() };
};

const meanDistToNearestMode = (xs: Float32Array | number[]): number => {
  let s = 0;
  const n = xs.length / 2;
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    for (const [a, b] of modes) best = Math.min(best, Math.hypot(xs[2 * i]! - a!, xs[2 * i + 1]! - b!));
    s += best;
  }
  return s / n;
};

describe('walkJump', () => {
  it('jump samples are much closer to the clean mixture than walk samples, and cover the modes', async () => {
    await expectNoLeak(() => {
      const mix = mixture();
      const init = initUniformPlusNoise(key(1), [64, 2], { low: -3, high: 3, sigma });
      const { walk, jump, nonFinite } = walkJump({
        key: key(2),
        kernel: ula({ score: mix.score }, { stepSize: sigma / 2 }),
        jump: mix.denoiser,
        init,
        steps: 300,
        every: 30,
        burnIn: 100,
      });
      expect(walk.shape).toEqual([10, 64, 2]);
      expect(jump.shape).toEqual([10, 64, 2]);
      expect(nonFinite).toBe(0);
      const dw = meanDistToNearestMode(walk.dataSync() as Float32Array);
      const dj = meanDistToNearestMode(jump.dataSync() as Float32Array);
      // E‖Y − m‖ ≈ √(πv/2) ≈ 0.64 for the walk; the jump shrinks the noise by tau²/v to ≈ 0.13
      expect(dw).toBeGreaterThan(0.4);
      expect(dj).toBeLessThan(0.5 * dw);
      const j = jump.dataSync();
      const seen = new Set<number>();
      for (let i = 0; i < j.length / 2; i++) {
        const ang = Math.atan2(j[2 * i + 1]!, j[2 * i]!);
        seen.add(((Math.round((ang / (2 * Math.PI)) * K) % K) + K) % K);
      }
      expect(seen.size).toBe(K);
      tf.dispose([init, walk, jump]);
      mix.dispose();
    });
  });

  it('holds flat memory over 2 000 steps (collect: false) and reports MALA acceptance', async () => {
    await expectNoLeak(() => {
      const m = tf.tensor1d([1, -1]);
      const energy = (y: tf.Tensor) => tf.tidy(() => tf.mul(0.5, tf.sum(tf.square(tf.sub(y, m)), 1)));
      const init = tf.zeros([4, 2]);
      const counts: number[] = [];
      const res = walkJump({
        key: key(3),
        kernel: mala({ energy }, { stepSize: 0.5 }),
        jump: (y) => tf.clone(y),
        init,
        steps: 2000,
        every: 100,
        collect: false,
        onSample: () => counts.push(tf.memory().numTensors),
      });
      expect(counts.length).toBe(20);
      expect(new Set(counts).size).toBe(1);
      expect(res.walk.shape).toEqual([0, 4, 2]);
      expect(res.acceptance).toBeGreaterThan(0.5);
      expect(res.acceptance).toBeLessThan(1);
      tf.dispose([m, init, res.walk, res.jump]);
    });
  });

  it('reverts a chain whose proposal is not finite and reports it in Info', async () => {
    await expectNoLeak(() => {
      // the score is finite at the start and NaN past |y| > 2: every chain blows up eventually
      const score = (y: tf.Tensor) =>
        tf.tidy(() => tf.where(tf.greater(tf.abs(y), 2), tf.fill(y.shape, Number.NaN), tf.neg(y)));
      const init = tf.zeros([3, 2]);
      const res = walkJump({
        key: key(4),
        kernel: ula({ score }, { stepSize: 1.5 }),
        jump: (y) => tf.clone(y),
        init,
        steps: 50,
        every: 10,
      });
      expect(res.nonFinite).toBeGreaterThan(0);
      expect(res.walk.dataSync().every((u) => Number.isFinite(u) && Math.abs(u) <= 2)).toBe(true);
      tf.dispose([init, res.walk, res.jump]);
    });
  });

  it('rejects misuse with clear errors at init, not a NaN chain', async () => {
    await expectNoLeak(() => {
      const score = (y: tf.Tensor) => tf.neg(y);
      const y0 = tf.zeros([3, 2]);
      expect(() => ula({ score }, { stepSize: 0 })).toThrow(/ula: 'stepSize' must be a positive number, got 0/);
      expect(() => ula({ score }, { stepSize: -1 })).toThrow(ValueError);
      expect(() => ula({ score: (y) => tf.tidy(() => tf.log(tf.sub(y, 1))) }, { stepSize: 0.1 }).init(y0)).toThrow(
        NonFiniteError,
      );
      const nan = tf.tensor2d([[0, Number.NaN]]);
      expect(() => ula({ score }, { stepSize: 0.1 }).init(nan)).toThrow(/'position' contains NaN/);
      expect(() => ula({ score: (y) => tf.sum(y, 1) }, { stepSize: 0.1 }).init(y0)).toThrow(ShapeError);
      expect(() => ula({ score: (y) => tf.sum(y, 1) }, { stepSize: 0.1 }).init(y0)).toThrow(
        /score must return the position's shape \[3, 2\], got \[3\]/,
      );
      expect(() => mala({ energy: (y) => tf.clone(y) }, { stepSize: 0.1 }).init(y0)).toThrow(
        /energy must return per-chain energies \[3\]/,
      );
      expect(() =>
        walkJump({
          key: key(0),
          kernel: ula({ score }, { stepSize: 0.1 }),
          jump: score,
          init: y0,
          steps: 10,
          every: 0,
        }),
      ).toThrow(/'every'/);
      tf.dispose([y0, nan]);
    });
  });
});
