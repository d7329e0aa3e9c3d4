import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { foldIn, key, type Key, normal } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { ula } from './overdamped.ts';
import { chengUnderdamped, sachsUnderdamped, type UnderdampedKernel, type UnderdampedState } from './underdamped.ts';

// ---- the exact law of a linear-Gaussian chain: on a Gaussian target both kernels are affine
// s ← F s + f + N(0, Q) in s = (y, v), so the law after n steps from a point mass is computable.
type Mat = number[][];
const zeros = (n: number, m = n): Mat => Array.from({ length: n }, () => new Array(m).fill(0));
const eye = (n: number): Mat => zeros(n).map((r, i) => r.map((_, j) => (i === j ? 1 : 0)));
const mm = (A: Mat, B: Mat): Mat => A.map((r) => B[0]!.map((_, j) => r.reduce((s, a, k) => s + a * B[k]![j]!, 0)));
const tr = (A: Mat): Mat => A[0]!.map((_, j) => A.map((r) => r[j]!));
const madd = (A: Mat, B: Mat): Mat => A.map((r, i) => r.map((a, j) => a + B[i]![j]!));
const mv = (A: Mat, x: number[]): number[] => A.map((r) => r.reduce((s, a, k) => s + a * x[k]!, 0));
/** Block 2×2 of d×d blocks from scalars-times-identity or explicit d×d matrices. */
const block = (d: number, b: (Mat | number)[][]): Mat => {
  const M = zeros(2 * d);
  for (let I = 0; I < 2; I++)
    for (let J = 0; J < 2; J++) {
      const e = b[I]![J]!;
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) M[I * d + i]![J * d + j] = typeof e === 'number' ? (i === j ? e : 0) : e[i]![j]!;
    }
  return M;
};
/** An affine Gaussian step s ← F s + f + N(0, Q). */
interface Affine {
  F: Mat;
  f: number[];
  Q: Mat;
}
const compose = (steps: Affine[]): Affine =>
  steps.reduce((acc, s) => ({
    F: mm(s.F, acc.F),
    f: madd([mv(s.F, acc.f)], [s.f])[0]!,
    Q: madd(mm(mm(s.F, acc.Q), tr(s.F)), s.Q),
  }));
/** Law (mean, cov) after n steps of `a` from a point mass at s0. */
function lawAfter(a: Affine, s0: number[], n: number) {
  let m = s0.slice();
  let V = zeros(s0.length);
  for (let t = 0; t < n; t++) {
    m = madd([mv(a.F, m)], [a.f])[0]!;
    V = madd(mm(mm(a.F, V), tr(a.F)), a.Q);
  }
  return { m, V };
}
const scale = (A: Mat, c: number): Mat => A.map((r) => r.map((a) => a * c));
function sachsAffine(P: Mat, mu: number[], delta: number, gamma: number, u: number): Affine {
  const d = mu.length;
  const Z = zeros(d);
  const Pmu = mv(P, mu);
  const A: Affine = {
    F: block(d, [
      [1, delta / 2],
      [0, 1],
    ]),
    f: new Array(2 * d).fill(0),
    Q: zeros(2 * d),
  };
  const h = (u * delta) / 2;
  const B: Affine = {
    F: block(d, [
      [1, 0],
      [scale(P, -h), 1],
    ]),
    f: [...Z.map(() => 0), ...Pmu.map((x) => h * x)],
    Q: zeros(2 * d),
  };
  const e = Math.exp(-gamma * delta);
  const O: Affine = {
    F: block(d, [
      [1, 0],
      [0, e],
    ]),
    f: new Array(2 * d).fill(0),
    Q: block(d, [
      [0, 0],
      [0, u * (1 - e * e)],
    ]),
  };
  return compose([A, B, O, B, A]);
}
/** Eqs. 34, 39–41 in closed form (fine in float64 for moderate γδ). */
function chengClosed(delta: number, gamma: number, u: number) {
  const e = Math.exp(-gamma * delta);
  return {
    decay: e,
    yVelocity: (1 - e) / gamma,
    vScore: (u * (1 - e)) / gamma,
    yScore: (u / gamma) * (delta - (1 - e) / gamma),
    sigmaYY: (u / gamma) * (2 * delta - (4 / gamma) * (1 - e) + (1 - e * e) / gamma),
    sigmaVV: u * (1 - e * e),
    sigmaYV: (u / gamma) * (1 - 2 * e + e * e),
  };
}
function chengAffine(P: Mat, mu: number[], delta: number, gamma: number, u: number): Affine {
  const d = mu.length;
  const c = chengClosed(delta, gamma, u);
  const Pmu = mv(P, mu);
  return {
    F: block(d, [
      [madd(eye(d), scale(P, -c.yScore)), c.yVelocity],
      [scale(P, -c.vScore), c.decay],
    ]),
    f: [...Pmu.map((x) => c.yScore * x), ...Pmu.map((x) => c.vScore * x)],
    Q: block(d, [
      [c.sigmaYY, c.sigmaYV],
      [c.sigmaYV, c.sigmaVV],
    ]),
  };
}

