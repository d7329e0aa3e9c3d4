import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { ellipsoid, so3, sphere, torus } from '../analytic/analytic.ts';
import { nearestPoint, projectToManifold, tangentProject } from './geometry.ts';

// Deterministic pseudo-random numbers for test data (independent of the library's PRNG).
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

/** A tiny tanh MLP F(x) = W2 tanh(W1 x + b1) + b2: Rⁿ → R^k, raw tf ops, plus its float64 Jacobian. */
function tinyMlp(n: number, h: number, k: number, seed: number) {
  const r = lcg(seed);
  const W1 = Array.from({ length: h * n }, () => 2 * r());
  const b1 = Array.from({ length: h }, () => r());
  const W2 = Array.from({ length: k * h }, () => 2 * r());
  const b2 = Array.from({ length: k }, () => r());
  const fn = (x: tf.Tensor): tf.Tensor =>
    tf.tidy(() => {
      const a = tf.tanh(tf.add(tf.matMul(x, tf.tensor2d(W1, [h, n]), false, true), tf.tensor1d(b1)));
      return tf.add(tf.matMul(a, tf.tensor2d(W2, [k, h]), false, true), tf.tensor1d(b2));
    });
  const jac = (x: number[]): number[][] => {
    const t = Array.from({ length: h }, (_, j) =>
      Math.tanh(b1[j]! + x.reduce((s, xi, i) => s + W1[j * n + i]! * xi, 0)),
    );
    return Array.from({ length: k }, (_, a) =>
      Array.from({ length: n }, (_, i) =>
        t.reduce((s, tj, j) => s + W2[a * h + j]! * (1 - tj * tj) * W1[j * n + i]!, 0),
      ),
    );
  };
  return { fn, jac };
}

/** v − Jᵀ(JJᵀ)⁻¹Jv in float64 with an explicit Jacobian (Gauss–Jordan on the k×k system). */
function explicitProject(J: number[][], v: number[]): number[] {
  const k = J.length;
  const A = J.map((a) => J.map((b) => a.reduce((s, ai, i) => s + ai * b[i]!, 0)));
  const rhs = J.map((a) => a.reduce((s, ai, i) => s + ai * v[i]!, 0));
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < k; i++) {
      if (i === c) continue;
      const f = A[i]![c]! / A[c]![c]!;
      for (let j = 0; j < k; j++) A[i]![j]! -= f * A[c]![j]!;
      rhs[i]! -= f * rhs[c]!;
    }
  }
  const u = rhs.map((ri, i) => ri / A[i]![i]!);
  return v.map((vi, l) => vi - J.reduce((s, row, i) => s + row[l]! * u[i]!, 0));
}

describe('tangentProject', () => {
  for (const method of ['cg', 'exact'] as const) {
    it(`${method}: agrees with the explicit-Jacobian formula on random MLP constraints to 1e-5`, async () => {
      await expectNoLeak(() => {
        for (const [n, k, seed] of [
          [5, 2, 1],
          [8, 3, 2],
          [6, 1, 3],
        ] as const) {
          const { fn, jac } = tinyMlp(n, 7, k, seed);
          const r = lcg(100 + seed);
          const B = 4;
          const xs = Array.from({ length: B }, () => Array.from({ length: n }, () => r()));
          const vs = Array.from({ length: B }, () => Array.from({ length: n }, () => 2 * r()));
          const x = tf.tensor2d(xs);
          const v = tf.tensor2d(vs);
          const res = tangentProject(fn, x, v, { method, tol: 1e-7 });
          const got = res.projected.arraySync();
          expect(res.converged).toBe(true);
          let err = 0;
          let normal = 0;
          for (let b = 0; b < B; b++) {
            const want = explicitProject(jac(xs[b]!), vs[b]!);
            for (let l = 0; l < n; l++) err = Math.max(err, Math.abs(got[b]![l]! - want[l]!));
            // The projection is really tangent: J v' ≈ 0.
            for (const row of jac(xs[b]!))
              normal = Math.max(normal, Math.abs(row.reduce((s, a, l) => s + a * got[b]![l]!, 0)));
          }
          expect(err).toBeLessThan(1e-5);
          expect(normal).toBeLessThan(1e-5);
          tf.dispose([x, v, res.projected]);
        }
      });
    });
  }

  it('reports CG iterations (at most k in exact arithmetic) and rejects bad shapes', async () => {
    await expectNoLeak(() => {
      const { fn } = tinyMlp(5, 7, 3, 9);
      const x = tf.tensor2d([[0.1, 0.2, -0.3, 0.4, 0.0]]);
      const v = tf.tensor2d([[1, 0, 0, 0, 0]]);
      const res = tangentProject(fn, x, v, { method: 'cg', tol: 1e-6 });
      expect(res.iterations).toBeGreaterThan(0);
      expect(res.iterations).toBeLessThanOrEqual(5);
      res.projected.dispose();
      const bad = tf.tensor2d([[1, 0, 0]]);
      expect(() => tangentProject(fn, x, bad)).toThrow(/same shape/);
      expect(() => tangentProject((z) => tf.sum(z, 1), x, v)).toThrow(/\[1, k\]/);
      tf.dispose([x, v, bad]);
    });
  });
});

