import * as tf from '@tensorflow/tfjs-core';
import { type Params, key, sgd } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { circle } from '../analytic/analytic.ts';
import { projectToManifold } from '../geometry/geometry.ts';
import { mdfLoss } from '../mdf/mdf.ts';
import { constrainedEbm, constrainedEbmLoss } from './cebm.ts';
import { fitMdf } from './fit-mdf.ts';
import { ReplayBuffer, ebmLangevin } from './negatives.ts';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
}

/** von Mises(0, κ) angles by rejection from the uniform (fine for small κ). */
function vonMisesCircle(n: number, kappa: number, seed: number): tf.Tensor2D {
  const r = lcg(seed);
  const out: number[] = [];
  while (out.length < 2 * n) {
    const th = 2 * Math.PI * r() - Math.PI;
    if (r() < Math.exp(kappa * (Math.cos(th) - 1))) out.push(Math.cos(th), Math.sin(th));
  }
  return tf.tensor2d(out, [n, 2]);
}

describe('ebmLangevin (Du & Mordatch short-run dynamics)', () => {
  it('clamps each gradient entry and moves by stepSize·clamp without noise; validates input', async () => {
    await expectNoLeak(() => {
      const x0 = tf.tensor2d([
        [0, 0],
        [1, -1],
      ]);
      const E = (x: tf.Tensor): tf.Tensor => tf.sum(tf.mul(x, tf.tensor1d([10, -0.01])), 1);
      const x = ebmLangevin(key(0), E, x0, { steps: 3, stepSize: 2, noise: 0, gradClamp: 0.05 });
      const v = Array.from(x.dataSync());
      // ∂E/∂x₀ = 10 → clamped to 0.05: x₀ −= 3·2·0.05; ∂E/∂x₁ = −0.01 (inside the clamp): x₁ += 3·2·0.01.
      expect(v[0]).toBeCloseTo(-0.3, 5);
      expect(v[1]).toBeCloseTo(0.06, 5);
      expect(v[2]).toBeCloseTo(0.7, 5);
      expect(v[3]).toBeCloseTo(-0.94, 5);
      const xn = ebmLangevin(key(1), E, x0, { steps: 1, stepSize: 1e-9, noise: 0.5 });
      const d = tf.tidy(() => Array.from(tf.sub(xn, x0).dataSync()));
      expect(Math.max(...d.map(Math.abs))).toBeGreaterThan(0.05);
      expect(() => ebmLangevin(key(0), E, x0, { stepSize: 0 })).toThrow(/'stepSize' must be a positive number, got 0/);
      expect(() => ebmLangevin(key(0), (z) => z, x0)).toThrow(/'energyFn' must map \[2, 2\] to \[2\], got \[2, 2\]/);
      tf.dispose([x0, x, xn]);
    });
  });
});

describe('ReplayBuffer', () => {
  it('reuses stored points with probability 0.95, FIFO at capacity, no tensors held', async () => {
    await expectNoLeak(() => {
      const buf = new ReplayBuffer(2, { capacity: 50, reuse: 0.95 });
      const fresh = (_k: unknown, m: number): tf.Tensor => tf.fill([m, 2], -1);
      const first = buf.sample(key(0), 10, fresh);
      expect(first.reused).toBe(0);
      buf.push(first.samples);
      first.samples.dispose();
      const pts = tf.tensor2d(
        Array.from({ length: 120 }, (_, i) => Math.floor(i / 2) + 1),
        [60, 2],
      );
      buf.push(pts);
      expect(buf.size).toBe(50);
      const all = buf.toTensor();
      // The 10 fresh rows and the first 10 pushed points were overwritten: min stored value is 11.
      expect(Math.min(...all.dataSync())).toBe(11);
      const n = 4000;
      const s = buf.sample(key(3), n, fresh);
      const rate = s.reused / n;
      const se = Math.sqrt((0.95 * 0.05) / n);
      expect(Math.abs(rate - 0.95)).toBeLessThan(4 * se);
      const v = s.samples.dataSync();
      let freshRows = 0;
      for (let i = 0; i < n; i++) if (v[2 * i] === -1) freshRows++;
      expect(freshRows).toBe(n - s.reused);
      expect(() => buf.sample(key(0), 3, () => tf.zeros([3, 5]))).toThrow(
        /'fresh' must return \[\d+, 2\], got \[3, 5\]/,
      );
      expect(() => new ReplayBuffer(2, { reuse: 1.5 })).toThrow(/'reuse' must be in \[0, 1\]/);
      tf.dispose([pts, all, s.samples]);
    });
  });
});

