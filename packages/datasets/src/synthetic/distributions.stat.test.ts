// Goodness-of-fit of every synthetic sampler against its exact density, with fixed keys and
// tolerances from the Monte Carlo error: KS at α = 0.001 (critical 1.949/√n), χ² at p = 1e-4
// (Wilson–Hilferty quantile), and means within 4 standard errors. Each family also shows that
// the same statistic rejects a slightly wrong target, so the tests can fail.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { key } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { isingGrid, ising, productBernoulli } from './binary.ts';
import {
  integrate,
  projectedNormalPair,
  sineBivariateVonMises,
  vonMises,
  vonMisesFisher,
  vonMisesMixture2,
} from './directional.ts';
import { gaussianMixture, twoGaussians } from './gaussian-mixture.ts';
import { checkerboard, pinwheel, twoMoons } from './toys.ts';
import type { Distribution } from './types.ts';

const ref = JSON.parse(
  readFileSync(new URL('../../../../tooling/reference/datasets_special.json', import.meta.url), 'utf8'),
) as Record<string, Record<string, number>[]>;

const draw = (d: Distribution, seed: number, n: number): Float32Array => {
  const t = d.sample(key(seed), n);
  const a = t.dataSync() as Float32Array;
  t.dispose();
  return a;
};

/** Kolmogorov–Smirnov statistic of `xs` against the CDF `F`. */
function ks(xs: ArrayLike<number>, F: (x: number) => number): number {
  const s = Float64Array.from(xs).sort();
  const n = s.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = F(s[i]!);
    d = Math.max(d, f - i / n, (i + 1) / n - f);
  }
  return d;
}
const ksCrit = (n: number): number => 1.949 / Math.sqrt(n);

/** χ² upper quantile at p = 1e-4 by Wilson–Hilferty. */
const chi2Crit = (df: number): number => df * (1 - 2 / (9 * df) + 3.719 * Math.sqrt(2 / (9 * df))) ** 3;
function chi2(counts: ArrayLike<number>, probs: ArrayLike<number>, n: number): number {
  let s = 0;
  for (let i = 0; i < counts.length; i++) s += (counts[i]! - n * probs[i]!) ** 2 / (n * probs[i]!);
  return s;
}

/** Mean and standard error of f over rows. */
function mse(n: number, f: (i: number) => number): { mean: number; se: number } {
  let m = 0;
  let q = 0;
  for (let i = 0; i < n; i++) {
    const v = f(i);
    m += v;
    q += v * v;
  }
  m /= n;
  return { mean: m, se: Math.sqrt(Math.max(0, q / n - m * m) / n) };
}
const z = (s: { mean: number; se: number }, want: number): number => Math.abs(s.mean - want) / s.se;

describe('Gaussian mixtures: exact means and covariances', () => {
  it('full-covariance mixture in R²', async () => {
    const opts = {
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
    };
    const m = gaussianMixture(opts);
    const n = 40000;
    const x = await expectNoLeak(() => draw(m, 11, n));
    const mu = m.mean();
    const cov = m.covariance();
    const zs: number[] = [];
    for (let j = 0; j < 2; j++)
      zs.push(
        z(
          mse(n, (i) => x[2 * i + j]!),
          mu[j]!,
        ),
      );
    for (let a = 0; a < 2; a++) {
      for (let b = 0; b <= a; b++)
        zs.push(
          z(
            mse(n, (i) => (x[2 * i + a]! - mu[a]!) * (x[2 * i + b]! - mu[b]!)),
            cov[2 * a + b]!,
          ),
        );
    }
    console.log(`[datasets] GMM moment z-scores ${zs.map((v) => v.toFixed(2)).join(' ')}`);
    for (const v of zs) expect(v).toBeLessThan(4);
    // The wrong weights (equal) give a mean the sample rejects.
    const wrong = gaussianMixture({ ...opts, weights: [1, 1, 1] }).mean();
    expect(
      z(
        mse(n, (i) => x[2 * i]!),
        wrong[0]!,
      ),
    ).toBeGreaterThan(4);
  });
  it('twoGaussians(d = 10, τ = 0.5): mean 0, covariance τ²I + 9·11ᵀ', () => {
    const m = twoGaussians({ d: 10, tau: 0.5 });
    const n = 20000;
    const x = draw(m, 12, n);
    for (const j of [0, 4, 9])
      expect(
        z(
          mse(n, (i) => x[10 * i + j]!),
          0,
        ),
      ).toBeLessThan(4);
    expect(
      z(
        mse(n, (i) => x[10 * i]! ** 2),
        9.25,
      ),
    ).toBeLessThan(4);
    expect(
      z(
        mse(n, (i) => x[10 * i]! * x[10 * i + 7]!),
        9,
      ),
    ).toBeLessThan(4);
    expect(
      z(
        mse(n, (i) => (x[10 * i + 3]! - x[10 * i + 5]!) ** 2),
        0.5,
      ),
    ).toBeLessThan(4);
  });
});

