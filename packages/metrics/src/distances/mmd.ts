import {
  type Key,
  ValueError,
  assertInteger,
  assertPositive,
  key as makeKey,
  permutation,
  split,
} from '@walkjump/tensor';
import { type PointArray, type Points, toPoints } from '../internal/points.ts';

/** Kernels of {@link mmd}. */
export type MmdKernel = 'rbf' | 'imq' | 'polynomial';

/** Options of {@link mmd}. */
export interface MmdOptions {
  /**
   * 'rbf' k = exp(−‖x−y‖² / (2h²)) (default); 'imq' k = (1 + ‖x−y‖²/h²)^(−1/2) (Gorham & Mackey 2017);
   * 'polynomial' k = (γ x·y + c₀)^degree.
   */
  readonly kernel?: MmdKernel;
  /** Bandwidth h of 'rbf'/'imq'; default: the median heuristic (median pairwise distance of the pooled sample). */
  readonly bandwidth?: number;
  /** 'unbiased' U-statistic (default; can be slightly negative) or 'biased' V-statistic (≥ 0). */
  readonly estimator?: 'unbiased' | 'biased';
  /** Polynomial degree (default 3). */
  readonly degree?: number;
  /** Polynomial γ (default 1/d). */
  readonly gamma?: number;
  /** Polynomial c₀ (default 1). */
  readonly coef0?: number;
}

const MEDIAN_MAX_POINTS = 1000;

/**
 * The median heuristic (Gretton et al. 2012, Sec. 8): the median Euclidean distance between distinct points of the
 * pooled sample a ∪ b. With more than 1000 pooled points, an evenly strided subset of 1000 is used (deterministic).
 * `a` [n, d], `b` [m, d]; float64.
 */
export function medianHeuristic(a: Points, b: Points): number {
  const fn = 'medianHeuristic';
  const A = toPoints(fn, 'a', a);
  const B = toPoints(fn, 'b', b, { d: A.d });
  return medianDistance(fn, A, B);
}

function medianDistance(fn: string, A: PointArray, B: PointArray): number {
  const total = A.n + B.n;
  const take = Math.min(total, MEDIAN_MAX_POINTS);
  const d = A.d;
  const pts = new Float64Array(take * d);
  for (let t = 0; t < take; t++) {
    const idx = Math.floor((t * total) / take);
    const src =
      idx < A.n ? A.data.subarray(idx * d, idx * d + d) : B.data.subarray((idx - A.n) * d, (idx - A.n) * d + d);
    pts.set(src, t * d);
  }
  const dists = new Float64Array((take * (take - 1)) / 2);
  let q = 0;
  for (let i = 0; i < take; i++) {
    for (let j = i + 1; j < take; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) {
        const v = (pts[i * d + k] as number) - (pts[j * d + k] as number);
        s += v * v;
      }
      dists[q++] = Math.sqrt(s);
    }
  }
  dists.sort();
  const L = dists.length;
  if (L === 0) throw new ValueError(`${fn}: the median heuristic needs at least 2 points`);
  const med =
    L % 2 === 1 ? (dists[(L - 1) / 2] as number) : 0.5 * ((dists[L / 2 - 1] as number) + (dists[L / 2] as number));
  if (!(med > 0))
    throw new ValueError(`${fn}: the median pairwise distance is 0 (too many duplicate points); pass 'bandwidth'`);
  return med;
}

interface KernelSpec {
  readonly kind: MmdKernel;
  readonly h2: number;
  readonly degree: number;
  readonly gamma: number;
  readonly coef0: number;
}

/**
 * Σ_{i, j} k(X_i, Y_j) (or Σ_{i<j} when `same`), pair by pair in float64 — O(1) extra memory. One loop per kernel
 * so that the inner loop carries no branch.
 */
