import * as tf from '@tensorflow/tfjs-core';
import { key, normal, split } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import fx from '../__fixtures__/mmd.json' with { type: 'json' };
import { energyDistance, kid, medianHeuristic, mmd } from './mmd.ts';
import { slicedWasserstein, wasserstein1d } from './sliced.ts';

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

const gaussian = (seed: number, n: number, d: number, mu: number, s: number): number[][] =>
  tf.tidy(() => normal(key(seed), [n, d], { mean: mu, std: s }).arraySync() as number[][]);

describe('mmd against NumPy', () => {
  it('median heuristic', () => expect(rel(medianHeuristic(fx.x, fx.y), fx.median)).toBeLessThan(1e-12));
  for (const kernel of ['rbf', 'imq', 'polynomial'] as const) {
    for (const estimator of ['unbiased', 'biased'] as const) {
      it(`${kernel}, ${estimator}`, () => {
        const ref = fx[`${kernel}_${estimator}`];
        expect(rel(mmd(fx.x, fx.y, { kernel, estimator }), ref)).toBeLessThan(1e-10);
      });
    }
  }
});

describe('mmd against the Gaussian closed form', () => {
  it('RBF MMD² between N(μ₁, s₁²I) and N(μ₂, s₂²I)', () => {
    const d = 2;
    const h = 1;
    const [m1, s1, m2, s2] = [0, 1, 0.5, 1.3];
    const e = (va: number, dm2: number): number =>
      ((h * h) / (h * h + va)) ** (d / 2) * Math.exp(-dm2 / (2 * (h * h + va)));
    const exact = e(2 * s1 * s1, 0) + e(2 * s2 * s2, 0) - 2 * e(s1 * s1 + s2 * s2, d * (m1 - m2) ** 2);
    const x = gaussian(1, 2000, d, m1, s1);
    const y = gaussian(2, 2000, d, m2, s2);
    const est = mmd(x, y, { bandwidth: h });
    // the U-statistic's sd at n = 2000 is ~3e-3 here
    expect(Math.abs(est - exact)).toBeLessThan(0.012);
    // and identical distributions give ~0 (unbiased: either sign)
    expect(Math.abs(mmd(x, gaussian(3, 2000, d, m1, s1), { bandwidth: h }))).toBeLessThan(0.005);
  });

  it('keeps the call shape mmd(x, y) on tensors, without leaks', async () => {
    const v = await expectNoLeak(() => {
      const [k1, k2] = split(key(7));
      const x = normal(k1!, [300, 2]);
      const y = normal(k2!, [300, 2]);
      const out = mmd(x, y);
      tf.dispose([x, y]);
      return out;
    });
    expect(typeof v).toBe('number');
    expect(Math.abs(v)).toBeLessThan(0.02);
  });

  it('rejects bad input', () => {
    expect(() =>
      mmd(
        [[0, 0]],
        [
          [1, 1],
          [2, 2],
        ],
      ),
    ).toThrow(/mmd: 'a' must have at least 2 point/);
    expect(() => mmd([[0], [1]], [[0], [1]], { kernel: 'laplace' as 'rbf' })).toThrow(/mmd: 'kernel'/);
    expect(() => mmd([[0], [1]], [[0], [1]], { bandwidth: -1 })).toThrow(/mmd: 'bandwidth' must be a positive/);
    expect(() => mmd([[0], [0]], [[0], [0]])).toThrow(/median pairwise distance is 0/);
  });
});

describe('energyDistance', () => {
  it('matches NumPy (V- and U-statistics)', () => {
    expect(rel(energyDistance(fx.x, fx.y), fx.energy_biased)).toBeLessThan(1e-10);
    expect(rel(energyDistance(fx.x, fx.y, { estimator: 'unbiased' }), fx.energy_unbiased)).toBeLessThan(1e-10);
  });

  it('matches the closed form for N(0, 1) vs N(δ, 1) in 1-D', () => {
    // E|Z| for Z ~ N(μ, s²) by Simpson's rule
    const absMean = (mu: number, s: number): number => {
      const N = 4000;
      const lo = mu - 12 * s;
      const hstep = (24 * s) / N;
      let acc = 0;
      for (let i = 0; i <= N; i++) {
        const z = lo + i * hstep;
        const w = i === 0 || i === N ? 1 : i % 2 === 1 ? 4 : 2;
        acc += (w * Math.abs(z) * Math.exp(-((z - mu) ** 2) / (2 * s * s))) / (s * Math.sqrt(2 * Math.PI));
      }
      return (acc * hstep) / 3;
    };
    const delta = 1;
    const exact = 2 * absMean(delta, Math.SQRT2) - 2 * absMean(0, Math.SQRT2);
    const x = gaussian(11, 3000, 1, 0, 1);
    const y = gaussian(12, 3000, 1, delta, 1);
    expect(Math.abs(energyDistance(x, y, { estimator: 'unbiased' }) - exact)).toBeLessThan(0.03);
  });
});

