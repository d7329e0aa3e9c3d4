// The RATTLE position solve (Newton on the Lagrange multiplier), on the host in float64.
import type { ConstraintFn } from '../types.ts';
import { evalF, fround, gram, jacobianHost, rowNorms, solveDense } from './host.ts';

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
