import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeak, relError } from '@walkjump/testing';
import {
  cg,
  isValueError,
  isShapeError,
  lbfgs,
  logSigmoid,
  logSumExp,
  softplus,
  sqrtmPsd,
  strongWolfeLineSearch,
  swish,
  symmetricEig,
} from '../index.ts';

/** A random SPD matrix Q diag(eigs) Qᵀ in float64 (Q from Gram–Schmidt of a fixed pseudo-random matrix). */
function spd(eigs: number[], seed: number): Float64Array {
  const n = eigs.length;
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  };
  const Q: number[][] = [];
  for (let k = 0; k < n; k++) {
    const v = Array.from({ length: n }, rnd);
    for (const q of Q) {
      const d = v.reduce((acc, x, i) => acc + x * q[i]!, 0);
      for (let i = 0; i < n; i++) v[i] = v[i]! - d * q[i]!;
    }
    const nv = Math.hypot(...v);
    Q.push(v.map((x) => x / nv));
  }
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += Q[k]![i]! * eigs[k]! * Q[k]![j]!;
      A[i * n + j] = acc;
    }
  return A;
}

const matvecHost = (A: Float64Array, n: number, x: ArrayLike<number>): Float64Array => {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let j = 0; j < n; j++) acc += A[i * n + j]! * (x[j] as number);
    out[i] = acc;
  }
  return out;
};

describe('cg', () => {
  it('solves a batch of SPD systems; 3 distinct eigenvalues → ≤ 3 iterations, n = 8 → ≤ n', async () => {
    await expectNoLeak(() => {
      const n = 8;
      const A1 = spd([1, 1, 1, 2, 2, 2, 5, 5], 7); // 3 distinct eigenvalues
      const A2 = spd([1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5], 11);
      const xTrue = [
        Float64Array.from({ length: n }, (_, i) => i - 3),
        Float64Array.from({ length: n }, (_, i) => Math.cos(i)),
      ];
      const b = tf.tensor2d([Array.from(matvecHost(A1, n, xTrue[0]!)), Array.from(matvecHost(A2, n, xTrue[1]!))]);
      const Abatch = tf.tensor3d(
        [Array.from(A1), Array.from(A2)].map((a) => Array.from({ length: n }, (_, i) => a.slice(i * n, i * n + n))),
      );
      const matvec = (v: tf.Tensor2D) => tf.tidy(() => tf.squeeze(tf.matMul(Abatch, tf.expandDims(v, 2)), [2]));
      // The first system alone converges in ≤ 3 iterations (3 distinct eigenvalues).
      const b1 = tf.slice(b, [0, 0], [1, n]) as tf.Tensor2D;
      const A1t = tf.slice(Abatch, [0, 0, 0], [1, n, n]);
      const r1 = cg((v) => tf.tidy(() => tf.squeeze(tf.matMul(A1t, tf.expandDims(v, 2)), [2])), b1, { tol: 1e-5 });
      expect(r1.converged).toBe(true);
      expect(r1.iterations).toBeLessThanOrEqual(3);
      expect(relError(r1.x.dataSync(), xTrue[0]!)).toBeLessThan(1e-4);
      const res = cg(matvec, b, { tol: 1e-5 });
      expect(res.converged).toBe(true);
      expect(res.iterations).toBeLessThanOrEqual(n);
      expect(res.residual).toHaveLength(2);
      const xs = res.x.arraySync();
      expect(relError(xs[0]!, xTrue[0]!)).toBeLessThan(1e-4);
      expect(relError(xs[1]!, xTrue[1]!)).toBeLessThan(1e-4);
      tf.dispose([b, Abatch, b1, A1t, r1.x, res.x]);
    });
  });

  it('respects x0 (exact start → 0 iterations), zero rows, and validates shapes', async () => {
    await expectNoLeak(() => {
      const A = tf.tensor2d([
        [2, 0],
        [0, 4],
      ]);
      const matvec = (v: tf.Tensor2D) => tf.matMul(v, A);
      const b = tf.tensor2d([
        [2, 4],
        [0, 0],
      ]);
      const x0 = tf.tensor2d([
        [1, 1],
        [0, 0],
      ]);
      const r = cg(matvec, b, { x0 });
      expect(r.iterations).toBe(0);
      expect(r.converged).toBe(true);
      expect(Array.from(r.x.dataSync())).toEqual([1, 1, 0, 0]);
      const r2 = cg(matvec, b, { tol: 1e-6 });
      expect(relError(r2.x.dataSync(), [1, 1, 0, 0])).toBeLessThan(1e-6);
      expect(r2.iterations).toBe(2); // two distinct eigenvalues; the zero row is done at once
      expect(r2.rowConverged).toEqual([true, true]);
      const bad1 = tf.ones([2]);
      const bad2 = tf.reshape(A, [4, 1]);
      expect(() => cg(matvec, bad1)).toThrow(/cg: 'b' must have rank 2/);
      expect(() => cg(matvec, b, { x0: bad2 })).toThrow(/'x0' must have shape \[2, 2\]/);
      tf.dispose([A, b, x0, r.x, r2.x, bad1, bad2]);
    });
  });

  it('reports breakdown on an indefinite row without throwing', async () => {
    await expectNoLeak(() => {
      const A = tf.tensor2d([
        [-1, 0],
        [0, -1],
      ]);
      const b = tf.tensor2d([[1, 1]]);
      const r = cg((v) => tf.matMul(v, A), b);
      expect(r.converged).toBe(false);
      expect(r.rowConverged).toEqual([false]);
      tf.dispose([A, b, r.x]);
    });
  });
});