describe('von Mises: KS on angles against the CDF by numerical integration', () => {
  it('the quadrature CDF matches SciPy', () => {
    for (const r of ref['vonMisesCdf']!) {
      expect(
        Math.abs(vonMises({ loc: r['mu']!, concentration: r['kappa']! }).cdf(r['theta']!) - r['value']!),
      ).toBeLessThan(1e-9);
    }
  });
  for (const kappa of [0.5, 2, 20]) {
    it(`κ = ${kappa}, μ = 1`, () => {
      const vm = vonMises({ loc: 1, concentration: kappa });
      const n = 20000;
      const th = draw(vm, 20 + Math.round(10 * kappa), n);
      const d = ks(th, (t) => vm.cdf(t));
      console.log(`[datasets] von Mises κ=${kappa}: KS D = ${d.toFixed(4)} (critical ${ksCrit(n).toFixed(4)})`);
      expect(d).toBeLessThan(ksCrit(n));
      const wrong = vonMises({ loc: 1, concentration: kappa * 1.3 });
      expect(ks(th, (t) => wrong.cdf(t))).toBeGreaterThan(ksCrit(n));
    });
  }
  it('mixture of Ross et al. (2023) App. B.1: components balanced, points on the circles, KS per circle, density integrates to 1', async () => {
    const m = vonMisesMixture2();
    const n = 20000;
    const x = draw(m, 31, n);
    const left: number[] = [];
    const right: number[] = [];
    let off = 0;
    for (let i = 0; i < n; i++) {
      const px = x[2 * i]!;
      const py = x[2 * i + 1]!;
      const c = px < 0 ? -2 : 2;
      off = Math.max(off, Math.abs(Math.hypot(px - c, py) - 1));
      (px < 0 ? left : right).push(Math.atan2(py, px - c));
    }
    expect(off).toBeLessThan(1e-6);
    expect(Math.abs(left.length - n / 2)).toBeLessThan(4 * Math.sqrt(n / 4));
    const vl = vonMises({ loc: 0, concentration: 2 });
    const vr = vonMises({ loc: Math.PI, concentration: 2 });
    expect(ks(left, (t) => vl.cdf(t))).toBeLessThan(ksCrit(left.length));
    expect(ks(right, (t) => vr.cdf(t))).toBeLessThan(ksCrit(right.length));
    expect(ks(right, (t) => vl.cdf(t))).toBeGreaterThan(ksCrit(right.length));
    await expectNoLeak(() => {
      const k = 2000;
      const pts: number[] = [];
      for (const c of [-2, 2])
        for (let i = 0; i < k; i++) {
          const t = -Math.PI + (2 * Math.PI * (i + 0.5)) / k;
          pts.push(c + Math.cos(t), Math.sin(t));
        }
      pts.push(0, 0);
      const lp = tf.tidy(() => m.logProb(tf.tensor(pts, [2 * k + 1, 2])).dataSync());
      let total = 0;
      for (let i = 0; i < 2 * k; i++) total += Math.exp(lp[i]!) * ((2 * Math.PI) / k);
      expect(total).toBeCloseTo(1, 5);
      expect(lp[2 * k]).toBe(Number.NEGATIVE_INFINITY);
    });
  });
});

