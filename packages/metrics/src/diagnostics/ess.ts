import { ValueError, assertInteger, assertPositive } from '@walkjump/tensor';
import { type Chains, autocovariance, autocovariances, averageRanks, normalQuantile, toChains } from './chains.ts';

/**
 * Normalized autocorrelation ρ_t = γ_t / γ_0 of one chain [n], t = 0 … maxLag (default n − 1), with γ the biased
 * (divisor n) autocovariance computed by zero-padded FFT in float64 (Geyer 1992; as emcee's `function_1d`).
 */
export function autocorrelation(chain: Chains, opts: { readonly maxLag?: number } = {}): Float64Array {
  const fn = 'autocorrelation';
  const rows = toChains(fn, 'chain', chain, 2);
  if (rows.length !== 1) throw new ValueError(`${fn}: 'chain' must be a single chain, got ${rows.length}`);
  const x = rows[0] as Float64Array;
  const maxLag = opts.maxLag ?? x.length - 1;
  assertInteger(fn, 'maxLag', maxLag, 0);
  const g = autocovariance(x);
  const g0 = g[0] as number;
  if (!(g0 > 0)) throw new ValueError(`${fn}: 'chain' is constant; its autocorrelation is undefined`);
  const L = Math.min(maxLag, x.length - 1);
  return Float64Array.from(g.subarray(0, L + 1), (v) => v / g0);
}

const splitChains = (rows: readonly Float64Array[]): Float64Array[] => {
  const n = (rows[0] as Float64Array).length;
  const half = Math.floor(n / 2);
  return [...rows.map((r) => r.slice(0, half)), ...rows.map((r) => r.slice(n - half))];
};

const flatten = (rows: readonly Float64Array[]): Float64Array => {
  const n = (rows[0] as Float64Array).length;
  const out = new Float64Array(rows.length * n);
  rows.forEach((r, i) => {
    out.set(r, i * n);
  });
  return out;
};

const zScale = (rows: readonly Float64Array[]): Float64Array[] => {
  const n = (rows[0] as Float64Array).length;
  const flat = flatten(rows);
  const r = averageRanks(flat);
  const size = flat.length;
  const z = Float64Array.from(r, (v) => normalQuantile((v - 0.375) / (size + 0.25)));
  return rows.map((_, i) => z.subarray(i * n, (i + 1) * n));
};

