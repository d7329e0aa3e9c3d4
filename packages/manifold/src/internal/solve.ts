// The RATTLE position solve (Newton on the Lagrange multiplier), on the host in float64.
import * as tf from '@tensorflow/tfjs-core';
import { lbfgs } from '@walkjump/tensor';
import type { ConstraintFn } from '../types.ts';
import { evalF, fround, gram, jacobianHost, readHost, rowNorms, solveDense, toTensor, withScope } from './host.ts';

/** Result of {@link solvePosition}. */
export interface PositionSolve {
  /** Solutions `[B, n]` (float32-representable values); rows not `ok` hold the last iterate. */
  readonly x: Float64Array;
  /** ‖F(x_b)‖ per row (NaN for rows that were not active). */
  readonly residual: number[];
  /** Row converged to ‖F‖ ≤ tol. */
  readonly ok: boolean[];
  /** Newton updates made (maximum over rows). */
  readonly iterations: number;
}

/**
 * Solves F(y − J0ᵀλ) = 0 for λ, row by row, where J0 = J_F(x0) is fixed (the constraint force acts
 * along the normal space at the start point, as in RATTLE; Andersen 1983, Leimkuhler & Reich 2004
 * §7.2). Newton's method on λ with the exact Jacobian −J_F(z)J0ᵀ (Zappa, Holmes-Cerfon & Goodman
 * 2018, Sec. 2.2), starting from λ = 0. Rows with `active[b]` false are skipped.
 */
export function solvePosition(
  constraintFn: ConstraintFn,
  y: Float64Array,
  J0: Float64Array,
  active: readonly boolean[],
  B: number,
  n: number,
  k: number,
  tol: number,
  maxIter: number,
): PositionSolve {
  const lambda = new Float64Array(B * k);
  const done = active.map((a) => !a);
  const ok = new Array<boolean>(B).fill(false);
  const residual = new Array<number>(B).fill(Number.NaN);
  let z = fround(y);
  let iterations = 0;
  for (;;) {
    const Fz = evalF(constraintFn, z, B, n);
    const res = rowNorms(Fz, B, k);
    for (let b = 0; b < B; b++) {
      if (done[b]) continue;
      residual[b] = res[b]!;
      if (res[b]! <= tol) {
        ok[b] = true;
        done[b] = true;
      } else if (!Number.isFinite(res[b]!)) {
        done[b] = true;
      }
    }
    if (done.every(Boolean) || iterations >= maxIter) break;
    const Jz = jacobianHost(constraintFn, z, B, n, k);
    const next = Float64Array.from(z);
    for (let b = 0; b < B; b++) {
      if (done[b]) continue;
      const r = Fz.slice(b * k, (b + 1) * k);
      if (!solveDense(gram(Jz, J0, b, k, n), r, k)) {
        done[b] = true;
        continue;
      }
      for (let i = 0; i < k; i++) lambda[b * k + i] = lambda[b * k + i]! + r[i]!;
      for (let l = 0; l < n; l++) {
        let s = 0;
        for (let i = 0; i < k; i++) s += J0[(b * k + i) * n + l]! * lambda[b * k + i]!;
        next[b * n + l] = y[b * n + l]! - s;
      }
    }
    z = fround(next);
    iterations++;
  }
  return { x: z, residual, ok, iterations };
}

/**
 * The same position equation solved as Ross et al. (2023) do, eq. 14: λ* = argmin_λ ½‖F(y − J0ᵀλ)‖²
 * by L-BFGS with a strong-Wolfe line search (Liu & Nocedal 1989; App. B.1), matrix-free in F
 * (J0ᵀλ is a batched product with the frozen normal basis). All active rows are minimized jointly
 * (the objective is a sum of independent terms); a row is `ok` when its ‖F‖ ≤ tol at the end.
 * Converges linearly where Newton converges quadratically, so it needs more iterations for the same
 * tolerance; it is here for fidelity to the paper and for comparison.
 */
export function solvePositionLbfgs(
  constraintFn: ConstraintFn,
  y: Float64Array,
  J0: Float64Array,
  active: readonly boolean[],
  B: number,
  n: number,
  k: number,
  tol: number,
  maxIter: number,
): PositionSolve {
  const rows: number[] = [];
  for (let b = 0; b < B; b++) if (active[b]) rows.push(b);
  const residual = new Array<number>(B).fill(Number.NaN);
  const ok = new Array<boolean>(B).fill(false);
  const z = fround(y);
  if (rows.length === 0) return { x: z, residual, ok, iterations: 0 };
  const A = rows.length;
  const ys = new Float64Array(A * n);
  const Js = new Float64Array(A * k * n);
  rows.forEach((b, a) => {
    ys.set(y.subarray(b * n, (b + 1) * n), a * n);
    Js.set(J0.subarray(b * k * n, (b + 1) * k * n), a * k * n);
  });
  let iterations = 0;
  const sol = withScope(() => {
    const yt = toTensor(ys, [A, n]);
    const Jt = tf.tensor3d(Float32Array.from(Js), [A, k, n]);
    const at = (lam: tf.Tensor): tf.Tensor => tf.sub(yt, tf.reshape(tf.matMul(tf.reshape(lam, [A, 1, k]), Jt), [A, n]));
    const out = lbfgs((lam) => tf.mul(0.5, tf.sum(tf.square(constraintFn(at(lam))))), tf.zeros([A, k]), {
      maxIter,
      tol: 0,
      m: 10,
    });
    iterations = out.iterations;
    return readHost(at(out.x));
  });
  const xs = fround(sol);
  const res = rowNorms(evalF(constraintFn, xs, A, n), A, k);
  rows.forEach((b, a) => {
    z.set(xs.subarray(a * n, (a + 1) * n), b * n);
    residual[b] = res[a]!;
    ok[b] = res[a]! <= tol;
  });
  return { x: z, residual, ok, iterations };
}
