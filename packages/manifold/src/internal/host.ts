// Host-side (float64) helpers: forming the Jacobian of a constraint, small dense solves.
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError, vjp } from '@walkjump/tensor';
import type { ConstraintFn } from '../types.ts';

/** Rounds a float64 array to float32 values (what a tensor will hold). */
export const fround = (a: Float64Array): Float64Array => Float64Array.from(Float32Array.from(a));

export const toTensor = (a: Float64Array, shape: [number, number]): tf.Tensor2D =>
  tf.tensor2d(Float32Array.from(a), shape, 'float32');

export const readHost = (t: tf.Tensor): Float64Array => Float64Array.from(t.dataSync());

/**
 * Checks that `x` is `[B, n]` float and that `F(x)` is `[B, k]` with 1 ≤ k < n; returns k.
 * Evaluates F once (inside a tidy).
 */
export function constraintCodim(fn: string, constraintFn: ConstraintFn, x: tf.Tensor): number {
  if (x.rank !== 2) {
    throw new ShapeError(`${fn}: 'position' must have shape [B, n] (rank 2), got [${x.shape.join(', ')}]`);
  }
  const [B, n] = x.shape as [number, number];
  const shape = withScope(() => constraintFn(x).shape);
  if (shape.length !== 2 || shape[0] !== B) {
    throw new ShapeError(`${fn}: 'constraintFn' must map [${B}, ${n}] to [${B}, k], got [${shape.join(', ')}]`);
  }
  const k = shape[1] as number;
  if (!(k >= 1 && k < n)) {
    throw new ShapeError(
      `${fn}: 'constraintFn' must have 1 <= k < n outputs per point (n = ${n}), got k = ${k} (shape [${shape.join(', ')}])`,
    );
  }
  return k;
}

/** F(x) on the host, `[B·k]` row-major. */
export function evalF(constraintFn: ConstraintFn, x: Float64Array, B: number, n: number): Float64Array {
  return withScope(() => readHost(constraintFn(toTensor(x, [B, n]))));
}

/** Per-row Euclidean norms of a `[B, k]` host matrix. */
export function rowNorms(a: Float64Array, B: number, k: number): number[] {
  const out = new Array<number>(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let i = 0; i < k; i++) s += a[b * k + i]! ** 2;
    out[b] = Math.sqrt(s);
  }
  return out;
}

/**
 * The Jacobian J_F(x), `[B, k, n]` row-major on the host, by ONE reverse pass on k stacked copies
 * of the batch (rows are independent, so copy i with cotangent e_i gives row i of every J).
 */
export function jacobianHost(
  constraintFn: ConstraintFn,
  x: Float64Array,
  B: number,
  n: number,
  k: number,
): Float64Array {
  const g = withScope(() => {
    const xt = toTensor(x, [B, n]);
    const xr = tf.tile(xt, [k, 1]);
    const uh = new Float32Array(k * B * k);
    for (let r = 0; r < k * B; r++) uh[r * k + Math.floor(r / B)] = 1;
    const u = tf.tensor2d(uh, [k * B, k]);
    const [fx, jt] = vjp(constraintFn, xr, u);
    fx.dispose();
    return readHost(jt);
  });
  const J = new Float64Array(B * k * n);
  for (let i = 0; i < k; i++) {
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < n; j++) J[(b * k + i) * n + j] = g[(i * B + b) * n + j]!;
    }
  }
  return J;
}

/** Solves the dense k×k system A z = r in place by Gaussian elimination with partial pivoting; false if singular. */
export function solveDense(A: Float64Array, r: Float64Array, k: number): boolean {
  let scale = 0;
  for (let i = 0; i < k * k; i++) scale = Math.max(scale, Math.abs(A[i]!));
  if (!(scale > 0) || !Number.isFinite(scale)) return false;
  for (let c = 0; c < k; c++) {
    let piv = c;
    for (let i = c + 1; i < k; i++) if (Math.abs(A[i * k + c]!) > Math.abs(A[piv * k + c]!)) piv = i;
    if (!(Math.abs(A[piv * k + c]!) > 1e-12 * scale)) return false;
    if (piv !== c) {
      for (let j = 0; j < k; j++) {
        const t = A[c * k + j]!;
        A[c * k + j] = A[piv * k + j]!;
        A[piv * k + j] = t;
      }
      const t = r[c]!;
      r[c] = r[piv]!;
      r[piv] = t;
    }
    for (let i = c + 1; i < k; i++) {
      const f = A[i * k + c]! / A[c * k + c]!;
      if (f === 0) continue;
      for (let j = c; j < k; j++) A[i * k + j] = A[i * k + j]! - f * A[c * k + j]!;
      r[i] = r[i]! - f * r[c]!;
    }
  }
  for (let i = k - 1; i >= 0; i--) {
    let s = r[i]!;
    for (let j = i + 1; j < k; j++) s -= A[i * k + j]! * r[j]!;
    r[i] = s / A[i * k + i]!;
  }
  return r.every(Number.isFinite);
}

/** A Bᵀ for the k×n blocks of rows b of `JA` and `JB` (each `[B, k, n]`): a k×k matrix. */
export function gram(JA: Float64Array, JB: Float64Array, b: number, k: number, n: number): Float64Array {
  const G = new Float64Array(k * k);
  const o = b * k * n;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let l = 0; l < n; l++) s += JA[o + i * n + l]! * JB[o + j * n + l]!;
      G[i * k + j] = s;
    }
  }
  return G;
}

/**
 * Orthogonal projection of row b of v onto ker J(x_b): v − Jᵀ(JJᵀ)⁻¹J v, in place on `v` (`[B, n]`).
 * Returns false (leaving v unchanged) when JJᵀ is singular.
 */
export function projectRow(J: Float64Array, v: Float64Array, b: number, k: number, n: number): boolean {
  const o = b * k * n;
  const r = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let l = 0; l < n; l++) s += J[o + i * n + l]! * v[b * n + l]!;
    r[i] = s;
  }
  if (!solveDense(gram(J, J, b, k, n), r, k)) return false;
  for (let l = 0; l < n; l++) {
    let s = 0;
    for (let i = 0; i < k; i++) s += J[o + i * n + l]! * r[i]!;
    v[b * n + l] = v[b * n + l]! - s;
  }
  return true;
}

/** Throws a ValueError naming the worst chain when some row of F(x) exceeds `tol`. */
export function assertOnManifold(fn: string, residual: number[], tol: number): void {
  let worst = -1;
  for (let b = 0; b < residual.length; b++) {
    if (!(residual[b]! <= tol) && (worst < 0 || !(residual[b]! <= residual[worst]!))) worst = b;
  }
  if (worst >= 0) {
    throw new ValueError(
      `${fn}: 'position' must lie on the manifold (‖F(x)‖ <= tol = ${tol}), got ‖F(x)‖ = ${residual[worst]} at row ${worst}; project it first with projectToManifold`,
    );
  }
}

/** Runs `f` in a tfjs scope that frees every tensor it made; for functions returning host values. */
export function withScope<T>(f: () => T): T {
  tf.engine().startScope();
  try {
    return f();
  } finally {
    tf.engine().endScope();
  }
}
