import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError } from '../errors/errors.ts';
import { assertInteger, assertNonNegative, assertPositive } from '../errors/validate.ts';

/** φ(α) and φ'(α) of a line search, plus whatever the evaluation wants cached (e.g. the gradient). */
export interface LineSearchPoint<T = unknown> {
  readonly value: number;
  readonly slope: number;
  readonly payload: T;
}

/** Options of {@link strongWolfeLineSearch}. */
export interface StrongWolfeOptions {
  /** Sufficient-decrease constant c₁ (default 1e-4). */
  readonly c1?: number;
  /** Curvature constant c₂, c₁ < c₂ < 1 (default 0.9). */
  readonly c2?: number;
  /** First trial step α₁ (default 1). */
  readonly initialStep?: number;
  /** Largest step α_max (default 1e10). */
  readonly maxStep?: number;
  /** Cap on function evaluations (default 25). */
  readonly maxEvals?: number;
}

/** Result of {@link strongWolfeLineSearch}. `ok` is false when no strong-Wolfe step was found. */
export interface LineSearchResult<T = unknown> {
  readonly ok: boolean;
  readonly step: number;
  readonly point: LineSearchPoint<T> | undefined;
  readonly evaluations: number;
}

/**
 * Minimizer of the cubic interpolating (a, fa, dfa) and (b, fb, dfb) (Nocedal & Wright eq. 3.59),
 * or undefined when it does not exist or is not finite.
 */
function cubicMin(a: number, fa: number, dfa: number, b: number, fb: number, dfb: number): number | undefined {
  const d1 = dfa + dfb - (3 * (fa - fb)) / (a - b);
  const disc = d1 * d1 - dfa * dfb;
  if (!(disc >= 0)) return undefined;
  const d2 = Math.sign(b - a) * Math.sqrt(disc);
  const t = b - (b - a) * ((dfb + d2 - d1) / (dfb - dfa + 2 * d2));
  return Number.isFinite(t) ? t : undefined;
}

/**
 * Line search for a step α > 0 satisfying the strong Wolfe conditions
 * φ(α) ≤ φ(0) + c₁ α φ'(0) and |φ'(α)| ≤ c₂ |φ'(0)| — Nocedal & Wright, *Numerical Optimization*
 * (2nd ed.), Algorithm 3.5 (bracketing) with Algorithm 3.6 (`zoom`), trial steps chosen by safeguarded
 * cubic interpolation (eq. 3.59) with bisection as fallback. A non-finite φ(α) is treated as a
 * too-long step. Works on plain numbers; `evaluate(α)` returns φ, φ' and a payload (for L-BFGS, the
 * gradient at the trial point) handed back with the accepted step.
 */
export function strongWolfeLineSearch<T>(
  evaluate: (alpha: number) => LineSearchPoint<T>,
  phi0: number,
  dphi0: number,
  opts: StrongWolfeOptions = {},
): LineSearchResult<T> {
  const fn = 'strongWolfeLineSearch';
  const c1 = opts.c1 ?? 1e-4;
  const c2 = opts.c2 ?? 0.9;
  if (!(c1 > 0 && c1 < c2 && c2 < 1)) {
    throw new ValueError(`${fn}: constants must satisfy 0 < c1 < c2 < 1, got c1 = ${c1}, c2 = ${c2}`);
  }
  if (!(dphi0 < 0)) throw new ValueError(`${fn}: 'dphi0' must be negative (a descent direction), got ${dphi0}`);
  const maxStep = opts.maxStep ?? 1e10;
  const maxEvals = opts.maxEvals ?? 25;
  let evals = 0;
  const fail = (): LineSearchResult<T> => ({ ok: false, step: 0, point: undefined, evaluations: evals });
  const armijo = (a: number, p: LineSearchPoint<T>): boolean =>
    Number.isFinite(p.value) && p.value <= phi0 + c1 * a * dphi0;
  const curvature = (p: LineSearchPoint<T>): boolean => Math.abs(p.slope) <= -c2 * dphi0;

  // Algorithm 3.6: lo satisfies sufficient decrease with the lowest φ so far; [lo, hi] brackets a step.
  const zoom = (
    lo: number,
    plo: LineSearchPoint<T>,
    hi: number,
    phi: LineSearchPoint<T> | undefined,
  ): LineSearchResult<T> => {
    while (evals < maxEvals) {
      const width = hi - lo;
      let a: number | undefined;
      if (phi !== undefined && Number.isFinite(phi.value) && Number.isFinite(phi.slope)) {
        a = cubicMin(lo, plo.value, plo.slope, hi, phi.value, phi.slope);
      }
      // Safeguard: stay inside the middle 80% of the bracket, else bisect.
      const lower = Math.min(lo, hi) + 0.1 * Math.abs(width);
      const upper = Math.max(lo, hi) - 0.1 * Math.abs(width);
      if (a === undefined || !(a >= lower && a <= upper)) a = lo + 0.5 * width;
      if (Math.abs(width) <= 1e-16 * Math.max(1, Math.abs(lo))) return fail();
      const p = evaluate(a);
      evals++;
      if (!armijo(a, p) || p.value >= plo.value) {
        hi = a;
        phi = p;
      } else {
        if (curvature(p)) return { ok: true, step: a, point: p, evaluations: evals };
        if (p.slope * (hi - lo) >= 0) {
          hi = lo;
          phi = plo;
        }
        lo = a;
        plo = p;
      }
    }
    return fail();
  };

  // Algorithm 3.5.
  const p0: LineSearchPoint<T> = { value: phi0, slope: dphi0, payload: undefined as T };
  let prevA = 0;
  let prev = p0;
  let a = Math.min(opts.initialStep ?? 1, maxStep);
  for (let i = 1; evals < maxEvals; i++) {
    const p = evaluate(a);
    evals++;
    if (!armijo(a, p) || (i > 1 && p.value >= prev.value)) return zoom(prevA, prev, a, p);
    if (curvature(p)) return { ok: true, step: a, point: p, evaluations: evals };
    if (p.slope >= 0) return zoom(a, p, prevA, prev);
    if (a >= maxStep) return fail();
    prevA = a;
    prev = p;
    a = Math.min(2 * a, maxStep);
  }
  return fail();
}