const inv2 = (S: Mat): Mat => {
  const det = S[0]![0]! * S[1]![1]! - S[0]![1]! * S[1]![0]!;
  return [
    [S[1]![1]! / det, -S[0]![1]! / det],
    [-S[1]![0]! / det, S[0]![0]! / det],
  ];
};

const gaussian = (mu: number[], Sigma: Mat) => {
  const P = inv2(Sigma);
  const Pt = tf.tensor2d(P.flat(), [2, 2]);
  const m = tf.tensor1d(mu);
  const score = (y: tf.Tensor) => tf.tidy(() => tf.neg(tf.matMul(tf.sub(y, m) as tf.Tensor2D, Pt)));
  return { P, score, dispose: () => tf.dispose([Pt, m]) };
};

/** Runs `steps` steps from (y0, v0 = 0) and returns the final positions and velocities, row-major [C, d]. */
function run<S extends UnderdampedState>(kernel: UnderdampedKernel<S>, k: Key, init: tf.Tensor, steps: number) {
  let s = kernel.init(init);
  for (let t = 0; t < steps; t++) {
    const [n, info] = kernel.step(foldIn(k, t), s);
    tf.dispose([s as unknown as tf.TensorContainer, info as unknown as tf.TensorContainer]);
    s = n;
  }
  const y = Array.from(s.position.dataSync());
  const v = Array.from(s.velocity.dataSync());
  tf.dispose(s as unknown as tf.TensorContainer);
  return { y, v };
}

/** Sample mean and covariance of C draws of dimension n stored row-major. */
function moments(x: number[], n: number) {
  const C = x.length / n;
  const m = new Array(n).fill(0) as number[];
  for (let i = 0; i < C; i++) for (let j = 0; j < n; j++) m[j]! += x[n * i + j]! / C;
  const V = zeros(n);
  for (let i = 0; i < C; i++)
    for (let a = 0; a < n; a++)
      for (let b = 0; b < n; b++) V[a]![b]! += ((x[n * i + a]! - m[a]!) * (x[n * i + b]! - m[b]!)) / (C - 1);
  return { m, V, C };
}

/**
 * Checks sample mean and covariance against (mu, V) at 4.5 Monte Carlo standard errors: SE(mean_a) =
 * √(V_aa/C), SE(cov_ab) = √((V_aa V_bb + V_ab²)/C) for Gaussian data. Returns the largest |z|.
 */
function expectMoments(x: number[], mu: number[], V: Mat, label: string): number {
  const n = mu.length;
  const { m, V: S, C } = moments(x, n);
  let zmax = 0;
  for (let a = 0; a < n; a++) {
    const z = (m[a]! - mu[a]!) / Math.sqrt(V[a]![a]! / C);
    zmax = Math.max(zmax, Math.abs(z));
    expect(Math.abs(z), `${label}: mean[${a}] ${m[a]} vs ${mu[a]}`).toBeLessThan(4.5);
    for (let b = 0; b < n; b++) {
      const zc = (S[a]![b]! - V[a]![b]!) / Math.sqrt((V[a]![a]! * V[b]![b]! + V[a]![b]! ** 2) / C);
      zmax = Math.max(zmax, Math.abs(zc));
      expect(Math.abs(zc), `${label}: cov[${a}${b}] ${S[a]![b]} vs ${V[a]![b]}`).toBeLessThan(4.5);
    }
  }
  return zmax;
}

