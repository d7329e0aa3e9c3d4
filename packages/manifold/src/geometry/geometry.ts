import * as tf from '@tensorflow/tfjs-core';
import { assertInteger, assertNonNegative, assertPositive, assertSameShape, cg, lbfgs } from '@walkjump/tensor';
import { jvpOnly, vjpOnly } from '../internal/ad.ts';
import { solvePosition } from '../internal/solve.ts';
import {
  constraintCodim,
  evalF,
  fround,
  jacobianHost,
  projectRow,
  readHost,
  rowNorms,
  solveDense,
  gram,
  toTensor,
} from '../internal/host.ts';
import type { ConstraintFn } from '../types.ts';

/** Options of {@link tangentProject}. */
export interface TangentProjectOptions {
  /**
   * `'cg'` (default): matrix-free, conjugate gradients on u ↦ J Jᵀu built from a vjp then a jvp
   * (Ross et al. 2023, eq. 11, the "backward-forward" variant). `'exact'`: forms J_F with one reverse
   * pass over k stacked copies of the batch and solves J Jᵀ in float64 on the host — for small k.
   */
  readonly method?: 'cg' | 'exact';
  /** CG relative tolerance on ‖Jv − JJᵀu‖ (default 1e-6). */
  readonly tol?: number;
  /** CG iteration cap (default 10·k). */
  readonly maxIter?: number;
}

/** Result of {@link tangentProject}. */
export interface TangentProjectResult {
  /** The projected vectors `[B, n]`; the caller owns it. */
  readonly projected: tf.Tensor2D;
  /** CG iterations (0 for `'exact'`). */
  readonly iterations: number;
  /** Per-row residual of the solve (JJᵀ)u = Jv: CG's ‖Jv − JJᵀu‖, or 0 for `'exact'` (NaN if singular). */
  readonly residual: number[];
  /** True when every row's solve met its tolerance (exact: JJᵀ non-singular). */
  readonly converged: boolean;
}

/**
 * Orthogonal projection onto the tangent space T_xM = ker J_F(x): v − J_Fᵀ(J_F J_Fᵀ)⁻¹J_F v
 * (Ross et al. 2023, eq. 11; Brubaker, Salzmann & Urtasun 2012). `x` and `v` are `[B, n]`, rows
 * independent; `F(x)` is `[B, k]`. With `method: 'cg'` the Jacobian is never formed: each CG
 * iteration costs a vjp and a jvp (two more reverse passes). Inputs are not disposed; the caller
 * owns `projected`.
 * @public
 */
export function tangentProject(
  constraintFn: ConstraintFn,
  x: tf.Tensor,
  v: tf.Tensor,
  opts: TangentProjectOptions = {},
): TangentProjectResult {
  const fn = 'tangentProject';
  const method = opts.method ?? 'cg';
  const k = constraintCodim(fn, constraintFn, x);
  assertSameShape(fn, 'x', x, 'v', v);
  const [B, n] = x.shape as [number, number];
  const tol = opts.tol ?? 1e-6;
  assertNonNegative(fn, 'tol', tol);
  const maxIter = opts.maxIter ?? 10 * k;
  assertInteger(fn, 'maxIter', maxIter, 1);
  if (method === 'exact') {
    const J = jacobianHost(constraintFn, readHost(x), B, n, k);
    const vh = readHost(v);
    const residual = new Array<number>(B).fill(0);
    for (let b = 0; b < B; b++) if (!projectRow(J, vh, b, k, n)) residual[b] = Number.NaN;
    return {
      projected: toTensor(vh, [B, n]),
      iterations: 0,
      residual,
      converged: residual.every((r) => r === 0),
    };
  }
  if (method !== 'cg') throw new TypeError(`${fn}: 'method' must be 'cg' or 'exact', got ${String(method)}`);
  let info = { iterations: 0, residual: [] as number[], converged: false };
  const projected = tf.tidy(() => {
    const xf = tf.cast(x, 'float32');
    const b = jvpOnly(constraintFn, xf, tf.cast(v, 'float32'));
    const jjt = (w: tf.Tensor2D): tf.Tensor => tf.tidy(() => jvpOnly(constraintFn, xf, vjpOnly(constraintFn, xf, w)));
    const sol = cg(jjt, b, { tol, maxIter });
    info = { iterations: sol.iterations, residual: sol.residual, converged: sol.converged };
    const jtu = vjpOnly(constraintFn, xf, sol.x);
    return tf.sub(v, jtu) as tf.Tensor2D;
  });
  return { projected, ...info };
}