describe('von Mises–Fisher (Wood 1994): moments', () => {
  it('A_d(κ) matches SciPy', async () => {
    const { vmfMeanResultantLength } = await import('./directional.ts');
    for (const r of ref['meanResultantLength']!)
      expect(vmfMeanResultantLength(r['d']!, r['kappa']!)).toBeCloseTo(r['value']!, 12);
  });
  for (const [d, kappa] of [
    [3, 2],
    [3, 50],
    [10, 5],
    [10, 100],
  ] as const) {
    it(`d = ${d}, κ = ${kappa}: E[μᵀx] = A_d(κ), E[(μᵀx)²] = 1 − (d−1)A_d(κ)/κ, orthogonal mean 0`, () => {
      const mean = Array.from({ length: d }, (_, j) => (j === 1 ? 0.6 : j === 2 ? -0.8 : 0));
      const v = vonMisesFisher({ mean, concentration: kappa });
      const n = 20000;
      const x = draw(v, 40 + d + kappa, n);
      const w = (i: number): number => {
        let s = 0;
        for (let j = 0; j < d; j++) s += x[d * i + j]! * mean[j]!;
        return s;
      };
      let worstNorm = 0;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += x[d * i + j]! ** 2;
        worstNorm = Math.max(worstNorm, Math.abs(Math.sqrt(s) - 1));
      }
      expect(worstNorm).toBeLessThan(1e-6);
      const A = v.meanResultantLength;
      const m1 = mse(n, w);
      console.log(
        `[datasets] vMF d=${d} κ=${kappa}: mean resultant ${m1.mean.toFixed(5)} ± ${m1.se.toFixed(5)}, A_d(κ) = ${A.toFixed(5)}`,
      );
      expect(z(m1, A)).toBeLessThan(4);
      expect(
        z(
          mse(n, (i) => w(i) ** 2),
          1 - ((d - 1) * A) / kappa,
        ),
      ).toBeLessThan(4);
      expect(
        z(
          mse(n, (i) => x[d * i]!),
          0,
        ),
      ).toBeLessThan(4);
      // A 10% larger concentration is rejected.
      expect(z(m1, vonMisesFisher({ mean, concentration: 1.1 * kappa }).meanResultantLength)).toBeGreaterThan(4);
      if (d === 3) {
        // On S², w = μᵀx has density κe^{κw}/(2 sinh κ): exact KS.
        const ws = Array.from({ length: n }, (_, i) => w(i));
        const F = (t: number): number => Math.expm1(kappa * (t + 1)) / Math.expm1(2 * kappa);
        expect(ks(ws, F)).toBeLessThan(ksCrit(n));
        // and the density integrates to one: 2π ∫ C e^{κw} dw = 1
        expect(2 * Math.PI * integrate((t) => Math.exp(v.logNormalizer + kappa * t), -1, 1)).toBeCloseTo(1, 10);
      }
    });
  }
});

describe('projected normal pair on S² (Ross et al. 2023, App. B.1)', () => {
  const pn = projectedNormalPair();
  // The density depends on x₁ only; on S², dA = dx₁ dφ, so x₁ has density 2π p(x₁).
  const px1 = (t: number): number => 2 * Math.PI * Math.exp(pn.logDensity([t, Math.sqrt(Math.max(0, 1 - t * t)), 0]));
  it('integrates to one over the sphere; tensor logProb equals float64 logDensity', async () => {
    expect(integrate(px1, -1, 1, 64)).toBeCloseTo(1, 10);
    await expectNoLeak(() => {
      const pts = [
        [1, 0, 0],
        [0, 0.6, 0.8],
        [-0.48, 0.6, 0.64],
      ] as [number, number, number][];
      const lp = tf.tidy(() => pn.logProb(tf.tensor(pts)).dataSync());
      pts.forEach((p, i) => {
        expect(lp[i]).toBeCloseTo(pn.logDensity(p), 5);
      });
    });
  });
  it('χ² of x₁ in 20 bands against the exact band probabilities', () => {
    const n = 20000;
    const x = draw(pn, 51, n);
    const B = 20;
    const counts = new Array<number>(B).fill(0);
    for (let i = 0; i < n; i++) counts[Math.min(B - 1, Math.floor(((x[3 * i]! + 1) / 2) * B))]!++;
    const probs = Array.from({ length: B }, (_, b) => integrate(px1, -1 + (2 * b) / B, -1 + (2 * (b + 1)) / B, 4));
    const c = chi2(counts, probs, n);
    console.log(
      `[datasets] projected normal χ² = ${c.toFixed(1)} (df ${B - 1}, critical ${chi2Crit(B - 1).toFixed(1)})`,
    );
    expect(c).toBeLessThan(chi2Crit(B - 1));
    // A uniform law on S² (x₁ uniform) is rejected.
    expect(chi2(counts, new Array(B).fill(1 / B), n)).toBeGreaterThan(chi2Crit(B - 1));
  });
});