/** Interleaves positions and velocities [C, d] into rows (y, v) of width 2d. */
const joint = (y: number[], v: number[], d: number): number[] => {
  const out: number[] = [];
  for (let i = 0; i < y.length / d; i++) out.push(...y.slice(d * i, d * i + d), ...v.slice(d * i, d * i + d));
  return out;
};

const C = 8000;
const targets: { name: string; mu: number[]; Sigma: Mat }[] = [
  {
    name: 'diagonal',
    mu: [1, -0.5],
    Sigma: [
      [1, 0],
      [0, 0.5],
    ],
  },
  {
    name: 'correlated',
    mu: [1, -0.5],
    Sigma: [
      [1, 0.6],
      [0.6, 0.8],
    ],
  },
];

const fixture = JSON.parse(
  readFileSync(new URL('./__fixtures__/cheng-coefficients.json', import.meta.url), 'utf8'),
) as {
  cases: { stepSize: number; friction: number; inverseMass: number; [k: string]: number }[];
};

describe('chengUnderdamped: one step under a constant score is the Gaussian of Lemma 1 (eqs. 34–35)', () => {
  // expected moments from the 50-digit reference (tooling/reference/langevin_cheng_coefficients.py)
  const picks: [number, number, number][] = [
    [0.5, 0.5, 1], // γδ = 0.25
    [1.0, 1e-4, 0.5], // γδ = 1e-4: the closed forms cancel here
    [0.5, 3.0, 0.25], // γδ = 1.5
  ];
  for (const [delta, gamma, u] of picks) {
    it(`δ = ${delta}, γ = ${gamma}, u = ${u}`, async () => {
      const c = fixture.cases.find((k) => k.stepSize === delta && k.friction === gamma && k.inverseMass === u)!;
      expect(c).toBeDefined();
      await expectNoLeak(() => {
        const n = 40_000;
        const y0 = [0.3, -1.2];
        const v0 = [0.5, -0.7];
        const g = [0.4, -1.5]; // ∇log p = g everywhere: the linear energy E(y) = −g·y
        const gT = tf.tensor1d(g);
        const score = (y: tf.Tensor) => tf.tidy(() => tf.mul(tf.onesLike(y), gT));
        const Y = tf.tidy(() => tf.mul(tf.ones([n, 2]), tf.tensor1d(y0)));
        const V = tf.tidy(() => tf.mul(tf.ones([n, 2]), tf.tensor1d(v0)));
        const kernel = chengUnderdamped({ score }, { stepSize: delta, friction: gamma, inverseMass: u });
        const s0 = kernel.init(Y, V);
        const [s1, info] = kernel.step(key(11), s0);
        const rows = joint(Array.from(s1.position.dataSync()), Array.from(s1.velocity.dataSync()), 2);
        expect(Array.from(info.nonFinite.dataSync()).every((x) => x === 0)).toBe(true);
        tf.dispose([
          gT,
          Y,
          V,
          s0 as unknown as tf.TensorContainer,
          s1 as unknown as tf.TensorContainer,
          info as unknown as tf.TensorContainer,
        ]);
        const mean = [0, 1].map((j) => y0[j]! + c.yVelocity! * v0[j]! + c.yScore! * g[j]!);
        mean.push(...[0, 1].map((j) => c.decay! * v0[j]! + c.vScore! * g[j]!));
        const Q = block(2, [
          [c.sigmaYY!, c.sigmaYV!],
          [c.sigmaYV!, c.sigmaVV!],
        ]);
        expectMoments(rows, mean, Q, `cheng one step γδ=${gamma * delta}`);
      });
    });
  }
});

