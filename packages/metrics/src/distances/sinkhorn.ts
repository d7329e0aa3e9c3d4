import { ValueError, assertInteger, assertPositive } from '@walkjump/tensor';
import { type GroundCost, type Points, type Values, costMatrix, toPoints, toWeights } from '../internal/points.ts';

/** Options of {@link sinkhorn} and {@link sinkhornDivergence}. */
export interface SinkhornOptions {
  /** Entropic regularization ε > 0 (in units of the cost). Default 0.05. */
  readonly epsilon?: number;
  readonly weightsA?: Values;
  readonly weightsB?: Values;
  /** Ground cost: 'sqeuclidean' ‖x−y‖² (default, as POT's `ot.dist`), 'euclidean', or an [n, m] matrix. */
  readonly cost?: GroundCost;
  /** Iteration limit (default 10 000). One iteration updates both potentials. */
  readonly maxIterations?: number;
  /** Stop when the L1 violation of the `a` marginal falls below this (default 1e-9), checked every 10 iterations. */
  readonly tolerance?: number;
}

/** Result of {@link sinkhorn}. */
export interface SinkhornResult {
  /** ⟨P, C⟩: the transport cost of the entropic plan (what POT's `ot.sinkhorn2` returns). */
  readonly cost: number;
  /** ⟨P, C⟩ + ε KL(P ‖ a⊗b) = ⟨f, a⟩ + ⟨g, b⟩ at convergence: the entropic OT value OT_ε. */
  readonly objective: number;
  /** Dual potentials f [n], g [m] (KL-to-a⊗b convention): P_ij = a_i b_j exp((f_i + g_j − C_ij)/ε). */
  readonly f: Float64Array;
  readonly g: Float64Array;
  readonly iterations: number;
  /** L1 violation of the `a` marginal at exit (the `b` marginal holds exactly). */
  readonly marginalError: number;
  readonly converged: boolean;
}

function logSumExpRows(
  C: Float64Array,
  n: number,
  m: number,
  eps: number,
  other: Float64Array,
  logw: Float64Array,
  out: Float64Array,
  transpose: boolean,
): void {
  // out_i = −ε log Σ_j w_j exp((other_j − C_ij)/ε), stabilized by the row max.
  const rows = transpose ? m : n;
  const cols = transpose ? n : m;
  const tmp = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    let mx = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < cols; c++) {
      const cij = transpose ? (C[c * m + r] as number) : (C[r * m + c] as number);
      const v = ((other[c] as number) - cij) / eps + (logw[c] as number);
      tmp[c] = v;
      if (v > mx) mx = v;
    }
    let s = 0;
    for (let c = 0; c < cols; c++) s += Math.exp((tmp[c] as number) - mx);
    out[r] = -eps * (mx + Math.log(s));
  }
}

/** Core log-domain Sinkhorn on a cost matrix, float64. */
export function sinkhornCore(
  wa: Float64Array,
  wb: Float64Array,
  C: Float64Array,
  eps: number,
  maxIterations: number,
  tolerance: number,
): SinkhornResult {
  const n = wa.length;
  const m = wb.length;
  const la = Float64Array.from(wa, (v) => (v > 0 ? Math.log(v) : Number.NEGATIVE_INFINITY));
  const lb = Float64Array.from(wb, (v) => (v > 0 ? Math.log(v) : Number.NEGATIVE_INFINITY));
  const f = new Float64Array(n);
  const g = new Float64Array(m);
  let it = 0;
  let err = Number.POSITIVE_INFINITY;
  // g is updated last, so the b marginal holds exactly; the a marginal measures convergence.
  const marginalErr = (): number => {
    let e = 0;
    for (let i = 0; i < n; i++) {
      const ai = wa[i] as number;
      if (ai === 0) continue;
      let row = 0;
      for (let j = 0; j < m; j++) {
        row += (wb[j] as number) * Math.exp(((f[i] as number) + (g[j] as number) - (C[i * m + j] as number)) / eps);
      }
      e += Math.abs(ai * row - ai);
    }
    return e;
  };
  // ε-scaling warm start (Schmitzer 2019, Sec. 3.2; Feydy 2020): a few iterations at ε_k = max C · 2^{−k} ≥ ε, so
  // the potentials are near their fixed point before the slow small-ε phase. It changes the start, not the limit.
  let maxC = 0;
  for (let e = 0; e < C.length; e++) maxC = Math.max(maxC, Math.abs(C[e] as number));
  for (let epsK = maxC; epsK > eps; epsK /= 2) {
    for (let k = 0; k < 5; k++) {
      logSumExpRows(C, n, m, epsK, g, lb, f, false);
      logSumExpRows(C, n, m, epsK, f, la, g, true);
    }
  }
  while (it < maxIterations) {
    logSumExpRows(C, n, m, eps, g, lb, f, false);
    logSumExpRows(C, n, m, eps, f, la, g, true);
    it++;
    if (it % 10 === 0) {
      err = marginalErr();
      if (err < tolerance) break;
    }
  }
  if (it % 10 !== 0) err = marginalErr();
  let cost = 0;
  let objective = 0;
  for (let i = 0; i < n; i++) {
    const ai = wa[i] as number;
    if (ai === 0) continue;
    objective += ai * (f[i] as number);
    for (let j = 0; j < m; j++) {
      const cij = C[i * m + j] as number;
      cost += ai * (wb[j] as number) * Math.exp(((f[i] as number) + (g[j] as number) - cij) / eps) * cij;
    }
  }
  for (let j = 0; j < m; j++) if ((wb[j] as number) > 0) objective += (wb[j] as number) * (g[j] as number);
  return { cost, objective, f, g, iterations: it, marginalError: err, converged: err < tolerance };
}