/** Options of {@link projectToManifold}. */
export interface ProjectOptions {
  /**
   * `'newton'` (default): Gauss–Newton along the normal space, x ← x − J_Fᵀ(J_F J_Fᵀ)⁻¹F(x) (the
   * minimum-norm Newton step, as in Mici's projection solvers), J formed per iteration. `'lbfgs'`:
   * L-BFGS on Σ_b ½‖F(x_b)‖² (Ross et al. 2023, Sec. 3.2 and App. B), matrix-free.
   */
  readonly method?: 'newton' | 'lbfgs';
  /** Target ‖F(x_b)‖ per row (default 1e-5). */
  readonly tol?: number;
  /** Iteration cap (default 50 for Newton, 500 for L-BFGS). */
  readonly maxIter?: number;
}

/** Result of {@link projectToManifold} and {@link nearestPoint}. */
export interface ProjectResult {
  /** Points `[B, n]`; the caller owns it. Rows that did not converge hold the last iterate. */
  readonly position: tf.Tensor2D;
  /** ‖F(x_b)‖ per row at the returned points. */
  readonly residual: number[];
  /** Per-row ‖F(x_b)‖ ≤ tol. */
  readonly rowConverged: boolean[];
  /** All rows converged. */
  readonly converged: boolean;
  /** Iterations run. */
  readonly iterations: number;
}

function newtonProject(
  constraintFn: ConstraintFn,
  x0: Float64Array,
  B: number,
  n: number,
  k: number,
  tol: number,
  maxIter: number,
): { x: Float64Array; residual: number[]; iterations: number } {
  let x = fround(x0);
  let iterations = 0;
  const frozen = new Array<boolean>(B).fill(false);
  for (;;) {
    const Fx = evalF(constraintFn, x, B, n);
    const res = rowNorms(Fx, B, k);
    for (let b = 0; b < B; b++) if (res[b]! <= tol || !Number.isFinite(res[b]!)) frozen[b] = true;
    if (frozen.every(Boolean) || iterations >= maxIter) return { x, residual: res, iterations };
    const J = jacobianHost(constraintFn, x, B, n, k);
    const next = Float64Array.from(x);
    for (let b = 0; b < B; b++) {
      if (frozen[b]) continue;
      const r = Fx.slice(b * k, (b + 1) * k);
      if (!solveDense(gram(J, J, b, k, n), r, k)) {
        frozen[b] = true;
        continue;
      }
      for (let l = 0; l < n; l++) {
        let s = 0;
        for (let i = 0; i < k; i++) s += J[(b * k + i) * n + l]! * r[i]!;
        next[b * n + l] = x[b * n + l]! - s;
      }
    }
    x = fround(next);
    iterations++;
  }
}

/**
 * Solves F(x) = 0 from `x0` (`[B, n]`), row by row — how Ross et al. (2023, Sec. 3.2) start chains:
 * random ambient points pulled onto M. Newton lands at a nearby point of M, not in general the
 * nearest one (see {@link nearestPoint}). Reports per-row residuals; never throws for
 * non-convergence. `x0` is not disposed; the caller owns `position`.
 * @public
 */
export function projectToManifold(constraintFn: ConstraintFn, x0: tf.Tensor, opts: ProjectOptions = {}): ProjectResult {
  const fn = 'projectToManifold';
  const k = constraintCodim(fn, constraintFn, x0);
  const [B, n] = x0.shape as [number, number];
  const method = opts.method ?? 'newton';
  const tol = opts.tol ?? 1e-5;
  assertPositive(fn, 'tol', tol);
  const maxIter = opts.maxIter ?? (method === 'newton' ? 50 : 500);
  assertInteger(fn, 'maxIter', maxIter, 0);
  if (method === 'newton') {
    const r = newtonProject(constraintFn, readHost(x0), B, n, k, tol, maxIter);
    const rowConverged = r.residual.map((v) => v <= tol);
    return {
      position: toTensor(r.x, [B, n]),
      residual: r.residual,
      rowConverged,
      converged: rowConverged.every(Boolean),
      iterations: r.iterations,
    };
  }
  if (method !== 'lbfgs') throw new TypeError(`${fn}: 'method' must be 'newton' or 'lbfgs', got ${String(method)}`);
  const out = lbfgs((z) => tf.mul(0.5, tf.sum(tf.square(constraintFn(z)))), x0, {
    maxIter,
    tol: tol * tol,
    m: 10,
  });
  const residual = rowNorms(evalF(constraintFn, readHost(out.x), B, n), B, k);
  const rowConverged = residual.map((v) => v <= tol);
  return {
    position: out.x as tf.Tensor2D,
    residual,
    rowConverged,
    converged: rowConverged.every(Boolean),
    iterations: out.iterations,
  };
}