function kernelSum(X: PointArray, Y: PointArray, same: boolean, K: KernelSpec): number {
  const d = X.d;
  const xd = X.data;
  const yd = Y.data;
  const nx = X.n;
  const ny = Y.n;
  let total = 0;
  if (K.kind === 'polynomial') {
    const { degree, gamma, coef0 } = K;
    for (let i = 0; i < nx; i++) {
      const oi = i * d;
      let row = 0;
      for (let j = same ? i + 1 : 0; j < ny; j++) {
        const oj = j * d;
        let dot = 0;
        for (let k = 0; k < d; k++) dot += (xd[oi + k] as number) * (yd[oj + k] as number);
        const base = gamma * dot + coef0;
        row += degree === 3 ? base * base * base : base ** degree;
      }
      total += row;
    }
    return total;
  }
  const rbf = K.kind === 'rbf';
  const scale = rbf ? -1 / (2 * K.h2) : 1 / K.h2;
  for (let i = 0; i < nx; i++) {
    const oi = i * d;
    let row = 0;
    if (d === 2) {
      const x0 = xd[oi] as number;
      const x1 = xd[oi + 1] as number;
      if (rbf) {
        for (let j = same ? i + 1 : 0; j < ny; j++) {
          const a = x0 - (yd[2 * j] as number);
          const b = x1 - (yd[2 * j + 1] as number);
          row += Math.exp((a * a + b * b) * scale);
        }
      } else {
        for (let j = same ? i + 1 : 0; j < ny; j++) {
          const a = x0 - (yd[2 * j] as number);
          const b = x1 - (yd[2 * j + 1] as number);
          row += 1 / Math.sqrt(1 + (a * a + b * b) * scale);
        }
      }
    } else {
      for (let j = same ? i + 1 : 0; j < ny; j++) {
        const oj = j * d;
        let s2 = 0;
        for (let k = 0; k < d; k++) {
          const v = (xd[oi + k] as number) - (yd[oj + k] as number);
          s2 += v * v;
        }
        row += rbf ? Math.exp(s2 * scale) : 1 / Math.sqrt(1 + s2 * scale);
      }
    }
    total += row;
  }
  return total;
}

function diagSum(X: PointArray, K: KernelSpec): number {
  if (K.kind !== 'polynomial') return X.n; // k(x, x) = 1
  let total = 0;
  for (let i = 0; i < X.n; i++) {
    let dot = 0;
    for (let k = 0; k < X.d; k++) dot += (X.data[i * X.d + k] as number) ** 2;
    total += (K.gamma * dot + K.coef0) ** K.degree;
  }
  return total;
}

function mmdCore(X: PointArray, Y: PointArray, K: KernelSpec, unbiased: boolean): number {
  const n = X.n;
  const m = Y.n;
  const kxx = 2 * kernelSum(X, X, true, K);
  const kyy = 2 * kernelSum(Y, Y, true, K);
  const kxy = kernelSum(X, Y, false, K);
  if (unbiased) return kxx / (n * (n - 1)) + kyy / (m * (m - 1)) - (2 * kxy) / (n * m);
  return (kxx + diagSum(X, K)) / (n * n) + (kyy + diagSum(Y, K)) / (m * m) - (2 * kxy) / (n * m);
}

function kernelSpec(fn: string, opts: MmdOptions, A: PointArray, B: PointArray): KernelSpec {
  const kind = opts.kernel ?? 'rbf';
  if (kind !== 'rbf' && kind !== 'imq' && kind !== 'polynomial') {
    throw new ValueError(`${fn}: 'kernel' must be 'rbf', 'imq' or 'polynomial', got ${JSON.stringify(kind)}`);
  }
  let h = 1;
  if (kind !== 'polynomial') {
    if (opts.bandwidth !== undefined) {
      assertPositive(fn, 'bandwidth', opts.bandwidth);
      h = opts.bandwidth;
    } else h = medianDistance(fn, A, B);
  }
  const degree = opts.degree ?? 3;
  assertInteger(fn, 'degree', degree);
  const gamma = opts.gamma ?? 1 / A.d;
  assertPositive(fn, 'gamma', gamma);
  const coef0 = opts.coef0 ?? 1;
  if (!Number.isFinite(coef0)) throw new ValueError(`${fn}: 'coef0' must be finite, got ${coef0}`);
  return { kind, h2: h * h, degree, gamma, coef0 };
}

/**
 * Squared maximum mean discrepancy MMD²(P, Q) = E k(X, X') + E k(Y, Y') − 2 E k(X, Y) between samples `a` [n, d]
 * and `b` [m, d] (Gretton et al. 2012, eq. 3 (unbiased U-statistic, default) and eq. 5 (biased V-statistic)).
 * The kernel is summed pair by pair in float64 JavaScript arrays without forming the Gram matrix, so 10 000 × 10 000
 * needs O(n + m) memory. Returns MMD² (not its square root) as a number.
 */
export function mmd(a: Points, b: Points, opts: MmdOptions = {}): number {
  const fn = 'mmd';
  const estimator = opts.estimator ?? 'unbiased';
  if (estimator !== 'unbiased' && estimator !== 'biased') {
    throw new ValueError(`${fn}: 'estimator' must be 'unbiased' or 'biased', got ${JSON.stringify(estimator)}`);
  }
  const unbiased = estimator === 'unbiased';
  const A = toPoints(fn, 'a', a, { minRows: unbiased ? 2 : 1 });
  const B = toPoints(fn, 'b', b, { minRows: unbiased ? 2 : 1, d: A.d });
  return mmdCore(A, B, kernelSpec(fn, opts, A, B), unbiased);
}

/** Options of {@link kid}. */
export interface KidOptions {
  /** Number of random subsets (default 100). */
  readonly subsets?: number;
  /** Points per subset, drawn without replacement from each set (default min(1000, n, m)). */
  readonly subsetSize?: number;
  /** PRNG key of the subset draws (default `key(0)`, so the value is reproducible). */
  readonly key?: Key;
}