/**
 * OT_ε(a, a) by the symmetric fixed point f ← ½ (f + T_a(f)) (Feydy et al. 2019, Sec. 3.1, the debiasing
 * potential), which converges in a few dozen iterations where plain Sinkhorn on (a, a) needs thousands. Returns
 * 2 ⟨f, a⟩ (the value at the fixed point).
 */
function symmetricObjective(
  wa: Float64Array,
  C: Float64Array,
  eps: number,
  maxIterations: number,
  tolerance: number,
): number {
  const n = wa.length;
  const la = Float64Array.from(wa, (v) => (v > 0 ? Math.log(v) : Number.NEGATIVE_INFINITY));
  const f = new Float64Array(n);
  const t = new Float64Array(n);
  for (let it = 0; it < maxIterations; it++) {
    logSumExpRows(C, n, n, eps, f, la, t, false);
    let change = 0;
    for (let i = 0; i < n; i++) {
      const nf = 0.5 * ((f[i] as number) + (t[i] as number));
      change = Math.max(change, Math.abs(nf - (f[i] as number)));
      f[i] = nf;
    }
    if (change < tolerance * eps) break;
  }
  let obj = 0;
  for (let i = 0; i < n; i++) if ((wa[i] as number) > 0) obj += 2 * (wa[i] as number) * (f[i] as number);
  return obj;
}

function readOpts(fn: string, opts: SinkhornOptions): { eps: number; maxIt: number; tol: number } {
  const eps = opts.epsilon ?? 0.05;
  assertPositive(fn, 'epsilon', eps);
  const maxIt = opts.maxIterations ?? 10_000;
  assertInteger(fn, 'maxIterations', maxIt);
  const tol = opts.tolerance ?? 1e-9;
  assertPositive(fn, 'tolerance', tol);
  return { eps, maxIt, tol };
}

/**
 * Entropy-regularized optimal transport between weighted clouds `a` [n, d] and `b` [m, d] by Sinkhorn's
 * iterations in the log domain (Cuturi 2013; Peyré & Cuturi 2019, Sec. 4.4, eq. 4.43: soft-min updates of the dual
 * potentials f, g), stable for small ε because no kernel exp(−C/ε) is ever formed. Minimizes
 * ⟨P, C⟩ + ε KL(P ‖ a⊗b); returns both ⟨P, C⟩ (`cost`, matching POT's `ot.sinkhorn2`) and the regularized value
 * (`objective`). Iterations run in float64 JavaScript arrays, O(nm) per iteration.
 */
export function sinkhorn(a: Points, b: Points, opts: SinkhornOptions = {}): SinkhornResult {
  const fn = 'sinkhorn';
  const { eps, maxIt, tol } = readOpts(fn, opts);
  const A = toPoints(fn, 'a', a);
  const B = toPoints(fn, 'b', b, { d: A.d });
  const wa = toWeights(fn, 'weightsA', opts.weightsA, A.n);
  const wb = toWeights(fn, 'weightsB', opts.weightsB, B.n);
  return sinkhornCore(wa, wb, costMatrix(fn, A, B, opts.cost ?? 'sqeuclidean'), eps, maxIt, tol);
}

/**
 * Debiased Sinkhorn divergence S_ε(α, β) = OT_ε(α, β) − ½ OT_ε(α, α) − ½ OT_ε(β, β), with OT_ε the regularized
 * value ⟨P, C⟩ + ε KL(P ‖ α⊗β) (the self terms by the symmetric fixed point of Feydy et al., Sec. 3.1) (Genevay, Peyré & Cuturi 2018; Feydy et al. 2019, eq. 4). Non-negative, zero iff
 * α = β, and it interpolates between OT (ε → 0) and MMD (ε → ∞). `a` [n, d], `b` [m, d]; a number, computed in
 * float64 JavaScript arrays. `cost` may only be 'euclidean' or 'sqeuclidean' (three cost matrices are needed).
 */
export function sinkhornDivergence(a: Points, b: Points, opts: SinkhornOptions = {}): number {
  const fn = 'sinkhornDivergence';
  const { eps, maxIt, tol } = readOpts(fn, opts);
  const A = toPoints(fn, 'a', a);
  const B = toPoints(fn, 'b', b, { d: A.d });
  const wa = toWeights(fn, 'weightsA', opts.weightsA, A.n);
  const wb = toWeights(fn, 'weightsB', opts.weightsB, B.n);
  const cost = opts.cost ?? 'sqeuclidean';
  if (cost !== 'sqeuclidean' && cost !== 'euclidean') {
    throw new ValueError(`${fn}: 'cost' must be 'euclidean' or 'sqeuclidean'`);
  }
  const ab = sinkhornCore(wa, wb, costMatrix(fn, A, B, cost), eps, maxIt, tol).objective;
  const aa = symmetricObjective(wa, costMatrix(fn, A, A, cost), eps, maxIt, tol);
  const bb = symmetricObjective(wb, costMatrix(fn, B, B, cost), eps, maxIt, tol);
  return ab - 0.5 * (aa + bb);
}
