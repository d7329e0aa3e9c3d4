import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError, assertInteger } from '@walkjump/tensor';
import { type Points, toPoints } from '../internal/points.ts';

/** Eigendecomposition of a symmetric matrix: ascending `values` [k] and column eigenvectors `vectors` [k, k] (row-major). */
export interface SymmetricEigen {
  readonly values: Float64Array;
  readonly vectors: Float64Array;
}

/**
 * Eigendecomposition A = V diag(λ) Vᵀ of a symmetric k × k matrix (row-major float64, only its symmetric part is
 * meaningful): Householder reduction to tridiagonal form, then the implicit-shift QL iteration (Wilkinson & Reinsch
 * 1971, procedures tred2 and tql2; Golub & Van Loan 2013, Sec. 8.3). O(k³), all in float64 JavaScript arrays.
 * Eigenvalues ascending; column j of `vectors` is the unit eigenvector of values[j].
 */
export function symmetricEigen(A: Float64Array, k: number): SymmetricEigen {
  if (A.length !== k * k)
    throw new ShapeError(`symmetricEigen: 'A' must have k * k = ${k * k} entries, got ${A.length}`);
  const n = k;
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) V[i * n + j] = 0.5 * ((A[i * n + j] as number) + (A[j * n + i] as number));
  }
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const at = (i: number, j: number): number => V[i * n + j] as number;
  const set = (i: number, j: number, v: number): void => {
    V[i * n + j] = v;
  };
  // --- Householder tridiagonalization, accumulating the orthogonal transform in V.
  for (let j = 0; j < n; j++) d[j] = at(n - 1, j);
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let q = 0; q < i; q++) scale += Math.abs(d[q] as number);
    if (scale === 0) {
      e[i] = d[i - 1] as number;
      for (let j = 0; j < i; j++) {
        d[j] = at(i - 1, j);
        set(i, j, 0);
        set(j, i, 0);
      }
    } else {
      for (let q = 0; q < i; q++) {
        d[q] = (d[q] as number) / scale;
        h += (d[q] as number) ** 2;
      }
      let f = d[i - 1] as number;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j] as number;
        set(j, i, f);
        g = (e[j] as number) + at(j, j) * f;
        for (let q = j + 1; q <= i - 1; q++) {
          g += at(q, j) * (d[q] as number);
          e[q] = (e[q] as number) + at(q, j) * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] = (e[j] as number) / h;
        f += (e[j] as number) * (d[j] as number);
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] = (e[j] as number) - hh * (d[j] as number);
      for (let j = 0; j < i; j++) {
        f = d[j] as number;
        g = e[j] as number;
        for (let q = j; q <= i - 1; q++) set(q, j, at(q, j) - (f * (e[q] as number) + g * (d[q] as number)));
        d[j] = at(i - 1, j);
        set(i, j, 0);
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    set(n - 1, i, at(i, i));
    set(i, i, 1);
    const h = d[i + 1] as number;
    if (h !== 0) {
      for (let q = 0; q <= i; q++) d[q] = at(q, i + 1) / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let q = 0; q <= i; q++) g += at(q, i + 1) * at(q, j);
        for (let q = 0; q <= i; q++) set(q, j, at(q, j) - g * (d[q] as number));
      }
    }
    for (let q = 0; q <= i; q++) set(q, i + 1, 0);
  }
  for (let j = 0; j < n; j++) {
    d[j] = at(n - 1, j);
    set(n - 1, j, 0);
  }
  set(n - 1, n - 1, 1);
  e[0] = 0;
  // --- implicit QL on the tridiagonal (d, e).
  for (let i = 1; i < n; i++) e[i - 1] = e[i] as number;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l] as number) + Math.abs(e[l] as number));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m] as number) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 100) throw new ValueError('symmetricEigen: QL iteration did not converge (non-finite input?)');
        let g = d[l] as number;
        let p = ((d[l + 1] as number) - g) / (2 * (e[l] as number));
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = (e[l] as number) / (p + r);
        d[l + 1] = (e[l] as number) * (p + r);
        const dl1 = d[l + 1] as number;
        let h = g - (d[l] as number);
        for (let i = l + 2; i < n; i++) d[i] = (d[i] as number) - h;
        f += h;
        p = d[m] as number;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1] as number;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * (e[i] as number);
          h = c * p;
          r = Math.hypot(p, e[i] as number);
          e[i + 1] = s * r;
          s = (e[i] as number) / r;
          c = p / r;
          p = c * (d[i] as number) - s * g;
          d[i + 1] = h + s * (c * g + s * (d[i] as number));
          for (let q = 0; q < n; q++) {
            h = at(q, i + 1);
            set(q, i + 1, s * at(q, i) + c * h);
            set(q, i, c * at(q, i) - s * h);
          }
        }
        p = (-s * s2 * c3 * el1 * (e[l] as number)) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l] as number) > eps * tst1);
    }
    d[l] = (d[l] as number) + f;
    e[l] = 0;
  }
  // --- sort ascending
  const order = Array.from(d.keys()).sort((x, y) => (d[x] as number) - (d[y] as number));
  const values = Float64Array.from(order, (o) => d[o] as number);
  const vectors = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const o = order[j] as number;
    for (let i = 0; i < n; i++) vectors[i * n + j] = at(i, o);
  }
  return { values, vectors };
}

