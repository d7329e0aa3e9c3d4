import * as tf from '@tensorflow/tfjs-core';
import { foldIn, key, type Key, normal } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { type Kernel, type KernelState, mala, ula } from './overdamped.ts';

type M2 = [number, number, number, number]; // row-major 2×2

const inv = ([a, b, c, d]: M2): M2 => {
  const det = a * d - b * c;
  return [d / det, -b / det, -c / det, a / det];
};

/** Stationary covariance of z' = Mz + √(2h)ε: solves V = M V Mᵀ + 2h I (vec: (I − M⊗M) v = 2h vec I). */
function lyapunov(M: M2, h: number): M2 {
  const K: number[][] = [];
  for (let i = 0; i < 2; i++)
    for (let j = 0; j < 2; j++) {
      const row: number[] = [];
      for (let k = 0; k < 2; k++)
        for (let l = 0; l < 2; l++) row.push((i === k && j === l ? 1 : 0) - M[i * 2 + k]! * M[j * 2 + l]!);
      K.push(row);
    }
  const rhs = [2 * h, 0, 0, 2 * h];
  // Gaussian elimination on the 4×4 system
  for (let c = 0; c < 4; c++) {
    let p = c;
    for (let r = c + 1; r < 4; r++) if (Math.abs(K[r]![c]!) > Math.abs(K[p]![c]!)) p = r;
    [K[c], K[p]] = [K[p]!, K[c]!];
    [rhs[c], rhs[p]] = [rhs[p]!, rhs[c]!];
    for (let r = 0; r < 4; r++) {
      if (r === c) continue;
      const f = K[r]![c]! / K[c]![c]!;
      for (let k = 0; k < 4; k++) K[r]![k]! -= f * K[c]![k]!;
      rhs[r]! -= f * rhs[c]!;
    }
  }
  return [0, 1, 2, 3].map((i) => rhs[i]! / K[i]![i]!) as M2;
}

/** Runs `steps` steps of `kernel` from `init`; returns the final positions and mean acceptance. */
function run<S extends KernelState>(kernel: Kernel<S>, k: Key, init: tf.Tensor, steps: number) {
  let s = kernel.init(init);
  let acc = 0;
  for (let t = 0; t < steps; t++) {
    const [n, info] = kernel.step(foldIn(k, t), s);
    tf.dispose(s as unknown as tf.TensorContainer);
    if (info.acceptance !== undefined) {
      const a = tf.mean(info.acceptance);
      acc += a.dataSync()[0]!;
      a.dispose();
    }
    tf.dispose(info as unknown as tf.TensorContainer);
    s = n;
  }
  const y = Array.from(s.position.dataSync());
  tf.dispose(s as unknown as tf.TensorContainer);
  return { y, acceptance: acc / steps };
}

/** Sample mean and covariance of C independent 2-D draws, with standard errors of the covariance. */
function moments(y: number[]) {
  const C = y.length / 2;
  const m = [0, 0];
  for (let i = 0; i < C; i++) for (let j = 0; j < 2; j++) m[j]! += y[2 * i + j]! / C;
  const V: M2 = [0, 0, 0, 0];
  for (let i = 0; i < C; i++)
    for (let a = 0; a < 2; a++)
      for (let b = 0; b < 2; b++) V[2 * a + b]! += ((y[2 * i + a]! - m[a]!) * (y[2 * i + b]! - m[b]!)) / (C - 1);
  return { m, V, C };
}

/** Checks mean and covariance against (mu, V) with tolerances of 4.5 Monte Carlo standard errors. */
function expectMoments(y: number[], mu: number[], V: M2) {
  const { m, V: S, C } = moments(y);
  for (let j = 0; j < 2; j++) expect(Math.abs(m[j]! - mu[j]!)).toBeLessThan(4.5 * Math.sqrt(V[3 * j]! / C));
  for (let a = 0; a < 2; a++)
    for (let b = 0; b < 2; b++) {
      // Var of a sample covariance entry for Gaussian data: (V_aa V_bb + V_ab²)/C
      const se = Math.sqrt((V[3 * a]! * V[3 * b]! + V[2 * a + b]! ** 2) / C);
      expect(Math.abs(S[2 * a + b]! - V[2 * a + b]!), `cov[${a}${b}] ${S[2 * a + b]} vs ${V[2 * a + b]}`).toBeLessThan(
        4.5 * se,
      );
    }
}