describe('kid', () => {
  it('with one full-size subset equals the unbiased cubic-kernel MMD²', () => {
    const x = fx.x.slice(0, 250);
    const r = kid(x, fx.y, { subsets: 1, subsetSize: 250 });
    expect(rel(r.mean, mmd(x, fx.y, { kernel: 'polynomial' }))).toBeLessThan(1e-10);
    expect(r.std).toBe(0);
  });

  it('averages over subsets and is reproducible', () => {
    const a = kid(fx.x, fx.y, { subsets: 10, subsetSize: 100 });
    const b = kid(fx.x, fx.y, { subsets: 10, subsetSize: 100 });
    expect(a.mean).toBe(b.mean);
    expect(a.std).toBeGreaterThan(0);
    expect(Math.abs(a.mean - fx.polynomial_unbiased)).toBeLessThan(4 * a.std);
    expect(() => kid(fx.x, fx.y, { subsetSize: 1000 })).toThrow(/kid: 'subsetSize' \(1000\) must not exceed/);
  });
});

describe('slicedWasserstein and wasserstein1d', () => {
  const w = fx.w1d;
  it('1-D W_p matches SciPy / POT, with and without weights', () => {
    expect(rel(wasserstein1d(w.u, w.v), w.w1)).toBeLessThan(1e-10);
    expect(rel(wasserstein1d(w.u, w.v, { weightsX: w.wu, weightsY: w.wv }), w.w1_weighted)).toBeLessThan(1e-10);
    expect(rel(wasserstein1d(w.u, w.v, { p: 2 }), w.w2)).toBeLessThan(1e-10);
    expect(rel(wasserstein1d(w.u, w.v, { p: 2, weightsX: w.wu, weightsY: w.wv }), w.w2_weighted)).toBeLessThan(1e-10);
  });

  it('in 1-D, every projection is exact: SW_p = W_p', () => {
    const u = w.u.map((t) => [t]);
    const v = w.v.map((t) => [t]);
    expect(rel(slicedWasserstein(key(0), u, v, { projections: 8, p: 1 }), w.w1)).toBeLessThan(1e-10);
    expect(rel(slicedWasserstein(key(1), u, v, { projections: 3 }), w.w2)).toBeLessThan(1e-10);
  });

  it('large-projection limit for a translation δ in 2-D: SW₂ → ‖δ‖/√2', () => {
    const x = gaussian(5, 200, 2, 0, 1);
    const y = x.map(([a, b]) => [a! + 0.6, b! - 0.8]);
    const sw = slicedWasserstein(key(3), x, y, { projections: 2000 });
    expect(Math.abs(sw - 1 / Math.SQRT2)).toBeLessThan(0.015);
    // given directions (normalized by default)
    const axes = slicedWasserstein(key(0), x, y, {
      directions: [
        [2, 0],
        [0, 5],
      ],
    });
    expect(axes).toBeCloseTo(Math.sqrt((0.36 + 0.64) / 2), 10);
  });

  it('keeps the call shape slicedWasserstein(key, x, y, { projections }) on tensors, without leaks', async () => {
    const v = await expectNoLeak(() => {
      const x = normal(key(1), [100, 2]);
      const y = normal(key(2), [120, 2]);
      const out = slicedWasserstein(key(9), x, y, { projections: 50 });
      tf.dispose([x, y]);
      return out;
    });
    expect(v).toBeGreaterThan(0);
    expect(v).toBeLessThan(0.5);
  });

  it('rejects bad input', () => {
    expect(() => slicedWasserstein(key(0), [[0, 0]], [[0, 0]], { directions: [[0, 0]] })).toThrow(
      /row 0 has zero length/,
    );
    expect(() => slicedWasserstein(key(0), [[0, 0]], [[0]])).toThrow(/'b' has dimension 1/);
    expect(() => wasserstein1d([], [1])).toThrow(/wasserstein1d: 'x' must have at least 1/);
    expect(() => slicedWasserstein(key(0), [[0]], [[0]], { p: 0.5 })).toThrow(/'p' must be >= 1/);
  });
});
