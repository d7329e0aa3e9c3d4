import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeak, relError } from '@walkjump/testing';
import { divergence, grad, hvp, inputGrad, jvp, key, scoreOf, tweedie, valueAndGrad, vjp } from '../index.ts';

// f(x) = Σ sin(x_i) x_{i+1} + ½ Σ x_i² on a batch [B, 3]; closed-form derivatives below.
const W = [
  [0.5, -1.0, 0.3],
  [0.2, 0.7, -0.4],
];
const linearTanh = (x: tf.Tensor) => tf.tidy(() => tf.tanh(tf.matMul(x, tf.transpose(tf.tensor2d(W)))));

describe('autodiff', () => {
  it('grad, valueAndGrad and hvp of a cubic match closed forms', async () => {
    await expectNoLeak(() => {
      const f = (x: tf.Tensor) => tf.sum(tf.pow(x, 3));
      const x = tf.tensor1d([0.5, -1.5, 2]);
      const g = grad(f)(x);
      expect(relError(g.dataSync(), [0.75, 6.75, 12])).toBeLessThan(1e-6);
      const [v, g2] = valueAndGrad(f)(x);
      expect(v.dataSync()[0]).toBeCloseTo(0.125 - 3.375 + 8, 5);
      const dir = tf.tensor1d([1, 2, 3]);
      const h = hvp(f, x, dir);
      expect(relError(h.dataSync(), [3, -18, 36])).toBeLessThan(1e-6);
      tf.dispose([x, g, v, g2, h, dir]);
    });
  });

  it('inside an enclosing gradient, grad / valueAndGrad / vjp / inputGrad give partial derivatives (as jax.grad)', async () => {
    await expectNoLeak(() => {
      // y = s·x is built from s outside the inner function; ∂/∂t Σ y·t = Σ y = s Σx, so the outer
      // derivative d/ds is Σx = 6. The total derivative d/dt Σ (t x)·t would give 2 Σx = 12.
      const x = tf.tensor1d([1, 2, 3]);
      const s0 = tf.scalar(0.7);
      const inner = {
        grad: (y: tf.Tensor, s: tf.Tensor) => grad((t) => tf.sum(tf.mul(y, t)))(s),
        valueAndGrad: (y: tf.Tensor, s: tf.Tensor) => valueAndGrad((t) => tf.sum(tf.mul(y, t)))(s)[1],
        vjp: (y: tf.Tensor, s: tf.Tensor) => vjp((t) => tf.mul(y, t), s, tf.onesLike(y))[1],
        inputGrad: (y: tf.Tensor, s: tf.Tensor) => inputGrad((t) => tf.sum(tf.mul(y, t)))(s),
      };
      for (const [name, g] of Object.entries(inner)) {
        const outer = tf.grad((s: tf.Tensor) => tf.sum(g(tf.mul(x, s), s)))(s0);
        expect(outer.dataSync()[0], name).toBeCloseTo(6, 5);
        outer.dispose();
      }
      tf.dispose([x, s0]);
    });
  });

  it('vjp and jvp agree with the explicit Jacobian of tanh(xWᵀ)', async () => {
    await expectNoLeak(() => {
      const xs = [0.3, -0.2, 0.8];
      const x = tf.tensor2d([xs]);
      const a = W.map((row) => row.reduce((s, w, j) => s + w * xs[j]!, 0));
      const d = a.map((ai) => 1 - Math.tanh(ai) ** 2);
      const J = W.map((row, i) => row.map((w) => d[i]! * w)); // [2, 3]
      const u = [0.7, -1.1];
      const v = [1, 2, -0.5];
      const ut = tf.tensor2d([u]);
      const vt = tf.tensor2d([v]);
      const [y1, jtU] = vjp(linearTanh, x, ut);
      const want1 = [0, 1, 2].map((j) => J[0]![j]! * u[0]! + J[1]![j]! * u[1]!);
      expect(relError(jtU.dataSync(), want1)).toBeLessThan(1e-5);
      const [y2, jv] = jvp(linearTanh, x, vt);
      const want2 = J.map((row) => row.reduce((s, jij, j) => s + jij * v[j]!, 0));
      expect(relError(jv.dataSync(), want2)).toBeLessThan(1e-5);
      expect(relError(y1.dataSync(), y2.dataSync())).toBe(0);
      tf.dispose([x, y1, jtU, y2, jv, ut, vt]);
    });
  });

  it('divergence: exact equals the trace, Hutchinson is unbiased within its MC error', async () => {
    await expectNoLeak(() => {
      // s(y) = −A y for a symmetric A: divergence −tr A for every sample.
      const A = tf.tensor2d([
        [2, 0.5, 0],
        [0.5, 1, 0.3],
        [0, 0.3, 3],
      ]);
      const s = (y: tf.Tensor) => tf.neg(tf.matMul(y, A));
      const y = tf.tensor2d([
        [1, 2, 3],
        [-1, 0, 0.5],
      ]);
      const exact = divergence(s, y);
      expect(Array.from(exact.dataSync())).toEqual([-6, -6]);
      const hutch = divergence(s, y, { method: 'hutchinson', key: key(0), probes: 1000 });
      // Rademacher variance of εᵀAε = 2 Σ_{i≠j} A_ij² = 2·2·(0.25 + 0.09) = 1.36.
      const se = Math.sqrt(1.36 / 1000);
      for (const v of hutch.dataSync()) expect(Math.abs(v + 6)).toBeLessThan(5 * se);
      tf.dispose([A, y, exact, hutch]);
    });
  });

  it('inputGrad, scoreOf and tweedie on a Gaussian energy', async () => {
    await expectNoLeak(() => {
      // E(y) = ‖y − μ‖²/(2(s²+σ²)) is the energy of Y = X + σε for X ~ N(μ, s²I):
      // Tweedie gives the Wiener filter μ + s²/(s²+σ²)(y − μ).
      const mu = tf.tensor1d([1, -2]);
      const s2 = 0.5;
      const sigma = 0.7;
      const v = s2 + sigma * sigma;
      const energy = (y: tf.Tensor) => tf.div(tf.sum(tf.square(tf.sub(y, mu)), 1), 2 * v);
      const y = tf.tensor2d([
        [0, 0],
        [3, 1],
      ]);
      const g = inputGrad(energy)(y);
      const xhat = tweedie(scoreOf(energy), sigma)(y);
      const yv = [0, 0, 3, 1];
      const m = [1, -2, 1, -2];
      expect(relError(g.dataSync(), yv.map((yi, i) => (yi - m[i]!) / v))).toBeLessThan(1e-6);
      expect(relError(xhat.dataSync(), yv.map((yi, i) => m[i]! + (s2 / v) * (yi - m[i]!)))).toBeLessThan(1e-6);
      tf.dispose([mu, y, g, xhat]);
    });
  });

  it('rejects misuse with named errors', () => {
    const x = tf.tensor1d([1, 2]);
    expect(() => grad((z) => z)(x)).toThrow(/grad: the function must return a scalar, got shape \[2\]/);
    expect(() => jvp((z) => z, x, tf.tensor1d([1]))).toThrow(/jvp: tangent 'v' must have the input's shape \[2\], got \[1\]/);
    expect(() => tweedie((z) => z, -1)).toThrow(/tweedie: 'sigma' must be a positive number, got -1/);
    tf.dispose(x);
  });
});

describe('autodiff ownership', () => {
  it('vjp and jvp outputs are freed by an enclosing tf.tidy', async () => {
    await expectNoLeak(() => {
      const x = tf.tensor2d([[0.1, 0.2, 0.3]]);
      const r = tf.tidy(() => {
        const [y1, g1] = vjp(linearTanh, x, tf.ones([1, 2]));
        const [y2, g2] = jvp(linearTanh, x, tf.ones([1, 3]));
        return tf.add(tf.sum(tf.add(y1, y2)), tf.add(tf.sum(g1), tf.sum(g2)));
      });
      expect(Number.isFinite(r.dataSync()[0]!)).toBe(true);
      tf.dispose([x, r]);
    });
  });
});