describe('lbfgs', () => {
  it('minimizes an SPD quadratic to 1e-6', async () => {
    await expectNoLeak(() => {
      const n = 6;
      const Ah = spd([1, 2, 3, 4, 5, 10], 3);
      const xStar = Float64Array.from({ length: n }, (_, i) => 0.5 * i - 1);
      const A = tf.tensor2d(Array.from(Ah), [n, n]);
      const xs = tf.tensor1d(Array.from(xStar));
      // f(x) = ½ (x − x*)ᵀA(x − x*), written with f* = 0 so float32 rounding of f does not hide the
      // last digits of the decrease (with f* ≈ −30, float32 noise in f caps ‖g‖ near 4e-3).
      const f = (x: tf.Tensor) => {
        const e = tf.sub(x, xs);
        return tf.mul(0.5, tf.sum(tf.mul(e, tf.reshape(tf.matMul(A, tf.reshape(e, [n, 1])), [n]))));
      };
      const x0 = tf.zeros([n]);
      const r = lbfgs(f, x0, { tol: 1e-6, maxIter: 100 });
      expect(r.converged).toBe(true);
      expect(r.reason).toBe('gradient');
      expect(relError(r.x.dataSync(), xStar)).toBeLessThan(1e-6);
      expect(r.gradNorm).toBeLessThanOrEqual(1e-6);
      expect(r.evaluations).toBeGreaterThan(r.iterations);
      tf.dispose([A, xs, x0, r.x]);
    });
  });

  it('finds (1, 1) on Rosenbrock from (−1.2, 1), every step strong-Wolfe', async () => {
    await expectNoLeak(() => {
      const f = (x: tf.Tensor) => {
        const [a, c] = tf.unstack(x);
        return tf.add(tf.mul(100, tf.square(tf.sub(c!, tf.square(a!)))), tf.square(tf.sub(1, a!)));
      };
      const x0 = tf.tensor1d([-1.2, 1]);
      const r = lbfgs(f, x0, { tol: 1e-4, maxIter: 200 });
      const [a, c] = Array.from(r.x.dataSync());
      expect(Math.abs(a! - 1)).toBeLessThan(1e-4);
      expect(Math.abs(c! - 1)).toBeLessThan(2e-4);
      expect(r.value).toBeLessThan(1e-8);
      expect(r.iterations).toBeLessThan(60);
      const c1 = 1e-4;
      const c2 = 0.9;
      expect(r.steps.length).toBe(r.iterations);
      for (const s of r.steps) {
        expect(s.dphi0).toBeLessThan(0);
        expect(s.phi).toBeLessThanOrEqual(s.phi0 + c1 * s.step * s.dphi0);
        expect(Math.abs(s.dphi)).toBeLessThanOrEqual(c2 * Math.abs(s.dphi0));
      }
      tf.dispose([x0, r.x]);
    });
  });

  it('validates its inputs', () => {
    const x0 = tf.zeros([2]);
    expect(() => lbfgs((x) => x, x0)).toThrow(/lbfgs: 'f' must return a scalar, got shape \[2\]/);
    expect(() => lbfgs((x) => tf.sum(x), x0, { m: 0 })).toThrow(/lbfgs: 'm' must be an integer >= 1, got 0/);
    x0.dispose();
  });
});