/**
 * Principal square root of a symmetric positive semi-definite k × k matrix via {@link symmetricEigen}:
 * A^{1/2} = V diag(√max(λ, 0)) Vᵀ (negative round-off eigenvalues clipped to 0). float64, row-major.
 */
export function sqrtmPsd(A: Float64Array, k: number): Float64Array {
  const { values, vectors } = symmetricEigen(A, k);
  const out = new Float64Array(k * k);
  for (let j = 0; j < k; j++) {
    const s = Math.sqrt(Math.max(values[j] as number, 0));
    if (s === 0) continue;
    for (let i = 0; i < k; i++) {
      const vij = (vectors[i * k + j] as number) * s;
      for (let l = i; l < k; l++) out[i * k + l] = (out[i * k + l] as number) + vij * (vectors[l * k + j] as number);
    }
  }
  for (let i = 0; i < k; i++) for (let l = 0; l < i; l++) out[i * k + l] = out[l * k + i] as number;
  return out;
}

/** Mean [k] and unbiased covariance [k, k] (divisor n − 1, as NumPy's `np.cov`) of a feature set. */
export interface FeatureStats {
  readonly mean: Float64Array;
  readonly cov: Float64Array;
  readonly n: number;
  readonly k: number;
}

/**
 * Mean and unbiased covariance (divisor n − 1) of features [n, k], two-pass, in float64 JavaScript arrays (so the
 * result does not suffer float32 cancellation for large n).
 */
export function featureStats(features: Points): FeatureStats {
  const X = toPoints('featureStats', 'features', features, { minRows: 2 });
  const { n, d: k, data } = X;
  const mean = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) mean[j] = (mean[j] as number) + (data[i * k + j] as number);
  for (let j = 0; j < k; j++) mean[j] = (mean[j] as number) / n;
  // Centred columns, contiguous, so each covariance entry is a dot product accumulated in a register.
  const cols = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) cols[j * n + i] = (data[i * k + j] as number) - (mean[j] as number);
  }
  const cov = new Float64Array(k * k);
  for (let j = 0; j < k; j++) {
    const cj = cols.subarray(j * n, (j + 1) * n);
    for (let l = j; l < k; l++) {
      const cl = cols.subarray(l * n, (l + 1) * n);
      let s0 = 0;
      let s1 = 0;
      let i = 0;
      for (; i + 1 < n; i += 2) {
        s0 += (cj[i] as number) * (cl[i] as number);
        s1 += (cj[i + 1] as number) * (cl[i + 1] as number);
      }
      if (i < n) s0 += (cj[i] as number) * (cl[i] as number);
      const v = (s0 + s1) / (n - 1);
      cov[j * k + l] = v;
      cov[l * k + j] = v;
    }
  }
  return { mean, cov, n, k };
}

/**
 * Fréchet distance between the Gaussians N(μ₁, Σ₁) and N(μ₂, Σ₂) (Dowson & Landau 1982; Heusel et al. 2017, eq. 6):
 * ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}. The trace term is computed stably from two
 * symmetric eigendecompositions ({@link symmetricEigen}), never from a non-symmetric product, so it is real and
 * clipped at 0 only by round-off. float64 JavaScript arrays.
 */
export function frechetDistanceFromStats(
  s1: Pick<FeatureStats, 'mean' | 'cov'>,
  s2: Pick<FeatureStats, 'mean' | 'cov'>,
): number {
  const fn = 'frechetDistanceFromStats';
  const k = s1.mean.length;
  if (s2.mean.length !== k || s1.cov.length !== k * k || s2.cov.length !== k * k) {
    throw new ShapeError(
      `${fn}: means must both have length k and covariances k * k; got ${s1.mean.length}, ${s2.mean.length}, ${s1.cov.length}, ${s2.cov.length}`,
    );
  }
  let dm = 0;
  let tr = 0;
  for (let j = 0; j < k; j++) {
    dm += ((s1.mean[j] as number) - (s2.mean[j] as number)) ** 2;
    tr += (s1.cov[j * k + j] as number) + (s2.cov[j * k + j] as number);
  }
  const S = sqrtmPsd(s1.cov, k);
  // M = S Σ₂ S (symmetric PSD)
  const T = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let l = 0; l < k; l++) {
      const sil = S[i * k + l] as number;
      if (sil === 0) continue;
      for (let j = 0; j < k; j++) T[i * k + j] = (T[i * k + j] as number) + sil * (s2.cov[l * k + j] as number);
    }
  }
  const M = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let l = 0; l < k; l++) {
      const til = T[i * k + l] as number;
      if (til === 0) continue;
      for (let j = 0; j < k; j++) M[i * k + j] = (M[i * k + j] as number) + til * (S[l * k + j] as number);
    }
  }
  const { values } = symmetricEigen(M, k);
  let trSqrt = 0;
  for (const v of values) trSqrt += Math.sqrt(Math.max(v, 0));
  return Math.max(dm + tr - 2 * trSqrt, 0);
}