describe('sachsUnderdamped: γ → ∞ is overdamped Langevin (Appendix F.2)', () => {
  it('with e^{−γδ} = 0 the midpoints y + δv/2 are exactly the ULA chain of eq. 42 with step δ√u (same keys)', async () => {
    await expectNoLeak(() => {
      const { score, dispose } = gaussian(
        [1, -0.5],
        [
          [1, 0.6],
          [0.6, 0.8],
        ],
      );
      const delta = 0.6;
      const u = 0.5;
      const sachs = sachsUnderdamped({ score }, { stepSize: delta, friction: 1e4, inverseMass: u });
      const over = ula({ score }, { stepSize: delta * Math.sqrt(u) });
      const y0 = normal(key(5), [16, 2]);
      const v0 = normal(key(6), [16, 2]);
      const z0 = tf.tidy(() => tf.add(y0, tf.mul(v0, delta / 2)));
      let s = sachs.init(y0, v0);
      let o = over.init(z0);
      for (let t = 0; t < 20; t++) {
        const [s1, i1] = sachs.step(foldIn(key(7), t), s);
        const [o1, i2] = over.step(foldIn(key(7), t), o);
        tf.dispose([s, o, i1, i2] as unknown as tf.TensorContainer[]);
        s = s1;
        o = o1;
      }
      const mid = tf.tidy(() => tf.add(s.position, tf.mul(s.velocity, delta / 2)));
      const a = Array.from(mid.dataSync());
      const b = Array.from(o.position.dataSync());
      for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 4);
      tf.dispose([y0, v0, z0, mid, s, o] as unknown as tf.TensorContainer[]);
      dispose();
    });
  });

  it("as γ grows the midpoint chain's dynamics tend to ULA's; its stationary law is ULA's, the positions' is exact", async () => {
    // On a Gaussian the stationary law of Algorithm 1 does not depend on γ (positions exact,
    // midpoints distributed as ULA's stationary law, even their lag-1 autocovariance is ULA's), so the
    // limit γ → ∞ shows in the dynamics: the lag-2 autocovariance G F² V Gᵀ tends to ULA's (I − hP)² V_ULA.
    const mu = [1, -0.5];
    const Sigma: Mat = [
      [1, 0.6],
      [0.6, 0.8],
    ];
    const delta = 0.8;
    const h = (delta * delta) / 2;
    const { P, score, dispose } = gaussian(mu, Sigma);
    const Pmu = mv(P, mu);
    const Fula = madd(eye(2), scale(P, -h));
    const ulaLaw = lawAfter({ F: Fula, f: Pmu.map((x) => h * x), Q: scale(eye(2), 2 * h) }, [0, 0], 400);
    const ulaLag = mm(mm(Fula, Fula), ulaLaw.V);
    const G = [
      [1, 0, delta / 2, 0],
      [0, 1, 0, delta / 2],
    ];
    const dist = (A: Mat, B: Mat) => Math.max(...A.flatMap((r, i) => r.map((a, j) => Math.abs(a - B[i]![j]!))));
    const mid = (gamma: number) => {
      const a = sachsAffine(P, mu, delta, gamma, 1);
      const law = lawAfter(a, [0, 0, 0, 0], 4000);
      return { cov: mm(mm(G, law.V), tr(G)), lag: mm(mm(G, mm(mm(a.F, a.F), law.V)), tr(G)) };
    };
    const ds = [0.25, 0.5, 1, 2, 4, 8].map((g) => dist(mid(g).lag, ulaLag));
    for (let i = 1; i < ds.length; i++) expect(ds[i]!).toBeLessThan(ds[i - 1]!);
    expect(ds[0]!).toBeGreaterThan(0.1);
    expect(dist(mid(1e4).lag, ulaLag)).toBeLessThan(1e-9);
    for (const g of [0.25, 4, 1e4]) expect(dist(mid(g).cov, ulaLaw.V)).toBeLessThan(1e-9);
    expect(dist(ulaLaw.V, Sigma)).toBeGreaterThan(0.2); // ULA's O(h) bias at this δ is large
    await expectNoLeak(() => {
      const init = tf.zeros([C, 2]);
      const { y, v } = run(sachsUnderdamped({ score }, { stepSize: delta, friction: 1e4 }), key(8), init, 60);
      const mid = y.map((yi, i) => yi + (delta / 2) * v[i]!);
      expectMoments(mid, mu, ulaLaw.V, 'sachs γ=1e4 midpoints vs ULA');
      expectMoments(y, mu, Sigma, 'sachs γ=1e4 positions vs target');
      tf.dispose(init);
    });
    dispose();
  });
});