describe('strongWolfeLineSearch', () => {
  it('returns a strong-Wolfe step on a 1-D function where α = 1 overshoots', () => {
    // φ(α) = (α − 0.3)⁴ − 0.3⁴... use φ(α) = (α−0.2)² on [0, ∞): φ'(0) = −0.4.
    const phi = (a: number) => ({ value: (a - 0.2) ** 2, slope: 2 * (a - 0.2), payload: a });
    const r = strongWolfeLineSearch(phi, 0.04, -0.4, { c1: 1e-4, c2: 0.1 });
    expect(r.ok).toBe(true);
    expect(r.point!.value).toBeLessThanOrEqual(0.04 + 1e-4 * r.step * -0.4);
    expect(Math.abs(r.point!.slope)).toBeLessThanOrEqual(0.1 * 0.4);
    // Cubic interpolation of a quadratic is exact: the zoom lands on 0.2.
    expect(r.step).toBeCloseTo(0.2, 12);
    expect(() => strongWolfeLineSearch(phi, 0, 1)).toThrow(/'dphi0' must be negative/);
  });

  it('expands when the first step is too short', () => {
    const phi = (a: number) => ({ value: (a - 10) ** 2, slope: 2 * (a - 10), payload: null });
    const r = strongWolfeLineSearch(phi, 100, -20, { initialStep: 1, c2: 0.5 });
    expect(r.ok).toBe(true);
    expect(Math.abs(r.point!.slope)).toBeLessThanOrEqual(0.5 * 20);
    expect(r.step).toBeGreaterThan(5);
  });
});

describe('stable functions', () => {
  it('logSumExp matches log Σ exp, handles large values and −∞ rows', async () => {
    await expectNoLeak(() => {
      const x = tf.tensor2d([
        [1, 2, 3],
        [1000, 1000, 1000],
        [-Infinity, -Infinity, -Infinity],
      ]);
      const lse = logSumExp(x);
      const r = Array.from(lse.dataSync());
      expect(r[0]).toBeCloseTo(Math.log(Math.E + Math.E ** 2 + Math.E ** 3), 5);
      expect(r[1]).toBeCloseTo(1000 + Math.log(3), 3);
      expect(r[2]).toBe(-Infinity);
      const k = logSumExp(x, 0, true);
      expect(k.shape).toEqual([1, 3]);
      expect(() => logSumExp(x, 2)).toThrow(/logSumExp: 'axis' must index a dimension of a rank-2 tensor, got 2/);
      // Gradient is the softmax.
      const z0 = tf.tensor1d([0, Math.log(3)]);
      const g = tf.grad((z: tf.Tensor) => tf.sum(logSumExp(z)))(z0);
      expect(Array.from(g.dataSync()).map((v) => Number(v.toFixed(6)))).toEqual([0.25, 0.75]);
      tf.dispose([x, lse, k, g, z0]);
    });
  });

  it('softplus / logSigmoid / swish agree with closed forms and stay finite', async () => {
    await expectNoLeak(() => {
      const xs = [-200, -20, -1, 0, 1, 20, 200];
      const x = tf.tensor1d(xs);
      const spT = softplus(x);
      const sp = Array.from(spT.dataSync());
      spT.dispose();
      const want = xs.map((v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))));
      for (let i = 0; i < xs.length; i++)
        expect(Math.abs(sp[i]! - want[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want[i]!)) + 1e-40);
      // log(1 + e^{−20}) ≈ 2.06e-9 survives (a naive log(1 + eˣ) in float32 returns 0).
      expect(sp[1]).toBeCloseTo(Math.exp(-20), 12);
      const lsT = logSigmoid(x);
      const ls = Array.from(lsT.dataSync());
      lsT.dispose();
      expect(ls[6]).toBeCloseTo(0, 6);
      expect(ls[0]).toBeCloseTo(-200, 3);
      const swT = swish(x);
      const sw = Array.from(swT.dataSync());
      swT.dispose();
      xs.forEach((v, i) => {
        expect(sw[i]!).toBeCloseTo(v / (1 + Math.exp(-v)), 4);
      });
      const g = tf.grad((z: tf.Tensor) => tf.sum(softplus(z)))(x);
      Array.from(g.dataSync()).forEach((v, i) => {
        expect(v).toBeCloseTo(1 / (1 + Math.exp(-xs[i]!)), 6);
      });
      tf.dispose([x, g]);
    });
  });
});