/**
 * Fréchet distance between Gaussian fits of two feature sets `featuresA` [n, k] and `featuresB` [m, k]
 * (Heusel et al. 2017, eq. 6; see {@link frechetDistanceFromStats}); means and unbiased covariances in float64. It is
 * 0 for identical sets and symmetric. It is biased upward at finite n (Chong & Forsyth 2020): compare values
 * only at equal sample sizes. Returns a number.
 */
export function frechetDistance(featuresA: Points, featuresB: Points): number {
  const A = featureStats(featuresA);
  const B = featureStats(featuresB);
  if (A.k !== B.k) throw new ShapeError(`frechetDistance: 'featuresA' has ${A.k} features but 'featuresB' has ${B.k}`);
  return frechetDistanceFromStats(A, B);
}

/** Options of {@link fid}. */
export interface FidOptions {
  /** Any feature map: a batch [B, ...] → features [B, k] (e.g. an Inception pool layer, or a small trained net). */
  readonly featureFn: (x: tf.Tensor) => tf.Tensor;
  /** Samples, e.g. images [n, h, w, c] or points [n, d]. */
  readonly a: tf.Tensor;
  readonly b: tf.Tensor;
  /** Batch size of the feature map (default 256). */
  readonly batchSize?: number;
}

/** Result of {@link fid}: the value and the sample sizes it depends on. */
export interface FidResult {
  readonly fid: number;
  readonly nA: number;
  readonly nB: number;
  readonly featureDim: number;
}

async function featuresOf(
  fn: string,
  name: string,
  f: (x: tf.Tensor) => tf.Tensor,
  x: tf.Tensor,
  bs: number,
): Promise<Float64Array> {
  if (x.rank < 1 || (x.shape[0] as number) < 2) {
    throw new ShapeError(`${fn}: '${name}' must be a batch [n, ...] with n >= 2, got shape [${x.shape.join(', ')}]`);
  }
  const n = x.shape[0] as number;
  let k = -1;
  let out = new Float64Array(0);
  for (let s = 0; s < n; s += bs) {
    const size = Math.min(bs, n - s);
    const feats = tf.tidy(() => f(tf.slice(x, s, size)));
    try {
      if (feats.rank !== 2 || feats.shape[0] !== size) {
        throw new ShapeError(
          `${fn}: 'featureFn' must map [${size}, ...] to [${size}, k], got [${feats.shape.join(', ')}]`,
        );
      }
      if (k < 0) {
        k = feats.shape[1] as number;
        out = new Float64Array(n * k);
      } else if (feats.shape[1] !== k) {
        throw new ShapeError(`${fn}: 'featureFn' returned ${feats.shape[1]} features after ${k}`);
      }
      out.set(await feats.data(), s * k);
    } finally {
      feats.dispose();
    }
  }
  return out;
}

/**
 * Fréchet distance between feature distributions (FID, Heusel et al. 2017) for any feature map `featureFn`:
 * `a` and `b` are pushed through it in batches of `batchSize` (each batch in `tf.tidy`, features read back with
 * `await data()`), then {@link frechetDistance} runs in float64. FID is biased upward at finite n, so the result
 * carries nA and nB: report them, and compare FIDs only at equal n and with the same feature map.
 */
export async function fid(opts: FidOptions): Promise<FidResult> {
  const fn = 'fid';
  if (typeof opts.featureFn !== 'function') throw new ValueError(`${fn}: 'featureFn' must be a function`);
  const bs = opts.batchSize ?? 256;
  assertInteger(fn, 'batchSize', bs);
  const fa = await featuresOf(fn, 'a', opts.featureFn, opts.a, bs);
  const fb = await featuresOf(fn, 'b', opts.featureFn, opts.b, bs);
  const nA = opts.a.shape[0] as number;
  const nB = opts.b.shape[0] as number;
  const k = fa.length / nA;
  if (fb.length / nB !== k)
    throw new ShapeError(`${fn}: features of 'a' have ${k} dims but those of 'b' have ${fb.length / nB}`);
  const value = frechetDistance({ data: fa, n: nA, d: k }, { data: fb, n: nB, d: k });
  return { fid: value, nA, nB, featureDim: k };
}
