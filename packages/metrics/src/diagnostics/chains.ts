// Chain input coercion, FFT autocovariance, ranks and the normal quantile — float64 helpers of the diagnostics.
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError } from '@walkjump/tensor';
import { assertAllFinite } from '../internal/points.ts';

/** Draws of one scalar: a single chain (number[], Float64Array, 1-D tensor) or chains × draws (number[][], 2-D tensor). */
export type Chains = tf.Tensor | readonly number[] | Float64Array | readonly (readonly number[] | Float64Array)[];

/** Reads chains into equal-length float64 rows, checking finiteness and the minimum number of draws. */
export function toChains(fn: string, name: string, x: Chains, minDraws = 4): Float64Array[] {
  let rows: Float64Array[];
  if (x instanceof tf.Tensor) {
    if (x.rank === 1) rows = [Float64Array.from(x.dataSync())];
    else if (x.rank === 2) {
      const [c, n] = x.shape as [number, number];
      const v = x.dataSync();
      rows = Array.from({ length: c }, (_, i) => Float64Array.from(v.subarray(i * n, (i + 1) * n)));
    } else
      throw new ShapeError(`${fn}: '${name}' must be [draws] or [chains, draws], got shape [${x.shape.join(', ')}]`);
  } else if (x instanceof Float64Array) rows = [Float64Array.from(x)];
  else if (Array.isArray(x)) {
    if (x.length === 0) throw new ValueError(`${fn}: '${name}' is empty`);
    if (typeof x[0] === 'number') rows = [Float64Array.from(x as readonly number[])];
    else rows = (x as readonly (readonly number[] | Float64Array)[]).map((r) => Float64Array.from(r));
  } else throw new ValueError(`${fn}: '${name}' must be number[], number[][], Float64Array or a tensor`);
  if (rows.length === 0) throw new ValueError(`${fn}: '${name}' has no chains`);
  const n = (rows[0] as Float64Array).length;
  rows.forEach((r, i) => {
    if (r.length !== n)
      throw new ShapeError(
        `${fn}: '${name}' chains must have equal length, chain ${i} has ${r.length} draws, chain 0 has ${n}`,
      );
    assertAllFinite(fn, `${name}[${i}]`, r);
  });
  if (n < minDraws) throw new ValueError(`${fn}: '${name}' needs at least ${minDraws} draws per chain, got ${n}`);
  return rows;
}

/** In-place iterative radix-2 complex FFT (length a power of two); `inverse` omits the 1/N factor. */
function fft(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const tr = re[i] as number;
      re[i] = re[j] as number;
      re[j] = tr;
      const ti = im[i] as number;
      im[i] = im[j] as number;
      im[j] = ti;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = ((inverse ? 2 : -2) * Math.PI) / len;
    const wr = Math.cos(ang);
    const wi = Math.sin(ang);
    const half = len >> 1;
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < half; k++) {
        const a = i + k;
        const b = a + half;
        const xr = (re[b] as number) * cr - (im[b] as number) * ci;
        const xi = (re[b] as number) * ci + (im[b] as number) * cr;
        re[b] = (re[a] as number) - xr;
        im[b] = (im[a] as number) - xi;
        re[a] = (re[a] as number) + xr;
        im[a] = (im[a] as number) + xi;
        // Recompute the twiddle exactly every 64 steps to stop round-off drift.
        if ((k & 63) === 63) {
          cr = Math.cos(ang * (k + 1));
          ci = Math.sin(ang * (k + 1));
        } else {
          const t = cr * wr - ci * wi;
          ci = cr * wi + ci * wr;
          cr = t;
        }
      }
    }
  }
}

/**
 * Autocovariance γ_t = (1/n) Σ_{s=0}^{n−1−t} (x_s − x̄)(x_{s+t} − x̄), t = 0 … n−1, by zero-padded FFT (length the
 * next power of two ≥ 2n, so no circular wrap-around), as ArviZ's `_autocov`. float64.
 */
export function autocovariance(x: Float64Array): Float64Array {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i] as number;
  mean /= n;
  let size = 1;
  while (size < 2 * n) size <<= 1;
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  for (let i = 0; i < n; i++) re[i] = (x[i] as number) - mean;
  fft(re, im, false);
  for (let i = 0; i < size; i++) {
    re[i] = (re[i] as number) ** 2 + (im[i] as number) ** 2;
    im[i] = 0;
  }
  fft(re, im, true);
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) out[t] = (re[t] as number) / size / n;
  return out;
}

/**
 * Average ranks (1-based; ties get their mean rank), as `scipy.stats.rankdata(method='average')`: a native numeric
 * sort of a copy, then each value's rank from its lower and upper bounds in the sorted copy.
 */
export function averageRanks(v: Float64Array): Float64Array {
  const n = v.length;
  const sorted = Float64Array.from(v).sort();
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = v[i] as number;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    let up = lo;
    if (up + 1 < n && sorted[up + 1] === x) {
      let h2 = n;
      while (up < h2) {
        const mid = (up + h2) >>> 1;
        if ((sorted[mid] as number) <= x) up = mid + 1;
        else h2 = mid;
      }
      up -= 1;
    }
    r[i] = (lo + up) / 2 + 1;
  }
  return r;
}

/** Standard normal quantile Φ⁻¹(p), Acklam's rational approximation (relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return Number.NEGATIVE_INFINITY;
    if (p === 1) return Number.POSITIVE_INFINITY;
    return Number.NaN;
  }
  const a0 = -3.969683028665376e1;
  const a1 = 2.209460984245205e2;
  const a2 = -2.759285104469687e2;
  const a3 = 1.38357751867269e2;
  const a4 = -3.066479806614716e1;
  const a5 = 2.506628277459239;
  const b0 = -5.447609879822406e1;
  const b1 = 1.615858368580409e2;
  const b2 = -1.556989798598866e2;
  const b3 = 6.680131188771972e1;
  const b4 = -1.328068155288572e1;
  const c0 = -7.784894002430293e-3;
  const c1 = -3.223964580411365e-1;
  const c2 = -2.400758277161838;
  const c3 = -2.549732539343734;
  const c4 = 4.374664141464968;
  const c5 = 2.938163982698783;
  const d0 = 7.784695709041462e-3;
  const d1 = 3.224671290700398e-1;
  const d2 = 2.445134137142996;
  const d3 = 3.754408661907416;
  const plow = 0.02425;
  if (p < plow) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  }
  if (p > 1 - plow) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
    (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
  );
}