describe('mdfLoss variants (App. B.2)', () => {
  it('squared negatives, magnitude regularization and the two-sided singular-value term match the closed form', async () => {
    await expectNoLeak(() => {
      const theta = 0.3;
      const F = (z: tf.Tensor): tf.Tensor => tf.mul(theta, tf.sub(tf.sum(tf.square(z), 1, true), 1));
      const x = tf.tensor2d([[1, 0, 0]]);
      const neg = tf.tensor2d([
        [2, 0, 0],
        [0, 0, 0.5],
      ]);
      // F(neg) = 0.9, −0.225; squared energies 0.81, 0.050625. ‖∇F(x)‖ = 2θ = 0.6 (η = 0.5: gap −0.1).
      const e = [0.81, 0.050625];
      const l = mdfLoss(key(0), F, x, neg, {
        alpha: 0.5,
        beta: 2,
        eta: 0.5,
        rank: 'both',
        negative: 'squared',
        negativeRegularization: 0.1,
      });
      const want = -0.5 * ((e[0]! + e[1]!) / 2) + 2 * 0.01 + 0.1 * ((e[0]! ** 2 + e[1]! ** 2) / 2);
      expect(l.dataSync()[0]!).toBeCloseTo(want, 4);
      const lMin = mdfLoss(key(0), F, x, neg, { eta: 0.5 });
      expect(lMin.dataSync()[0]!).toBeCloseTo(-(0.9 + 0.225) / 2, 4);
      expect(() => mdfLoss(key(0), F, x, neg, { negative: 'cube' as 'norm' })).toThrow(
        /'negative' must be 'norm' or 'squared'/,
      );
      tf.dispose([x, neg, l, lMin]);
    });
  });
});

/** A 2 → 16 → 16 → 1 tanh MLP with raw tf ops (manifold may not depend on nets). */
function mlpInit(seed: number): Params {
  const r = lcg(seed);
  const w = (a: number, b: number) =>
    tf.tensor2d(
      Array.from({ length: a * b }, () => (2 * r() - 1) * Math.sqrt(3 / a)),
      [a, b],
    );
  return { w1: w(2, 16), b1: tf.zeros([16]), w2: w(16, 16), b2: tf.zeros([16]), w3: w(16, 1), b3: tf.zeros([1]) };
}
function mlpApply(p: Params, x: tf.Tensor): tf.Tensor {
  const q = p as Record<string, tf.Tensor>;
  return tf.tidy(() => {
    const h1 = tf.tanh(tf.add(tf.matMul(x, q.w1 as tf.Tensor2D), q.b1!));
    const h2 = tf.tanh(tf.add(tf.matMul(h1, q.w2 as tf.Tensor2D), q.b2!));
    return tf.add(tf.matMul(h2, q.w3 as tf.Tensor2D), q.b3!);
  });
}