/** Options of {@link lbfgs}. */
export interface LbfgsOptions {
  /** History size m (default 10). */
  readonly m?: number;
  /** Iteration cap (default 200). */
  readonly maxIter?: number;
  /** Stop when ‖∇f‖₂ ≤ tol (default 1e-6). */
  readonly tol?: number;
  /** Stop when the decrease of f over one iteration is ≤ ftol·max(|f|, 1) (default 0: off). */
  readonly ftol?: number;
  /** Line search constants (defaults c₁ = 1e-4, c₂ = 0.9, 25 evaluations per search). */
  readonly lineSearch?: Omit<StrongWolfeOptions, 'initialStep'>;
}

/** One accepted iteration of {@link lbfgs}: the line search's φ(0), φ'(0), α, φ(α), φ'(α). */
export interface LbfgsStep {
  readonly iteration: number;
  readonly step: number;
  readonly phi0: number;
  readonly dphi0: number;
  readonly phi: number;
  readonly dphi: number;
  readonly gradNorm: number;
}

/** Result of {@link lbfgs}. */
export interface LbfgsResult {
  /** Minimizer, same shape as `x0`, float32; the caller owns it. */
  readonly x: tf.Tensor;
  /** f at `x`. */
  readonly value: number;
  /** ‖∇f(x)‖₂. */
  readonly gradNorm: number;
  readonly iterations: number;
  /** Evaluations of f and ∇f (one each per evaluation). */
  readonly evaluations: number;
  readonly converged: boolean;
  /** Why it stopped. */
  readonly reason: 'gradient' | 'ftol' | 'maxIter' | 'lineSearch';
  /** Every accepted step (what the strong Wolfe conditions hold on). */
  readonly steps: LbfgsStep[];
}

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/**
 * Limited-memory BFGS (Liu & Nocedal 1989; Nocedal & Wright, Algorithm 7.4 two-loop recursion with
 * Algorithm 7.5's H₀ = (sᵀy / yᵀy) I), with the strong-Wolfe line search of Algorithms 3.5–3.6
 * ({@link strongWolfeLineSearch}). Minimizes a scalar function `f` of one tensor of any shape.
 *
 * `f` and its gradient are evaluated by tfjs (float32); the iterate, the curvature pairs and the
 * two-loop recursion are kept in float64 on the host, so every evaluation reads the value and the
 * gradient back. Curvature pairs with sᵀy ≤ 1e-10·yᵀy are skipped (keeps H positive definite). The
 * first step is 1/‖g‖ (a unit-length move). Because f is computed in float32, the Armijo test can
 * only see decreases above ≈ ε₃₂·|f|, so ‖∇f‖ cannot be driven much below √(ε₃₂·|f|·λ_max(∇²f));
 * below that the line search fails and `reason` is `'lineSearch'` (write f with f* ≈ 0 where
 * possible). Returns the minimizer (the caller owns it) and diagnostics; `x0` is not disposed.
 */