describe('bivariate von Mises sine model on the torus', () => {
  it('normalizing constant matches SciPy dblquad', () => {
    for (const r of ref['sineLogZ']!) {
      const m = sineBivariateVonMises({ concentration: [r['kappa1']!, r['kappa2']!], correlation: r['lambda']! });
      expect(m.logNormalizer).toBeCloseTo(r['value']!, 9);
    }
  });
  for (const [k1, k2, lam] of [
    [2, 3, 1],
    [1, 2, 4],
  ] as const) {
    it(`κ = (${k1}, ${k2}), λ = ${lam}: histogram χ² on a 12×12 grid`, () => {
      const loc = [0.5, -1] as const;
      const m = sineBivariateVonMises({ loc, concentration: [k1, k2], correlation: lam });
      const n = 20000;
      const a = draw(m, 60 + lam, n);
      const B = 12;
      const w = (2 * Math.PI) / B;
      const counts = new Array<number>(B * B).fill(0);
      const bin = (t: number): number => Math.min(B - 1, Math.floor((t + Math.PI) / w));
      for (let i = 0; i < n; i++) counts[bin(a[2 * i]!) * B + bin(a[2 * i + 1]!)]!++;
      const probs: number[] = [];
      for (let i = 0; i < B; i++) {
        for (let j = 0; j < B; j++) {
          const lo1 = -Math.PI + i * w;
          const lo2 = -Math.PI + j * w;
          probs.push(
            integrate(
              (p) => integrate((q) => Math.exp(m.logDensity(p, q) - m.logNormalizer), lo2, lo2 + w, 2),
              lo1,
              lo1 + w,
              2,
            ),
          );
        }
      }
      expect(probs.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 8);
      const c = chi2(counts, probs, n);
      console.log(
        `[datasets] sine model κ=(${k1},${k2}) λ=${lam}: χ² = ${c.toFixed(1)} (df 143, critical ${chi2Crit(143).toFixed(1)})`,
      );
      expect(c).toBeLessThan(chi2Crit(143));
      const wrong = sineBivariateVonMises({ loc, concentration: [k1, k2], correlation: -lam });
      const wp = probs.map((_, idx) => {
        const lo1 = -Math.PI + Math.floor(idx / B) * w;
        const lo2 = -Math.PI + (idx % B) * w;
        return integrate(
          (p) => integrate((q) => Math.exp(wrong.logDensity(p, q) - wrong.logNormalizer), lo2, lo2 + w, 2),
          lo1,
          lo1 + w,
          2,
        );
      });
      expect(chi2(counts, wp, n)).toBeGreaterThan(chi2Crit(143));
    });
  }
});

describe('checkerboard: histogram χ² against the exact density', () => {
  it('16×16 bins on [−4, 4]²: white bins empty, black bins uniform; density integrates to 1', async () => {
    const cb = checkerboard();
    const n = 20000;
    const x = draw(cb, 70, n);
    const B = 16;
    const counts = new Array<number>(B * B).fill(0);
    for (let i = 0; i < n; i++)
      counts[Math.floor((x[2 * i]! + 4) / 0.5) * B + Math.floor((x[2 * i + 1]! + 4) / 0.5)]!++;
    const lp = await expectNoLeak(() =>
      tf.tidy(() => {
        const centres: number[] = [];
        for (let i = 0; i < B; i++)
          for (let j = 0; j < B; j++) centres.push(-4 + 0.5 * (i + 0.5), -4 + 0.5 * (j + 0.5));
        return cb.logProb(tf.tensor(centres, [B * B, 2])).dataSync();
      }),
    );
    const probs = Array.from(lp, (v) => Math.exp(v) * 0.25);
    expect(probs.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 6);
    const black = probs.map((p, i) => [p, counts[i]!] as const).filter(([p]) => p > 0);
    expect(black.length).toBe(128);
    expect(probs.map((p, i) => (p === 0 ? counts[i]! : 0)).reduce((s, c) => s + c, 0)).toBe(0);
    const c = chi2(
      black.map(([, k]) => k),
      black.map(([p]) => p),
      n,
    );
    console.log(`[datasets] checkerboard χ² = ${c.toFixed(1)} (df 127, critical ${chi2Crit(127).toFixed(1)})`);
    expect(c).toBeLessThan(chi2Crit(127));
  });
});