const targets: { name: string; mu: number[]; Sigma: M2 }[] = [
  { name: 'diagonal', mu: [1, -0.5], Sigma: [1, 0, 0, 0.5] },
  { name: 'correlated', mu: [1, -0.5], Sigma: [1, 0.6, 0.6, 0.8] },
];

const gaussian = (mu: number[], Sigma: M2) => {
  const P = inv(Sigma);
  const Pt = tf.tensor2d([P[0], P[1], P[2], P[3]], [2, 2]);
  const m = tf.tensor1d(mu);
  const score = (y: tf.Tensor) => tf.tidy(() => tf.neg(tf.matMul(tf.sub(y, m) as tf.Tensor2D, Pt)));
  const energy = (y: tf.Tensor) =>
    tf.tidy(() => {
      const z = tf.sub(y, m);
      return tf.mul(0.5, tf.sum(tf.mul(tf.matMul(z as tf.Tensor2D, Pt), z), 1));
    });
  return { P, score, energy, dispose: () => tf.dispose([Pt, m]) };
};

const C = 8000;
const h = 0.3; // drift coefficient: δ = √(2h) in eq. 42

describe('overdamped Langevin on 2-D Gaussians', () => {
  for (const { name, mu, Sigma } of targets) {
    it(`ULA's stationary law is N(μ, V) with V the discrete Lyapunov solution — O(h) biased (${name})`, async () => {
      await expectNoLeak(() => {
        const g = gaussian(mu, Sigma);
        const init = tf.zeros([C, 2]);
        const { y } = run(ula({ score: g.score }, { stepSize: Math.sqrt(2 * h) }), key(1), init, 150);
        const M: M2 = [1 - h * g.P[0], -h * g.P[1], -h * g.P[2], 1 - h * g.P[3]];
        const V = lyapunov(M, h);
        expectMoments(y, mu, V);
        // the bias is real: the target's own covariance is rejected on the widest-bias entry
        const { V: S } = moments(y);
        const worst = V[3]! - Sigma[3]!;
        expect(Math.abs(S[3]! - Sigma[3]!)).toBeGreaterThan(0.5 * worst);
        tf.dispose(init);
        g.dispose();
      });
    });

    it(`MALA is exact: stationary N(μ, Σ) (${name})`, async () => {
      await expectNoLeak(() => {
        const g = gaussian(mu, Sigma);
        const init = tf.zeros([C, 2]);
        const { y, acceptance } = run(mala({ energy: g.energy }, { stepSize: Math.sqrt(2 * h) }), key(2), init, 150);
        expect(acceptance).toBeGreaterThan(0.3);
        expect(acceptance).toBeLessThan(1);
        expectMoments(y, mu, Sigma);
        tf.dispose(init);
        g.dispose();
      });
    });
  }

  it('the two parameterizations are the same chain: ε_eq5 = δ_eq42²/2; { energy } equals { score }', async () => {
    await expectNoLeak(() => {
      const g = gaussian([0, 0], [1, 0.3, 0.3, 2]);
      const init = normal(key(5), [16, 2]);
      const a = run(ula({ score: g.score }, { stepSize: 0.4 }), key(3), init, 20).y;
      const b = run(ula({ score: g.score }, { stepSize: 0.08, parameterization: 'saremi2019' }), key(3), init, 20).y;
      const c = run(ula({ energy: g.energy }, { stepSize: 0.4 }), key(3), init, 20).y;
      for (let i = 0; i < a.length; i++) {
        expect(b[i]).toBeCloseTo(a[i]!, 5);
        expect(c[i]).toBeCloseTo(a[i]!, 4);
      }
      tf.dispose(init);
      g.dispose();
    });
  });
});