export function lbfgs(f: (x: tf.Tensor) => tf.Tensor, x0: tf.Tensor, opts: LbfgsOptions = {}): LbfgsResult {
  const fn = 'lbfgs';
  const m = opts.m ?? 10;
  const maxIter = opts.maxIter ?? 200;
  const tol = opts.tol ?? 1e-6;
  const ftol = opts.ftol ?? 0;
  assertInteger(fn, 'm', m, 1);
  assertInteger(fn, 'maxIter', maxIter, 0);
  assertNonNegative(fn, 'tol', tol);
  assertNonNegative(fn, 'ftol', ftol);
  if (x0.dtype !== 'float32') throw new ShapeError(`${fn}: 'x0' must have dtype float32, got ${x0.dtype}`);
  const shape = x0.shape;
  const n = x0.size;
  const ls = opts.lineSearch ?? {};
  if (ls.maxEvals !== undefined) assertInteger(fn, 'lineSearch.maxEvals', ls.maxEvals, 1);
  if (ls.maxStep !== undefined) assertPositive(fn, 'lineSearch.maxStep', ls.maxStep);

  const vg = tf.valueAndGrad((z: tf.Tensor) => {
    const y = f(z);
    if (y.rank !== 0) throw new ShapeError(`${fn}: 'f' must return a scalar, got shape [${y.shape.join(', ')}]`);
    return y as tf.Scalar;
  });
  let evaluations = 0;
  const evalAt = (x: Float64Array): { value: number; grad: Float64Array } => {
    evaluations++;
    const out = tf.tidy(() => {
      const { value, grad } = vg(tf.tensor(Float32Array.from(x), shape));
      return tf.concat([tf.reshape(value, [1]), tf.reshape(grad, [n])]);
    });
    const host = out.dataSync();
    out.dispose();
    return { value: host[0]!, grad: Float64Array.from(host.subarray(1)) };
  };

  const x = Float64Array.from(x0.dataSync());
  let { value, grad: g } = evalAt(x);
  let gnorm = Math.sqrt(dot(g, g));
  if (!Number.isFinite(value) || !Number.isFinite(gnorm)) {
    throw new ValueError(`${fn}: f or its gradient is not finite at 'x0' (f = ${value}, |g| = ${gnorm})`);
  }
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const steps: LbfgsStep[] = [];
  let reason: LbfgsResult['reason'] = 'maxIter';
  let iterations = 0;
  const d = new Float64Array(n);
  const alphas = new Float64Array(m);

  while (true) {
    if (gnorm <= tol) {
      reason = 'gradient';
      break;
    }
    if (iterations >= maxIter) break;
    // Algorithm 7.4: d = −H g.
    d.set(g);
    const k = S.length;
    for (let i = k - 1; i >= 0; i--) {
      const a = rho[i]! * dot(S[i]!, d);
      alphas[i] = a;
      const y = Y[i]!;
      for (let j = 0; j < n; j++) d[j] = d[j]! - a * y[j]!;
    }
    const gamma = k > 0 ? dot(S[k - 1]!, Y[k - 1]!) / dot(Y[k - 1]!, Y[k - 1]!) : 1;
    for (let j = 0; j < n; j++) d[j] = d[j]! * gamma;
    for (let i = 0; i < k; i++) {
      const beta = rho[i]! * dot(Y[i]!, d);
      const s = S[i]!;
      const c = alphas[i]! - beta;
      for (let j = 0; j < n; j++) d[j] = d[j]! + c * s[j]!;
    }
    for (let j = 0; j < n; j++) d[j] = -d[j]!;
    let dphi0 = dot(g, d);
    if (!(dphi0 < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      for (let j = 0; j < n; j++) d[j] = -g[j]!;
      dphi0 = -gnorm * gnorm;
    }
    const initialStep = S.length === 0 ? Math.min(1, 1 / gnorm) : 1;
    const xt = new Float64Array(n);
    const res = strongWolfeLineSearch(
      (alpha) => {
        for (let j = 0; j < n; j++) xt[j] = x[j]! + alpha * d[j]!;
        const e = evalAt(xt);
        return { value: e.value, slope: dot(e.grad, d), payload: e.grad };
      },
      value,
      dphi0,
      { ...ls, initialStep },
    );
    if (!res.ok || res.point === undefined) {
      reason = 'lineSearch';
      break;
    }
    iterations++;
    const gNew = res.point.payload;
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      s[j] = res.step * d[j]!;
      x[j] = x[j]! + s[j]!;
      y[j] = gNew[j]! - g[j]!;
    }
    const prevValue = value;
    value = res.point.value;
    g = gNew;
    gnorm = Math.sqrt(dot(g, g));
    steps.push({
      iteration: iterations,
      step: res.step,
      phi0: prevValue,
      dphi0,
      phi: value,
      dphi: res.point.slope,
      gradNorm: gnorm,
    });
    const sy = dot(s, y);
    const yy = dot(y, y);
    if (sy > 1e-10 * yy) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    if (ftol > 0 && prevValue - value <= ftol * Math.max(Math.abs(value), 1)) {
      reason = gnorm <= tol ? 'gradient' : 'ftol';
      break;
    }
  }
  const xOut = tf.tensor(Float32Array.from(x), shape);
  return {
    x: xOut,
    value,
    gradNorm: gnorm,
    iterations,
    evaluations,
    converged: reason === 'gradient' || reason === 'ftol',
    reason,
    steps,
  };
}