describe('binary targets', () => {
  it('product Bernoulli: means within 4 SE; logProb closed form', async () => {
    const p = [0.1, 0.5, 0.9, 0.3];
    const pb = productBernoulli({ means: p });
    const n = 20000;
    const x = draw(pb, 80, n);
    p.forEach((pi, j) => {
      expect(
        z(
          mse(n, (i) => x[4 * i + j]!),
          pi,
        ),
      ).toBeLessThan(4);
    });
    await expectNoLeak(() => {
      const lp = tf.tidy(() => pb.logProb(tf.tensor([[1, 0, 1, 1]])).dataSync());
      expect(lp[0]).toBeCloseTo(Math.log(0.1 * 0.5 * 0.9 * 0.3), 5);
    });
  });
  it('Ising: logZ in closed form (d = 2 and J = 0), probabilities sum to 1', async () => {
    const [J, h] = [0.7, 0.3];
    const two = ising({
      couplings: [
        [0, J],
        [J, 0],
      ],
      fields: [h, h],
    });
    expect(two.exact().logZ).toBeCloseTo(Math.log(2 * Math.exp(J) * Math.cosh(2 * h) + 2 * Math.exp(-J)), 12);
    const free = ising({
      couplings: [
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
      ],
      fields: [0.1, -0.4, 1],
    });
    expect(free.exact().logZ).toBeCloseTo(
      [0.1, -0.4, 1].reduce((s, v) => s + Math.log(2 * Math.cosh(v)), 0),
      12,
    );
    expect(Array.from(free.exact().marginals)).toEqual([0.1, -0.4, 1].map(Math.tanh).map((v) => expect.closeTo(v, 12)));
    await expectNoLeak(() => {
      const all: number[] = [];
      for (let s = 0; s < 8; s++) for (let j = 0; j < 3; j++) all.push((s >> j) & 1 ? 1 : -1);
      const lp = tf.tidy(() => free.logProb(tf.tensor(all, [8, 3])).dataSync());
      expect(Array.from(lp).reduce((a, v) => a + Math.exp(v), 0)).toBeCloseTo(1, 5);
    });
  });
  it('Ising 3×3 grid: sampled marginals and correlations match enumeration', () => {
    const m = isingGrid({ rows: 3, cols: 3, coupling: 0.4, field: 0.1 });
    const ex = m.exact();
    const n = 20000;
    const x = draw(m, 81, n);
    for (const j of [0, 4, 8])
      expect(
        z(
          mse(n, (i) => x[9 * i + j]!),
          ex.marginals[j]!,
        ),
      ).toBeLessThan(4);
    for (const [a, b] of [
      [0, 1],
      [0, 8],
      [3, 4],
    ] as const) {
      expect(
        z(
          mse(n, (i) => x[9 * i + a]! * x[9 * i + b]!),
          ex.correlations[9 * a + b]!,
        ),
      ).toBeLessThan(4);
    }
    // ... and differ from an uncoupled model's correlations.
    expect(
      z(
        mse(n, (i) => x[9 * i]! * x[9 * i + 1]!),
        Math.tanh(0.1) ** 2,
      ),
    ).toBeGreaterThan(4);
  });
});

describe('2-D toys: known moments', () => {
  it('two moons: mean (½, ¼); pinwheel: mean 0 by symmetry', () => {
    const n = 20000;
    const x = draw(twoMoons({ noise: 0.1 }), 90, n);
    expect(
      z(
        mse(n, (i) => x[2 * i]!),
        0.5,
      ),
    ).toBeLessThan(4);
    expect(
      z(
        mse(n, (i) => x[2 * i + 1]!),
        0.25,
      ),
    ).toBeLessThan(4);
    const y = draw(pinwheel(), 91, n);
    expect(
      z(
        mse(n, (i) => y[2 * i]!),
        0,
      ),
    ).toBeLessThan(4);
    expect(
      z(
        mse(n, (i) => y[2 * i + 1]!),
        0,
      ),
    ).toBeLessThan(4);
  });
});