describe('underdamped kernels on 2-D Gaussians: stationary moments', () => {
  const kernels = [
    { name: 'sachsUnderdamped', make: sachsUnderdamped, affine: sachsAffine, delta: 0.1, gamma: 2 },
    { name: 'chengUnderdamped', make: chengUnderdamped, affine: chengAffine, delta: 0.05, gamma: 2 },
  ] as const;
  for (const { name, mu, Sigma } of targets)
    for (const k of kernels) {
      it(`${k.name} (δ = ${k.delta}, γ = ${k.gamma}) samples N(μ, Σ) within MC error (${name})`, async () => {
        const { P, score, dispose } = gaussian(mu, Sigma);
        const steps = Math.round(15 / k.delta); // the exact law at this step is the target's to < 0.1 MC standard error
        await expectNoLeak(() => {
          const init = tf.zeros([C, 2]);
          const kernel = (k.make as typeof sachsUnderdamped)({ score }, { stepSize: k.delta, friction: k.gamma });
          const { y, v } = run(kernel, key(20), init, steps);
          expectMoments(y, mu, Sigma, `${k.name} positions vs target`);
          const law = lawAfter(k.affine(P, mu, k.delta, k.gamma, 1), [0, 0, 0, 0], steps);
          expectMoments(joint(y, v, 2), law.m, law.V, `${k.name} (y, v) vs exact law`);
          tf.dispose(init);
        });
        dispose();
      });
    }

  it('the discretization bias at large δ is the predicted one: Sachs positions exact, velocities O(δ²); Cheng positions O(δ)', async () => {
    const [mu, Sigma] = [targets[1]!.mu, targets[1]!.Sigma];
    const { P, score, dispose } = gaussian(mu, Sigma);
    const stat = (aff: typeof sachsAffine, delta: number) =>
      lawAfter(aff(P, mu, delta, 1, 1), [0, 0, 0, 0], Math.round(200 / delta)).V;
    for (const d of [0.4, 0.2, 0.1]) {
      const V = stat(sachsAffine, d);
      expect(Math.abs(V[0]![0]! - 1) + Math.abs(V[0]![1]! - 0.6) + Math.abs(V[1]![1]! - 0.8)).toBeLessThan(1e-9);
    }
    const vBias = (d: number) => stat(sachsAffine, d)[2]![2]! - 1;
    const yBias = (d: number) => stat(chengAffine, d)[0]![0]! - 1;
    expect(vBias(0.2)).toBeGreaterThan(0);
    expect(vBias(0.2) / vBias(0.1)).toBeGreaterThan(3.5); // second order
    expect(vBias(0.2) / vBias(0.1)).toBeLessThan(4.5);
    expect(yBias(0.2)).toBeGreaterThan(0);
    expect(yBias(0.2) / yBias(0.1)).toBeGreaterThan(1.7); // first order
    expect(yBias(0.2) / yBias(0.1)).toBeLessThan(2.5);
    await expectNoLeak(() => {
      const init = tf.zeros([C, 2]);
      for (const [make, aff, delta, label] of [
        [sachsUnderdamped, sachsAffine, 0.8, 'sachs'],
        [chengUnderdamped, chengAffine, 0.4, 'cheng'],
      ] as const) {
        const steps = Math.round(25 / delta);
        const { y, v } = run(
          (make as typeof sachsUnderdamped)({ score }, { stepSize: delta, friction: 1 }),
          key(30),
          init,
          steps,
        );
        const law = lawAfter(aff(P, mu, delta, 1, 1), [0, 0, 0, 0], steps);
        expectMoments(joint(y, v, 2), law.m, law.V, `${label} δ=${delta} vs exact law`);
        // the bias is visible in the samples: the target is rejected where the law says it should be
        const { V: S } = moments(joint(y, v, 2), 4);
        if (label === 'sachs') expect(S[2]![2]! - 1).toBeGreaterThan(4.5 * Math.sqrt(2 / C));
        else expect(S[0]![0]! - Sigma[0]![0]!).toBeGreaterThan(4.5 * Math.sqrt(2 / C));
      }
      tf.dispose(init);
    });
    dispose();
  });
});
