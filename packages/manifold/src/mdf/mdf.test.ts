import * as tf from '@tensorflow/tfjs-core';
import { key } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { sphere } from '../analytic/analytic.ts';
import { projectToManifold } from '../geometry/geometry.ts';
import { intersection, mdfLoss, union } from './mdf.ts';

describe('mdfLoss (Ross et al. eq. 8)', () => {
  it('matches the closed form on a scaled sphere F_θ(x) = θ(‖x‖² − 1), value and d/dθ', async () => {
    await expectNoLeak(() => {
      const x = tf.tensor2d([
        [1, 0, 0],
        [0, 0.6, 0.8],
      ]);
      const neg = tf.tensor2d([
        [2, 0, 0],
        [0, 0, 0.5],
      ]);
      const theta = 0.3;
      // On data F = 0 and ‖∇F‖ = 2θ|x| = 2θ = 0.6 < η = 1; negatives |F| = θ·3 and θ·0.75.
      const lossAt = (t: tf.Tensor) =>
        mdfLoss(key(0), (z) => tf.mul(t, tf.sub(tf.sum(tf.square(z), 1, true), 1)), x, neg, {
          alpha: 0.5,
          beta: 2,
          eta: 1,
        });
      const th = tf.scalar(theta);
      const l = lossAt(th);
      const val = l.dataSync()[0]!;
      const want = 0 - 0.5 * ((3 * theta + 0.75 * theta) / 2) + 2 * (1 - 2 * theta) ** 2;
      expect(val).toBeCloseTo(want, 3);
      const g = tf.grad((t: tf.Tensor) => lossAt(t))(th);
      const wantG = -0.5 * (3.75 / 2) + 2 * 2 * (1 - 2 * theta) * -2;
      expect(g.dataSync()[0]!).toBeCloseTo(wantG, 2);
      tf.dispose([x, neg, th, g, l]);
    });
  });
});

describe('manifold arithmetic', () => {
  it('intersection of two unit spheres is the circle x = 1/2, ρ = √3/2; union contains both', async () => {
    await expectNoLeak(() => {
      const s1 = sphere(3).constraintFn;
      const s2 = sphere(3, { center: [1, 0, 0] }).constraintFn;
      const cap = intersection(s1, s2);
      const x0 = tf.tensor2d([
        [0.4, 0.9, 0.1],
        [0.6, -0.2, -0.7],
      ]);
      const res = projectToManifold(cap, x0, { tol: 1e-6 });
      expect(res.converged).toBe(true);
      for (const [px, py, pz] of res.position.arraySync() as number[][]) {
        expect(px!).toBeCloseTo(0.5, 5);
        expect(Math.hypot(py!, pz!)).toBeCloseTo(Math.sqrt(3) / 2, 5);
      }
      const cup = union(s1, s2);
      const on = tf.tensor2d([
        [0, 1, 0],
        [2, 0, 0],
        [0.5, 0, 0],
      ]);
      const fo = cup(on);
      const f = Array.from(fo.dataSync());
      expect(Math.abs(f[0]!)).toBeLessThan(1e-7);
      expect(Math.abs(f[1]!)).toBeLessThan(1e-7);
      expect(Math.abs(f[2]!)).toBeGreaterThan(0.1);
      tf.dispose([x0, res.position, on, fo]);
    });
  });
});
