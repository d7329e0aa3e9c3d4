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

const twiddles = new Map<number, { cos: Float64Array; sin: Float64Array }>();

/** cos/sin(2πk/n), k < n/2, cached per size (exact per entry: no recurrence drift). */
function twiddleTable(n: number): { cos: Float64Array; sin: Float64Array } {
  let t = twiddles.get(n);
  if (t === undefined) {
    const h = n >> 1;
    t = { cos: new Float64Array(h), sin: new Float64Array(h) };
    for (let k = 0; k < h; k++) {
      t.cos[k] = Math.cos((2 * Math.PI * k) / n);
      t.sin[k] = Math.sin((2 * Math.PI * k) / n);
    }
    if (twiddles.size > 8) twiddles.clear();
    twiddles.set(n, t);
  }
  return t;
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
  const { cos, sin } = twiddleTable(n);
  const sign = inverse ? 1 : -1;
  for (let len = 2; len <= n; len <<= 1) {
    const half = len >> 1;
    const step = n / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < half; k++) {
        const cr = cos[k * step] as number;
        const ci = sign * (sin[k * step] as number);
        const a = i + k;
        const b = a + half;
        const br = re[b] as number;
        const bi = im[b] as number;
        const xr = br * cr - bi * ci;
        const xi = br * ci + bi * cr;
        const ar = re[a] as number;
        const ai = im[a] as number;
        re[b] = ar - xr;
        im[b] = ai - xi;
        re[a] = ar + xr;
        im[a] = ai + xi;
      }
    }
  }
}

/**
 * Autocovariances γ_t = (1/n) Σ_{s=0}^{n−1−t} (x_s − x̄)(x_{s+t} − x̄), t = 0 … n−1, of equal-length series, by
 * zero-padded FFT (length the next power of two ≥ 2n, so no circular wrap-around), as ArviZ's `_autocov`. Two real
 * series share one complex transform each way (x + i y; their power spectra are real and even). float64.
 */
export function autocovariances(rows: readonly Float64Array[]): Float64Array[] {
  const out: Float64Array[] = [];
  if (rows.length === 0) return out;
  const n = (rows[0] as Float64Array).length;
  let size = 1;
  while (size < 2 * n) size <<= 1;
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  for (let c = 0; c < rows.length; c += 2) {
    const x = rows[c] as Float64Array;
    const y = rows[c + 1];
    re.fill(0);
    im.fill(0);
    let mx = 0;
    for (let i = 0; i < n; i++) mx += x[i] as number;
    mx /= n;
    for (let i = 0; i < n; i++) re[i] = (x[i] as number) - mx;
    if (y !== undefined) {
      let my = 0;
      for (let i = 0; i < n; i++) my += y[i] as number;
      my /= n;
      for (let i = 0; i < n; i++) im[i] = (y[i] as number) - my;
    }
    fft(re, im, false);
    // X_k = (Z_k + conj Z_{−k})/2, Y_k = (Z_k − conj Z_{−k})/(2i); |X_k|² and |Y_k|² go to re and im.
    for (let k = 0; k <= size >> 1; k++) {
      const nk = (size - k) & (size - 1);
      const zr = re[k] as number;
      const zi = im[k] as number;
      const wr = re[nk] as number;
      const wi = im[nk] as number;
      const pxk = ((zr + wr) ** 2 + (zi - wi) ** 2) / 4;
      const pyk = ((zi + wi) ** 2 + (zr - wr) ** 2) / 4;
      re[k] = pxk;
      im[k] = pyk;
      re[nk] = pxk;
      im[nk] = pyk;
    }
    fft(re, im, true);
    const gx = new Float64Array(n);
    for (let t = 0; t < n; t++) gx[t] = (re[t] as number) / size / n;
    out.push(gx);
    if (y !== undefined) {
      const gy = new Float64Array(n);
      for (let t = 0; t < n; t++) gy[t] = (im[t] as number) / size / n;
      out.push(gy);
    }
  }
  return out;
}

/** Autocovariance of one series; see {@link autocovariances}. */
export function autocovariance(x: Float64Array): Float64Array {
  return autocovariances([x])[0] as Float64Array;
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