describe('fitMdf (eq. 8 with Langevin negatives and a replay buffer)', () => {
  it('learns the unit circle from 256 points: projected probes land at |‖x‖ − 1| ≤ 0.04 (median), ≤ 0.15 (max)', async () => {
    await expectNoLeak(() => {
      const r0 = lcg(7);
      const data = tf.tensor2d(
        Array.from({ length: 256 }, () => 2 * Math.PI * r0()).flatMap((t) => [Math.cos(t), Math.sin(t)]),
        [256, 2],
      );
      const p0 = mlpInit(3);
      let reusedLate = 0;
      const res = fitMdf({
        key: key(11),
        constraintFn: mlpApply,
        params: p0,
        data,
        steps: 300,
        batchSize: 64,
        learningRate: 0.02,
        alpha: 0.3,
        beta: 1,
        eta: 1,
        langevin: { steps: 5, stepSize: 1, noise: 0.1, gradClamp: 0.03 },
        bounds: [
          [-2, 2],
          [-2, 2],
        ],
        onStep: (e) => {
          if (e.step >= 200) reusedLate += e.reused / 100;
        },
      });
      expect(res.losses.every(Number.isFinite)).toBe(true);
      expect(reusedLate).toBeGreaterThan(0.9);
      const F = (x: tf.Tensor) => mlpApply(res.params, x);
      const probe = tf.tensor2d(Array.from({ length: 32 }, (_, i) => [1.3 * Math.cos(i / 5), 0.7 * Math.sin(i / 5)]));
      const proj = projectToManifold(F, probe, { tol: 1e-5 });
      const radii = (proj.position.arraySync() as number[][]).map(([a, b]) => Math.hypot(a!, b!));
      const err = radii.map((rr) => Math.abs(rr - 1)).sort((a, b) => a - b);
      expect(proj.converged).toBe(true);
      expect(err[16]!).toBeLessThan(0.04);
      expect(err[31]!).toBeLessThan(0.15);
      tf.dispose([data, probe, proj.position, ...Object.values(p0 as Record<string, tf.Tensor>)]);
      tf.dispose(Object.values(res.params as Record<string, tf.Tensor>));
    });
  });
});

describe('constrainedEbm (eq. 10, constrained-Langevin negatives)', () => {
  it('recovers the natural parameter κμ = (2, 0) of a von Mises law on the circle (linear energy −ψᵀx)', async () => {
    await expectNoLeak(() => {
      const C = circle();
      const data = vonMisesCircle(1000, 2, 5);
      const psi0 = tf.tensor1d([1, 0]);
      const energyFn = (p: Params, x: tf.Tensor): tf.Tensor => tf.neg(tf.sum(tf.mul(x, p as tf.Tensor), 1));
      const res = constrainedEbm({
        key: key(2),
        constraintFn: C.constraintFn,
        energyFn,
        params: psi0,
        data,
        steps: 60,
        batchSize: 100,
        // Persistent chains only (reuse 1): fresh uniform starts that get 3 steps bias ψ upward (~0.3).
        buffer: { reuse: 1 },
        optimizer: sgd({ learningRate: (s) => (s < 30 ? 0.3 : 0.1) }),
        regularization: 0,
        clipNorm: 10,
        sampler: { steps: 3, stepSize: 0.5, gradClamp: Number.POSITIVE_INFINITY, tol: 1e-5, metropolis: true },
      });
      const psi = Array.from((res.params as tf.Tensor).dataSync());
      console.log('constrainedEbm vMF ψ (want (2, 0)):', psi);
      // Exact CD fixed point: E_model[x] = E_data[x]; MC error of 1000 points ≈ 0.04 in A(κ), ≈ 0.2 in κ.
      expect(psi[0]!).toBeGreaterThan(1.6);
      expect(psi[0]!).toBeLessThan(2.4);
      expect(Math.abs(psi[1]!)).toBeLessThan(0.35);
      const negs = res.buffer.toTensor();
      const f = tf.tidy(() => Array.from(C.constraintFn(negs).dataSync()));
      expect(Math.max(...f.map(Math.abs))).toBeLessThanOrEqual(1e-5);
      const l = constrainedEbmLoss((x) => energyFn(res.params, x), data, negs, { regularization: 0.5 });
      expect(Number.isFinite(l.dataSync()[0]!)).toBe(true);
      expect(() => constrainedEbmLoss((x) => x, data, negs)).toThrow(/'energyFn' must map \[B, n\] to \[B\]/);
      tf.dispose([data, psi0, res.params as tf.Tensor, negs, l]);
    });
  });
});