/** Options of {@link nearestPoint}. */
export interface NearestPointOptions {
  /** Penalty weight λ of the warm start (default 10). */
  readonly lambda?: number;
  /** Target ‖F‖ per row, and the fixed-point tolerance on the point (default 1e-5). */
  readonly tol?: number;
  /** Cap on the L-BFGS iterations of the warm start and on the outer fixed-point iterations (default 200). */
  readonly maxIter?: number;
}

/**
 * Nearest point of M = {F = 0} to each row of `x` (`[B, n]`): the z with F(z) = 0 and
 * z = x − J_F(z)ᵀμ (the first-order conditions of min ‖z − x‖² on M). Warm start: L-BFGS (Liu &
 * Nocedal 1989) on the penalty Σ_b ½‖z_b − x_b‖² + (λ/2)‖F(z_b)‖² from z = x; then the fixed point
 * z ← {F(x − J_F(z)ᵀμ) = 0}, each solved by Newton on μ (the RATTLE projection with J frozen at
 * the current z), which converges for x within the reach of M (closer than the focal distance).
 * Rows that do not converge are reported, not thrown. `x` is not disposed; the caller owns `position`.
 * @public
 */
export function nearestPoint(constraintFn: ConstraintFn, x: tf.Tensor, opts: NearestPointOptions = {}): ProjectResult {
  const fn = 'nearestPoint';
  const k = constraintCodim(fn, constraintFn, x);
  const [B, n] = x.shape as [number, number];
  const lambda = opts.lambda ?? 10;
  assertPositive(fn, 'lambda', lambda);
  const tol = opts.tol ?? 1e-5;
  assertPositive(fn, 'tol', tol);
  const maxIter = opts.maxIter ?? 200;
  assertInteger(fn, 'maxIter', maxIter, 1);
  const warm = lbfgs(
    (z) =>
      tf.tidy(() =>
        tf.add(tf.mul(0.5, tf.sum(tf.square(tf.sub(z, x)))), tf.mul(0.5 * lambda, tf.sum(tf.square(constraintFn(z))))),
      ),
    x,
    { maxIter, tol: 1e-6 },
  );
  const xh = fround(readHost(x));
  let z = newtonProject(constraintFn, readHost(warm.x), B, n, k, tol, 50).x;
  warm.x.dispose();
  let iterations = warm.iterations;
  const moving = new Array<boolean>(B).fill(true);
  let residual: number[] = [];
  let ok: boolean[] = [];
  for (let it = 0; it < maxIter; it++) {
    const J = jacobianHost(constraintFn, z, B, n, k);
    const sol = solvePosition(constraintFn, xh, J, moving, B, n, k, tol, 50);
    iterations++;
    const next = Float64Array.from(z);
    for (let b = 0; b < B; b++) {
      if (!moving[b]) continue;
      if (!sol.ok[b]) {
        moving[b] = false;
        continue;
      }
      let d = 0;
      for (let l = 0; l < n; l++) {
        d += (sol.x[b * n + l]! - z[b * n + l]!) ** 2;
        next[b * n + l] = sol.x[b * n + l]!;
      }
      if (Math.sqrt(d) <= tol) moving[b] = false;
    }
    z = next;
    if (!moving.some(Boolean)) break;
  }
  residual = rowNorms(evalF(constraintFn, z, B, n), B, k);
  ok = residual.map((v, b) => v <= tol && !moving[b]);
  return {
    position: toTensor(z, [B, n]),
    residual,
    rowConverged: ok,
    converged: ok.every(Boolean),
    iterations,
  };
}
