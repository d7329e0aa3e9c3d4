import * as tf from '@tensorflow/tfjs-core';
import { isShapeError, isValueError, key } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { gaussianMixture, grid25, ring8, twoGaussians } from './gaussian-mixture.ts';

const logN1 = (x: number, m: number, s: number): number =>
  -0.5 * ((x - m) / s) ** 2 - Math.log(s) - 0.5 * Math.log(2 * Math.PI);

describe('gaussianMixture', () => {
  const full = gaussianMixture({
    means: [
      [0, 1],
      [2, -1],
      [-1, -2],
    ],
    covariances: [
      [
        [1, 0.3],
        [0.3, 0.5],
      ],
      [
        [0.2, 0],
        [0, 0.8],
      ],
      [
        [0.6, -0.2],
        [-0.2, 0.4],
      ],
    ],
    weights: [1, 2, 1],
  });
  const pts = [
    [0.1, 0.2],
    [1.5, -0.5],
    [-3, 2],
    [0, 0],
  ];

  it('logProb matches the closed form (1-D check and a 2-D full-covariance check in float64)', async () => {
    await expectNoLeak(() => {
      const m = gaussianMixture({ means: [[-1], [2]], stds: [0.5, 1.5], weights: [0.3, 0.7] });
      const x = tf.tensor([[-1.2], [0.4], [3]], [3, 1]);
      const lp = tf.tidy(() => m.logProb(x).dataSync());
      [-1.2, 0.4, 3].forEach((v, i) => {
        const want = Math.log(0.3 * Math.exp(logN1(v, -1, 0.5)) + 0.7 * Math.exp(logN1(v, 2, 1.5)));
        expect(lp[i]).toBeCloseTo(want, 5);
      });
      const X = tf.tensor(pts);
      const lp2 = tf.tidy(() => full.logProb(X).dataSync());
      pts.forEach(([a, b], i) => {
        const comps = [
          [0, 1, 1, 0.3, 0.5, 0.25],
          [2, -1, 0.2, 0, 0.8, 0.5],
          [-1, -2, 0.6, -0.2, 0.4, 0.25],
        ].map(([mx, my, s11, s12, s22, w]) => {
          const det = s11! * s22! - s12! * s12!;
          const dx = a! - mx!;
          const dy = b! - my!;
          const q = (s22! * dx * dx - 2 * s12! * dx * dy + s11! * dy * dy) / det;
          return (w! * Math.exp(-0.5 * q)) / (2 * Math.PI * Math.sqrt(det));
        });
        expect(lp2[i]).toBeCloseTo(Math.log(comps.reduce((s, v) => s + v, 0)), 4);
      });
      tf.dispose([x, X]);
    });
  });

  it('score is the exact gradient of logProb (vs tfjs autodiff)', async () => {
    await expectNoLeak(() => {
      for (const m of [full, ring8(), twoGaussians({ d: 5, tau: 0.7 })]) {
        const d = m.dim;
        const x = tf.tidy(() => tf.mul(tf.randomNormal([6, d], 0, 1, 'float32', 7), 1.5));
        const s = m.score(x);
        const g = tf.grad((y: tf.Tensor) => tf.sum(m.logProb(y)))(x);
        const a = s.dataSync();
        const b = g.dataSync();
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(2e-3 * (1 + Math.abs(b[i]!)));
        tf.dispose([x, s, g]);
      }
    });
  });

  it('posteriorWeights sum to one and pick the nearest mode', async () => {
    await expectNoLeak(() => {
      const m = ring8();
      const x = tf.tensor([
        [2, 0],
        [0, -2],
      ]);
      const r = m.posteriorWeights(x);
      expect(r.shape).toEqual([2, 8]);
      const v = r.arraySync() as number[][];
      expect(v[0]![0]).toBeCloseTo(1, 5);
      expect(v[1]![6]).toBeCloseTo(1, 5);
      for (const row of v) expect(row.reduce((s, t) => s + t, 0)).toBeCloseTo(1, 5);
      tf.dispose([x, r]);
    });
  });

  it('noisy(σ) is the convolution with N(0, σ²I) (1-D quadrature) and keeps full covariances SPD', async () => {
    const m = gaussianMixture({ means: [[-1], [2]], stds: [0.5, 1.5], weights: [0.3, 0.7] });
    const sigma = 0.8;
    const ys = [-2, 0.3, 1.7];
    await expectNoLeak(() => {
      const y = tf.tensor(ys, [3, 1]);
      const lp = tf.tidy(() => m.noisy(sigma).logProb(y).dataSync());
      ys.forEach((yv, i) => {
        let s = 0;
        const h = 1e-3;
        for (let x = -12; x <= 14; x += h) {
          s +=
            h * (0.3 * Math.exp(logN1(x, -1, 0.5)) + 0.7 * Math.exp(logN1(x, 2, 1.5))) * Math.exp(logN1(yv, x, sigma));
        }
        expect(lp[i]).toBeCloseTo(Math.log(s), 4);
      });
      const fy = tf.tensor(pts);
      const a = full.noisy(0.5).logProb(fy);
      const cov = full.noisy(0.5).covariance();
      const c0 = full.covariance();
      expect(cov[0]! - c0[0]!).toBeCloseTo(0.25, 10);
      expect(cov[1]! - c0[1]!).toBeCloseTo(0, 10);
      tf.dispose([y, fy, a]);
    });
  });

  it('sample: same key same draws, different keys differ, shapes; components returned', async () => {
    await expectNoLeak(() => {
      const m = ring8();
      const a = m.sample(key(1), 100);
      const b = m.sample(key(1), 100);
      const c = m.sample(key(2), 100);
      expect(a.shape).toEqual([100, 2]);
      expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
      expect(Array.from(a.dataSync())).not.toEqual(Array.from(c.dataSync()));
      const { x, components } = m.sampleWithComponents(key(1), 100);
      expect(components.dtype).toBe('int32');
      expect(Array.from(x.dataSync())).toEqual(Array.from(a.dataSync()));
      tf.dispose([a, b, c, x, components]);
    });
  });

  it('presets: ring8 radius 2 std 0.1, grid25 spacing 2, twoGaussians ±3·1 with τ', () => {
    const r = ring8();
    expect(r.means.length).toBe(8);
    expect(Math.hypot(...r.means[3]!)).toBeCloseTo(2, 12);
    expect(r.stds).toEqual(new Array(8).fill(0.1));
    const g = grid25();
    expect(g.means.length).toBe(25);
    expect(g.means[0]).toEqual([-4, -4]);
    const t = twoGaussians({ d: 3, tau: 0.5 });
    expect(t.means).toEqual([
      [-3, -3, -3],
      [3, 3, 3],
    ]);
    expect(t.stds).toEqual([0.5, 0.5]);
    expect(Array.from(t.covariance())).toEqual([9.25, 9, 9, 9, 9.25, 9, 9, 9, 9.25]);
  });

  it('validates its options and inputs', () => {
    const err = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return e;
      }
      return undefined;
    };
    expect(isShapeError(err(() => gaussianMixture({ means: [[0, 0], [1]] })))).toBe(true);
    expect(() => gaussianMixture({ means: [[0]], stds: [-1] })).toThrow(
      "gaussianMixture: 'stds[0]' must be a positive number, got -1",
    );
    expect(() =>
      gaussianMixture({
        means: [[0, 0]],
        covariances: [
          [
            [1, 2],
            [2, 1],
          ],
        ],
      }),
    ).toThrow(/positive definite/);
    expect(isValueError(err(() => gaussianMixture({ means: [[0]], weights: [0] })))).toBe(true);
    expect(() => ring8().noisy(0)).toThrow(/'sigma' must be a positive number/);
    const bad = tf.zeros([2, 3]);
    expect(() => ring8().logProb(bad)).toThrow("gaussianMixture.logProb: 'x' must have shape [n, 2], got [2, 3]");
    bad.dispose();
  });
});