/** Result of {@link kid}. */
export interface KidResult {
  readonly mean: number;
  /** Standard deviation of the per-subset estimates. */
  readonly std: number;
  readonly values: Float64Array;
  readonly subsetSize: number;
}

/**
 * Kernel inception distance (Bińkowski et al. 2018, Sec. 4): the unbiased MMD² with the cubic polynomial kernel
 * k(x, y) = (x·y / k + 1)³ between feature sets `featuresA` [n, k] and `featuresB` [m, k], averaged over `subsets`
 * random subsets of `subsetSize` points of each (as in torch-fidelity / clean-fid); returns mean ± std over subsets.
 * Unlike FID it is unbiased, so values from different n compare. float64 JavaScript arrays.
 */
export function kid(featuresA: Points, featuresB: Points, opts: KidOptions = {}): KidResult {
  const fn = 'kid';
  const A = toPoints(fn, 'featuresA', featuresA, { minRows: 2 });
  const B = toPoints(fn, 'featuresB', featuresB, { minRows: 2, d: A.d });
  const S = opts.subsets ?? 100;
  assertInteger(fn, 'subsets', S);
  const size = opts.subsetSize ?? Math.min(1000, A.n, B.n);
  assertInteger(fn, 'subsetSize', size, 2);
  if (size > A.n || size > B.n) {
    throw new ValueError(`${fn}: 'subsetSize' (${size}) must not exceed the set sizes (${A.n}, ${B.n})`);
  }
  const K: KernelSpec = { kind: 'polynomial', h2: 1, degree: 3, gamma: 1 / A.d, coef0: 1 };
  const keys = split(opts.key ?? makeKey(0), 2 * S);
  const d = A.d;
  const pick = (P: PointArray, k: Key): PointArray => {
    const perm = permutation(k, P.n);
    const data = new Float64Array(size * d);
    for (let t = 0; t < size; t++)
      data.set(P.data.subarray((perm[t] as number) * d, (perm[t] as number) * d + d), t * d);
    return { data, n: size, d };
  };
  const values = new Float64Array(S);
  for (let s = 0; s < S; s++) {
    values[s] = mmdCore(pick(A, keys[2 * s] as Key), pick(B, keys[2 * s + 1] as Key), K, true);
  }
  let mean = 0;
  for (const v of values) mean += v;
  mean /= S;
  let v2 = 0;
  for (const v of values) v2 += (v - mean) ** 2;
  return { mean, std: Math.sqrt(v2 / S), values, subsetSize: size };
}

/** Σ ‖X_i − Y_j‖ over pairs (i < j when `same`), float64. */
function distSum(X: PointArray, Y: PointArray, same: boolean): number {
  const d = X.d;
  let total = 0;
  for (let i = 0; i < X.n; i++) {
    let row = 0;
    for (let j = same ? i + 1 : 0; j < Y.n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) {
        const v = (X.data[i * d + k] as number) - (Y.data[j * d + k] as number);
        s += v * v;
      }
      row += Math.sqrt(s);
    }
    total += row;
  }
  return total;
}

/**
 * Squared energy distance D²(P, Q) = 2 E‖X − Y‖ − E‖X − X'‖ − E‖Y − Y'‖ (Székely & Rizzo 2013, eq. 2.1) between
 * `a` [n, d] and `b` [m, d]; it equals MMD² with the distance-induced kernel. `estimator`: 'biased' (default; the
 * V-statistic of `dcor.energy_distance`, always ≥ 0) or 'unbiased' (U-statistics for the within-set terms).
 * Pairwise sums in float64 JavaScript arrays, O(1) extra memory. Returns D² as a number.
 */
export function energyDistance(
  a: Points,
  b: Points,
  opts: { readonly estimator?: 'unbiased' | 'biased' } = {},
): number {
  const fn = 'energyDistance';
  const estimator = opts.estimator ?? 'biased';
  if (estimator !== 'unbiased' && estimator !== 'biased') {
    throw new ValueError(`${fn}: 'estimator' must be 'unbiased' or 'biased', got ${JSON.stringify(estimator)}`);
  }
  const unbiased = estimator === 'unbiased';
  const A = toPoints(fn, 'a', a, { minRows: unbiased ? 2 : 1 });
  const B = toPoints(fn, 'b', b, { minRows: unbiased ? 2 : 1, d: A.d });
  const n = A.n;
  const m = B.n;
  const xy = distSum(A, B, false) / (n * m);
  const xx = (2 * distSum(A, A, true)) / (unbiased ? n * (n - 1) : n * n);
  const yy = (2 * distSum(B, B, true)) / (unbiased ? m * (m - 1) : m * m);
  return 2 * xy - xx - yy;
}