describe('projectToManifold', () => {
  it('newton: lands radially on the sphere (x/‖x‖) to tolerance', async () => {
    await expectNoLeak(() => {
      const S = sphere(3);
      const x0 = tf.tensor2d([
        [0.3, -2, 1],
        [0.01, 0.02, -0.05],
        [5, 5, 5],
      ]);
      const res = projectToManifold(S.constraintFn, x0, { tol: 1e-6 });
      expect(res.converged).toBe(true);
      expect(Math.max(...res.residual)).toBeLessThanOrEqual(1e-6);
      const got = res.position.arraySync();
      const xs = x0.arraySync();
      for (let b = 0; b < 3; b++) {
        const nrm = Math.hypot(...xs[b]!);
        for (let l = 0; l < 3; l++) expect(got[b]![l]!).toBeCloseTo(xs[b]![l]! / nrm, 5);
      }
      tf.dispose([x0, res.position]);
    });
  });

  it('newton and lbfgs reach ‖F‖ ≤ tol on the torus and on O(3)', async () => {
    await expectNoLeak(() => {
      const T = torus({ R: 1, r: 0.4 });
      const x0 = tf.tensor2d([
        [1.2, 0.3, 0.2],
        [-0.5, 0.9, -0.1],
        [0.2, -1.6, 0.5],
      ]);
      for (const method of ['newton', 'lbfgs'] as const) {
        const res = projectToManifold(T.constraintFn, x0, { method, tol: 1e-5 });
        expect(res.rowConverged).toEqual([true, true, true]);
        expect(res.iterations).toBeGreaterThan(0);
        res.position.dispose();
      }
      const O = so3();
      const r0 = tf.tensor2d([[1.1, 0.1, -0.2, 0.05, 0.9, 0.1, 0.2, -0.1, 1.05]]);
      const res = projectToManifold(O.constraintFn, r0, { tol: 1e-6 });
      expect(res.converged).toBe(true);
      const R = res.position.arraySync()[0]!;
      // Orthonormal columns.
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++) {
          const d = R[i]! * R[j]! + R[3 + i]! * R[3 + j]! + R[6 + i]! * R[6 + j]!;
          expect(d).toBeCloseTo(i === j ? 1 : 0, 5);
        }
      tf.dispose([x0, r0, res.position]);
    });
  });

  it('reports (does not throw) rows that cannot converge in maxIter', async () => {
    await expectNoLeak(() => {
      const E = ellipsoid([3, 1, 0.2]);
      const x0 = tf.tensor2d([[10, 10, 10]]);
      const res = projectToManifold(E.constraintFn, x0, { maxIter: 1, tol: 1e-8 });
      expect(res.converged).toBe(false);
      expect(res.residual[0]!).toBeGreaterThan(1e-8);
      res.position.dispose();
      x0.dispose();
    });
  });
});

describe('nearestPoint', () => {
  it('finds the nearest point of the torus (closed form in the (ρ, z) plane)', async () => {
    await expectNoLeak(() => {
      const R = 1;
      const r = 0.4;
      const T = torus({ R, r });
      const pts = [
        [1.5, 0.2, 0.3],
        [0.3, -0.9, -0.5],
        [-0.2, 0.7, 0.1],
      ];
      const x = tf.tensor2d(pts);
      const res = nearestPoint(T.constraintFn, x, { lambda: 10 });
      expect(res.converged).toBe(true);
      const got = res.position.arraySync();
      for (let b = 0; b < pts.length; b++) {
        const [px, py, pz] = pts[b] as [number, number, number];
        const rho = Math.hypot(px, py);
        const d = Math.hypot(rho - R, pz);
        const rhoN = R + (r * (rho - R)) / d;
        const want = [(px * rhoN) / rho, (py * rhoN) / rho, (r * pz) / d];
        for (let l = 0; l < 3; l++) expect(Math.abs(got[b]![l]! - want[l]!)).toBeLessThan(1e-4);
      }
      tf.dispose([x, res.position]);
    });
  });
});