describe('symmetricEig / sqrtmPsd', () => {
  it('2×2 closed form', () => {
    const { values, vectors } = symmetricEig([2, 1, 1, 2], 2);
    expect(values[0]).toBeCloseTo(1, 14);
    expect(values[1]).toBeCloseTo(3, 14);
    expect(Math.abs(vectors[0]! * vectors[1]! + vectors[2]! * vectors[3]!)).toBeLessThan(1e-15);
    expect(Math.abs(Math.abs(vectors[1]!) - Math.SQRT1_2)).toBeLessThan(1e-15);
  });

  it('recovers the spectrum of Q diag(λ) Qᵀ (n = 40) and reconstructs A', () => {
    const n = 40;
    const eigs = Array.from({ length: n }, (_, i) => (i - 10) * 0.37);
    const A = spd(eigs, 5);
    const { values, vectors } = symmetricEig(A, n);
    expect(
      relError(
        values,
        eigs.slice().sort((a, b) => a - b),
      ),
    ).toBeLessThan(1e-13);
    const rec = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++)
        for (let k = 0; k < n; k++) rec[i * n + j]! += vectors[i * n + k]! * values[k]! * vectors[j * n + k]!;
    expect(relError(rec, A)).toBeLessThan(1e-13);
  });

  it('sqrtmPsd: S² = A, closed forms, and PSD check', () => {
    const s = sqrtmPsd([4, 0, 0, 9], 2);
    expect(Array.from(s)).toEqual([2, 0, 0, 3]);
    // [[5,4],[4,5]] = V diag(1, 9) Vᵀ → sqrt = [[2,1],[1,2]].
    const t = sqrtmPsd([5, 4, 4, 5], 2);
    expect(relError(t, [2, 1, 1, 2])).toBeLessThan(1e-14);
    const n = 30;
    const A = spd(
      Array.from({ length: n }, (_, i) => (i === 0 ? 0 : i * 0.5)),
      9,
    );
    const S = sqrtmPsd(A, n);
    const S2 = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) S2[i * n + j]! += S[i * n + k]! * S[k * n + j]!;
    expect(relError(S2, A)).toBeLessThan(1e-12);
    try {
      sqrtmPsd([1, 0, 0, -1], 2);
      expect.unreachable();
    } catch (e) {
      expect(isValueError(e)).toBe(true);
      expect(String(e)).toMatch(/sqrtmPsd: 'a' must be positive semi-definite, got eigenvalue -1/);
    }
    expect(() => symmetricEig([1, 2, 3], 2)).toThrow(/must hold n·n = 4 entries/);
    expect(
      isShapeError(
        (() => {
          try {
            symmetricEig([1, 2, 3], 2);
          } catch (e) {
            return e;
          }
        })(),
      ),
    ).toBe(true);
    expect(() => symmetricEig([1, 2, 0, 1], 2)).toThrow(/must be symmetric/);
  });
});
