import * as tf from '@tensorflow/tfjs-core';
import { type Key, ShapeError, ValueError, assertInteger, assertPositive, normal } from '@walkjump/tensor';
import { type Points, type Values, toPoints, toValues, toWeights } from '../internal/points.ts';

/** W_p^p between sorted-by-index 1-D atoms; weights sum to 1 (uniform when absent). float64. */
function wpp1d(x: Float64Array, y: Float64Array, p: number, wx?: Float64Array, wy?: Float64Array): number {
  const ix = Array.from(x.keys()).sort((i, j) => (x[i] as number) - (x[j] as number));
  const iy = Array.from(y.keys()).sort((i, j) => (y[i] as number) - (y[j] as number));
  const n = x.length;
  const m = y.length;
  const wxi = (k: number): number => (wx ? (wx[ix[k] as number] as number) : 1 / n);
  const wyj = (k: number): number => (wy ? (wy[iy[k] as number] as number) : 1 / m);
  let i = 0;
  let j = 0;
  let cx = wxi(0);
  let cy = wyj(0);
  let t = 0;
  let total = 0;
  while (i < n && j < m) {
    const next = Math.min(cx, cy);
    const diff = Math.abs((x[ix[i] as number] as number) - (y[iy[j] as number] as number));
    total += (next - t) * (p === 1 ? diff : p === 2 ? diff * diff : diff ** p);
    t = next;
    const advX = cx <= cy;
    const advY = cy <= cx;
    if (advX && ++i < n) cx += wxi(i);
    if (advY && ++j < m) cy += wyj(j);
  }
  return total;
}

/**
 * Exact p-Wasserstein distance W_p between two weighted 1-D empirical measures `x` [n] and `y` [m], by merging
 * their quantile functions: W_p^p = ∫₀¹ |F⁻¹(t) − G⁻¹(t)|^p dt (Peyré & Cuturi 2019, Remark 2.30). Weights are
 * normalized (uniform when absent). O((n + m) log(n + m)), float64 JavaScript arrays. Returns W_p (not W_p^p).
 */
export function wasserstein1d(
  x: Values,
  y: Values,
  opts: { readonly p?: number; readonly weightsX?: Values; readonly weightsY?: Values } = {},
): number {
  const fn = 'wasserstein1d';
  const xs = toValues(fn, 'x', x);
  const ys = toValues(fn, 'y', y);
  const p = opts.p ?? 1;
  assertPositive(fn, 'p', p);
  if (p < 1) throw new ValueError(`${fn}: 'p' must be >= 1, got ${p}`);
  const wx = toWeights(fn, 'weightsX', opts.weightsX, xs.length);
  const wy = toWeights(fn, 'weightsY', opts.weightsY, ys.length);
  return wpp1d(xs, ys, p, wx, wy) ** (1 / p);
}

/** Options of {@link slicedWasserstein}. */
export interface SlicedWassersteinOptions {
  /** Number of random directions L (default 128); ignored when `directions` is given. */
  readonly projections?: number;
  /** Order p ≥ 1 (default 2). */
  readonly p?: number;
  /** Directions [L, d] to use instead of random ones. */
  readonly directions?: Points;
  /** Rescale given `directions` to unit length (default true). */
  readonly normalize?: boolean;
  readonly weightsA?: Values;
  readonly weightsB?: Values;
}

/**
 * Monte Carlo sliced Wasserstein distance SW_p(α, β) = ( (1/L) Σ_ℓ W_p^p(θ_ℓ#α, θ_ℓ#β) )^{1/p} over L directions
 * θ_ℓ drawn uniformly on the sphere S^{d−1} (normalized Gaussians from `key`), or over given `directions`
 * (Rabin et al. 2011; Bonneel et al. 2015; POT's `ot.sliced_wasserstein_distance`). Each 1-D W_p is exact
 * ({@link wasserstein1d}). `a` [n, d], `b` [m, d]; projections and 1-D transport in float64 JavaScript arrays
 * (the directions are drawn as a float32 tensor, then read once). Returns a number.
 */
export function slicedWasserstein(key: Key, a: Points, b: Points, opts: SlicedWassersteinOptions = {}): number {
  const fn = 'slicedWasserstein';
  const A = toPoints(fn, 'a', a);
  const B = toPoints(fn, 'b', b, { d: A.d });
  const d = A.d;
  const p = opts.p ?? 2;
  assertPositive(fn, 'p', p);
  if (p < 1) throw new ValueError(`${fn}: 'p' must be >= 1, got ${p}`);
  const wa = toWeights(fn, 'weightsA', opts.weightsA, A.n);
  const wb = toWeights(fn, 'weightsB', opts.weightsB, B.n);
  let dirs: Float64Array;
  let L: number;
  let normalize = opts.normalize ?? true;
  if (opts.directions !== undefined) {
    const D = toPoints(fn, 'directions', opts.directions);
    if (D.d !== d) throw new ShapeError(`${fn}: 'directions' must be [L, ${d}], got [${D.n}, ${D.d}]`);
    dirs = Float64Array.from(D.data);
    L = D.n;
  } else {
    L = opts.projections ?? 128;
    assertInteger(fn, 'projections', L);
    dirs = Float64Array.from(tf.tidy(() => normal(key, [L, d]).dataSync()));
    normalize = true;
  }
  if (normalize) {
    for (let l = 0; l < L; l++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += (dirs[l * d + k] as number) ** 2;
      if (!(s > 0)) throw new ValueError(`${fn}: 'directions' row ${l} has zero length`);
      const r = 1 / Math.sqrt(s);
      for (let k = 0; k < d; k++) dirs[l * d + k] = (dirs[l * d + k] as number) * r;
    }
  }
  const pa = new Float64Array(A.n);
  const pb = new Float64Array(B.n);
  const project = (P: { data: Float64Array; n: number }, out: Float64Array, l: number): void => {
    for (let i = 0; i < P.n; i++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += (P.data[i * d + k] as number) * (dirs[l * d + k] as number);
      out[i] = s;
    }
  };
  let total = 0;
  const uniform = opts.weightsA === undefined && opts.weightsB === undefined;
  for (let l = 0; l < L; l++) {
    project(A, pa, l);
    project(B, pb, l);
    total += uniform ? wpp1d(pa, pb, p) : wpp1d(pa, pb, p, wa, wb);
  }
  return (total / L) ** (1 / p);
}
