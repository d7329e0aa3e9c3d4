import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors/errors.ts';
import { assertInteger, assertNonNegative, assertRank, assertShape } from '../errors/validate.ts';

/** Options of {@link cg}. */
export interface CgOptions {
  /** Initial guess `[B, n]` (default zeros). Not disposed. */
  readonly x0?: tf.Tensor;
  /** Relative tolerance: row i stops when ‖r_i‖ ≤ max(tol·‖b_i‖, atol). Default 1e-5. */
  readonly tol?: number;
  /** Absolute tolerance on the residual norm. Default 0. */
  readonly atol?: number;
  /** Iteration cap (default 10·n). */
  readonly maxIter?: number;
}

/** Result of {@link cg}. */
export interface CgResult {
  /** Solution `[B, n]`, float32; the caller owns it. */
  readonly x: tf.Tensor2D;
  /** Iterations run (the maximum over rows). */
  readonly iterations: number;
  /** Final residual norms ‖b_i − A x_i‖, one per row (recursively updated residuals). */
  readonly residual: number[];
  /** Per-row convergence flags. */
  readonly rowConverged: boolean[];
  /** True when every row met its tolerance. */
  readonly converged: boolean;
}

/**
 * Batched conjugate gradients (Hestenes & Stiefel 1952; Nocedal & Wright, *Numerical Optimization*,
 * Algorithm 5.2) for `B` independent symmetric positive-definite systems A_i x_i = b_i.
 *
 * `matvecFn` maps `[B, n] → [B, n]` and must act row-wise (row i of the output depends only on row i
 * of the input), e.g. `v ↦ J Jᵀ v` built from `jvp`/`vjp`. `b` is `[B, n]`. Each row keeps its own
 * step sizes α_i, β_i; a row that has converged (or broken down because pᵀAp ≤ 0, i.e. A_i is not
 * positive definite along p) is frozen and reported as such. In exact arithmetic a row converges in
 * at most n iterations (at most the number of distinct eigenvalues of A_i).
 *
 * Reads `B` residual norms back per iteration (the stopping test needs numbers). Every intermediate
 * tensor is disposed; the caller owns the returned `x`. Inputs are not disposed.
 */
export function cg(matvecFn: (v: tf.Tensor2D) => tf.Tensor, b: tf.Tensor, opts: CgOptions = {}): CgResult {
  const fn = 'cg';
  assertRank(fn, 'b', b, 2);
  const [B, n] = b.shape as [number, number];
  const tol = opts.tol ?? 1e-5;
  const atol = opts.atol ?? 0;
  assertNonNegative(fn, 'tol', tol);
  assertNonNegative(fn, 'atol', atol);
  const maxIter = opts.maxIter ?? Math.max(10 * n, 1);
  assertInteger(fn, 'maxIter', maxIter, 0);
  if (opts.x0 !== undefined) assertShape(fn, 'x0', opts.x0, [B, n]);

  const rowNorms = (t: tf.Tensor): Float32Array => {
    const nt = tf.tidy(() => tf.sqrt(tf.sum(tf.square(t), 1)));
    const host = nt.dataSync() as Float32Array;
    nt.dispose();
    return host;
  };
  const apply = (v: tf.Tensor2D): tf.Tensor2D => {
    const out = matvecFn(v);
    if (out.rank !== 2 || out.shape[0] !== B || out.shape[1] !== n) {
      throw new ShapeError(`${fn}: 'matvecFn' must map [${B}, ${n}] to [${B}, ${n}], got [${out.shape.join(', ')}]`);
    }
    return out as tf.Tensor2D;
  };

  const bNorm = Array.from(rowNorms(b));
  const thresh = bNorm.map((bn) => Math.max(tol * bn, atol));

  let x: tf.Tensor2D = tf.tidy(
    () => (opts.x0 === undefined ? tf.zeros([B, n]) : tf.cast(opts.x0, 'float32')) as tf.Tensor2D,
  );
  let r: tf.Tensor2D = tf.tidy(
    () => (opts.x0 === undefined ? tf.cast(b, 'float32') : tf.sub(b, apply(x))) as tf.Tensor2D,
  );
  let p: tf.Tensor2D = tf.clone(r);
  let rr: tf.Tensor1D = tf.tidy(() => tf.sum(tf.square(r), 1));

  let resid = Array.from(rowNorms(r));
  // Residual norms are read from rᵀr each iteration (one read-back of B numbers).
  const done = resid.map((rn, i) => rn <= thresh[i]!);
  const broken = new Array<boolean>(B).fill(false);
  let iterations = 0;

  try {
    while (iterations < maxIter && !done.every((d, i) => d || broken[i])) {
      const ap = apply(p);
      const pAp = tf.tidy(() => tf.sum(tf.mul(p, ap), 1));
      const pApHost = pAp.dataSync();
      for (let i = 0; i < B; i++) {
        if (!done[i] && !broken[i] && !(pApHost[i]! > 0)) broken[i] = true;
      }
      const live = tf.tensor1d(
        done.map((d, i) => (d || broken[i] ? 0 : 1)),
        'float32',
      );
      const next = tf.tidy(() => {
        // α_i = r_iᵀr_i / p_iᵀA p_i on live rows, 0 elsewhere (frozen rows keep x and r).
        const safeDen = tf.where(tf.greater(live, 0), pAp, tf.onesLike(pAp));
        const alpha = tf.reshape(tf.mul(tf.div(rr, safeDen), live), [B, 1]);
        const xn = tf.add(x, tf.mul(alpha, p)) as tf.Tensor2D;
        const rn = tf.sub(r, tf.mul(alpha, ap)) as tf.Tensor2D;
        const rrn = tf.sum(tf.square(rn), 1) as tf.Tensor1D;
        const safeRr = tf.where(tf.greater(rr, 0), rr, tf.onesLike(rr));
        const beta = tf.reshape(tf.mul(tf.div(rrn, safeRr), live), [B, 1]);
        const liveCol = tf.reshape(live, [B, 1]);
        // Frozen rows keep their p (unused, but finite).
        const pn = tf.add(tf.mul(liveCol, tf.add(rn, tf.mul(beta, p))), tf.mul(tf.sub(1, liveCol), p)) as tf.Tensor2D;
        return { xn, rn, rrn, pn };
      });
      tf.dispose([ap, pAp, live, x, r, p, rr]);
      x = next.xn;
      r = next.rn;
      p = next.pn;
      rr = next.rrn;
      iterations++;
      const rrHost = rr.dataSync();
      resid = Array.from(rrHost, (v) => Math.sqrt(v));
      for (let i = 0; i < B; i++) if (!done[i] && resid[i]! <= thresh[i]!) done[i] = true;
    }
  } catch (e) {
    tf.dispose([x, r, p, rr]);
    throw e;
  }
  tf.dispose([r, p, rr]);
  if (resid.some((v) => !Number.isFinite(v))) {
    // Keep the result but make the failure visible to callers that only read `converged`.
    for (let i = 0; i < B; i++) if (!Number.isFinite(resid[i]!)) done[i] = false;
  }
  const rowConverged = done.slice();
  return { x, iterations, residual: resid, rowConverged, converged: rowConverged.every(Boolean) };
}