const quantile = (sorted: Float64Array, q: number): number => {
  // NumPy's default 'linear' method (Hyndman & Fan type 7).
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return (sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
};

/**
 * ESS of M chains × N draws by Geyer's initial positive then initial monotone sequence on the multi-chain
 * autocorrelation ρ̂_t = 1 − (W − mean_m γ̂_{m,t}) / var̂⁺ (Vehtari et al. 2021, eqs. 10–11; Stan, ArviZ `_ess`),
 * including ArviZ's floor τ̂ ≥ 1/log₁₀(MN). float64.
 */
function essCore(rows: readonly Float64Array[]): number {
  const M = rows.length;
  const N = (rows[0] as Float64Array).length;
  let mn = Number.POSITIVE_INFINITY;
  let mx = Number.NEGATIVE_INFINITY;
  for (const r of rows) {
    for (const v of r) {
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
  }
  if (mx - mn < 1e-15) return M * N;
  const acov = autocovariances(rows);
  const means = rows.map((r) => r.reduce((s, v) => s + v, 0) / N);
  const meanAcov = (t: number): number => acov.reduce((s, a) => s + (a[t] as number), 0) / M;
  const meanVar = (meanAcov(0) * N) / (N - 1);
  let varPlus = (meanVar * (N - 1)) / N;
  if (M > 1) {
    const mm = means.reduce((s, v) => s + v, 0) / M;
    varPlus += means.reduce((s, v) => s + (v - mm) ** 2, 0) / (M - 1);
  }
  const rho = new Float64Array(N);
  let rhoEven = 1;
  rho[0] = rhoEven;
  let rhoOdd = N > 1 ? 1 - (meanVar - meanAcov(1)) / varPlus : 0;
  rho[1] = rhoOdd;
  let t = 1;
  while (t < N - 3 && rhoEven + rhoOdd > 0) {
    rhoEven = 1 - (meanVar - meanAcov(t + 1)) / varPlus;
    rhoOdd = 1 - (meanVar - meanAcov(t + 2)) / varPlus;
    if (rhoEven + rhoOdd >= 0) {
      rho[t + 1] = rhoEven;
      rho[t + 2] = rhoOdd;
    }
    t += 2;
  }
  const maxT = t - 2;
  if (rhoEven > 0) rho[maxT + 1] = rhoEven;
  t = 1;
  while (t <= maxT - 2) {
    if ((rho[t + 1] as number) + (rho[t + 2] as number) > (rho[t - 1] as number) + (rho[t] as number)) {
      rho[t + 1] = ((rho[t - 1] as number) + (rho[t] as number)) / 2;
      rho[t + 2] = rho[t + 1] as number;
    }
    t += 2;
  }
  let s = 0;
  for (let q = 0; q <= maxT; q++) s += rho[q] as number;
  let tau = -1 + 2 * s + (maxT + 1 < N ? (rho[maxT + 1] as number) : 0);
  const total = M * N;
  tau = Math.max(tau, 1 / Math.log10(total));
  return total / tau;
}

const rhatCore = (rows: readonly Float64Array[]): number => {
  const M = rows.length;
  const N = (rows[0] as Float64Array).length;
  const means = rows.map((r) => r.reduce((s, v) => s + v, 0) / N);
  const vars = rows.map((r, i) => r.reduce((s, v) => s + (v - (means[i] as number)) ** 2, 0) / (N - 1));
  const mm = means.reduce((s, v) => s + v, 0) / M;
  const B = (N * means.reduce((s, v) => s + (v - mm) ** 2, 0)) / (M - 1);
  const W = vars.reduce((s, v) => s + v, 0) / M;
  return Math.sqrt((B / W + N - 1) / N);
};

/**
 * Bulk effective sample size (Vehtari, Gelman, Simpson, Carpenter & Bürkner 2021, Sec. 3.2): the ESS of the
 * rank-normalized split chains z = Φ⁻¹((r − 3/8)/(S + 1/4)), as Stan and ArviZ (`ess(method="bulk")`) compute it.
 * `chains`: one chain [N] or [M, N]; returns a number. Computed in float64 JavaScript arrays (FFT autocovariances).
 */
export function essBulk(chains: Chains): number {
  const rows = toChains('essBulk', 'chains', chains);
  return essCore(zScale(splitChains(rows)));
}

/**
 * Tail effective sample size (Vehtari et al. 2021, Sec. 3.2): the minimum of the split-chain ESS of the indicators
 * I(θ ≤ q₀.₀₅) and I(θ ≤ q₀.₉₅) (quantiles by NumPy's linear rule), as ArviZ `ess(method="tail")`. `prob` changes
 * the two quantiles. `chains`: [N] or [M, N]; float64.
 */
export function essTail(chains: Chains, opts: { readonly prob?: readonly [number, number] } = {}): number {
  const fn = 'essTail';
  const rows = toChains(fn, 'chains', chains);
  const [p1, p2] = opts.prob ?? [0.05, 0.95];
  for (const p of [p1, p2])
    if (!(p > 0 && p < 1)) throw new ValueError(`${fn}: 'prob' entries must lie in (0, 1), got ${p}`);
  const sorted = flatten(rows).sort();
  const ind = (q: number): number =>
    essCore(splitChains(rows.map((r) => Float64Array.from(r, (v) => (v <= q ? 1 : 0)))));
  return Math.min(ind(quantile(sorted, p1)), ind(quantile(sorted, p2)));
}

/** Split-chain ESS of the mean without rank normalization (ArviZ `ess(method="mean")`); float64. */
export function essMean(chains: Chains): number {
  return essCore(splitChains(toChains('essMean', 'chains', chains)));
}

/**
 * Rank-normalized split R̂ (Vehtari et al. 2021, Sec. 3.1): the larger of R̂ on the rank-normalized split chains
 * (bulk) and on the rank-normalized folded split chains |θ − median θ| (tail), R̂ = √((N−1)/N + B/(N W)) —
 * ArviZ `rhat(method="rank")`. ≈ 1 for mixed chains; > 1.01 signals non-convergence. `chains` [M, N] (one chain is
 * split in two); float64.
 */
export function rhat(chains: Chains): number {
  const rows = toChains('rhat', 'chains', chains);
  const bulk = rhatCore(zScale(splitChains(rows)));
  const sorted = flatten(rows).sort();
  const med = quantile(sorted, 0.5);
  const folded = rows.map((r) => Float64Array.from(r, (v) => Math.abs(v - med)));
  const tail = rhatCore(zScale(splitChains(folded)));
  return Math.max(bulk, tail);
}

/**
 * Monte Carlo standard error of the posterior mean: sd / √ESS_mean, with sd the standard deviation (divisor
 * S − 1) of all draws and ESS_mean from {@link essMean} (Vehtari et al. 2021, Sec. 4; ArviZ `mcse(method="mean")`).
 */
export function mcse(chains: Chains): number {
  const rows = toChains('mcse', 'chains', chains);
  const flat = flatten(rows);
  const mean = flat.reduce((s, v) => s + v, 0) / flat.length;
  const sd = Math.sqrt(flat.reduce((s, v) => s + (v - mean) ** 2, 0) / (flat.length - 1));
  return sd / Math.sqrt(essCore(splitChains(rows)));
}

/** Options of {@link integratedAutocorrTime}. */
export interface IatOptions {
  /**
   * 'geyer' (default): τ = MN / ESS with Geyer's initial monotone sequence on the unsplit chains ({@link essMean}'s
   * estimator without splitting). 'sokal': Sokal's automatic window, the smallest M ≥ c τ̂(M) (emcee's
   * `integrated_time`; the autocorrelation is averaged over chains first).
   */
  readonly method?: 'geyer' | 'sokal';
  /** Sokal window constant c (default 5). */
  readonly c?: number;
}

/**
 * Integrated autocorrelation time τ = 1 + 2 Σ_{t≥1} ρ_t of one chain [N] or several [M, N] (Sokal 1997; Geyer
 * 1992): the factor by which correlation inflates the variance of the mean, so ESS = MN/τ. For an AR(1) chain with
 * coefficient ρ, τ = (1 + ρ)/(1 − ρ). FFT autocorrelations in float64 JavaScript arrays.
 */
export function integratedAutocorrTime(chains: Chains, opts: IatOptions = {}): number {
  const fn = 'integratedAutocorrTime';
  const rows = toChains(fn, 'chains', chains);
  const method = opts.method ?? 'geyer';
  if (method === 'geyer') {
    const N = (rows[0] as Float64Array).length;
    return (rows.length * N) / essCore(rows);
  }
  if (method !== 'sokal')
    throw new ValueError(`${fn}: 'method' must be 'geyer' or 'sokal', got ${JSON.stringify(method)}`);
  const c = opts.c ?? 5;
  assertPositive(fn, 'c', c);
  const N = (rows[0] as Float64Array).length;
  const f = new Float64Array(N);
  for (const g of autocovariances(rows)) {
    const g0 = g[0] as number;
    if (!(g0 > 0)) throw new ValueError(`${fn}: a chain is constant; its autocorrelation time is undefined`);
    for (let t = 0; t < N; t++) f[t] = (f[t] as number) + (g[t] as number) / g0 / rows.length;
  }
  let cum = 0;
  for (let t = 0; t < N; t++) {
    cum += f[t] as number;
    const tau = 2 * cum - 1;
    if (!(t < c * tau)) return tau;
  }
  return 2 * cum - 1;
}

/** ESS per second of wall-clock time: `ess / seconds` (seconds > 0). */
export function essPerSecond(ess: number, seconds: number): number {
  assertPositive('essPerSecond', 'seconds', seconds);
  if (!(ess >= 0)) throw new ValueError(`essPerSecond: 'ess' must be a non-negative number, got ${ess}`);
  return ess / seconds;
}

/** ESS per gradient evaluation: `ess / gradientEvaluations` (the fair cost unit across samplers). */
export function essPerGradient(ess: number, gradientEvaluations: number): number {
  assertPositive('essPerGradient', 'gradientEvaluations', gradientEvaluations);
  if (!(ess >= 0)) throw new ValueError(`essPerGradient: 'ess' must be a non-negative number, got ${ess}`);
  return ess / gradientEvaluations;
}
